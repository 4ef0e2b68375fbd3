import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { TRAINING_JOBS_METRIC_NAMESPACE } from './private/constants';
import { Problems } from '../private/validation';


/** Properties of `TrainingMetrics`. */
export interface TrainingMetricsProps {
  /**
   * Only training jobs whose name matches this text are searched. It is put
   * unquoted in the search term (`TrainingJobName=<prefix>`), which CloudWatch
   * treats as a partial match on the name's words; use the fixed part of the
   * pipeline's job names, ending at a '-' (e.g. `iris-train` for
   * `iris-train-2024-05-01-10-00-00`). Letters, digits, '-', '_' and '.'.
   *
   * @default - every training job in the account and region that
   * published a metric with that name
   */
  readonly trainingJobNamePrefix?: string;
}

/** Options for `TrainingMetrics.metricAcrossExecutions`. */
export interface TrainingMetricOptions {
  /**
   * The statistic.
   *
   * @default 'Average'
   */
  readonly statistic?: string;

  /**
   * The period.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * Label of the series in graphs (CloudWatch appends the job name for each
   * series the search finds).
   *
   * @default - the metric name
   */
  readonly label?: string;
}

/**
 * The metrics SageMaker publishes for a training job's metric definitions.
 *
 * SageMaker publishes each definition in namespace `/aws/sagemaker/TrainingJobs`
 * with the dimension `TrainingJobName`, and every pipeline execution uses a
 * new job name, so no single metric spans executions. `metricAcrossExecutions`
 * returns a CloudWatch `SEARCH()` expression that finds every job's series,
 * for dashboards. CloudWatch alarms cannot use search expressions (CDK
 * rejects them at synth): to alarm on a training metric, use the metric of a
 * log metric filter instead (`PipelineMonitoring.metricTrainingLogMetric`).
 */
export class TrainingMetrics {
  /** Namespace of the metrics SageMaker publishes for metric definitions. */
  public static readonly NAMESPACE = TRAINING_JOBS_METRIC_NAMESPACE;

  /** The job name filter, if any. */
  public readonly trainingJobNamePrefix?: string;

  constructor(props: TrainingMetricsProps = {}) {
    const prefix = props.trainingJobNamePrefix;
    if (prefix !== undefined && !Token.isUnresolved(prefix)) {
      const problems = new Problems();
      if (!/^[A-Za-z0-9._-]+$/.test(prefix)) problems.add('trainingJobNamePrefix', prefix, "letters, digits, '-', '_' and '.' only");
      problems.throwIfAny('TrainingMetrics');
    }
    this.trainingJobNamePrefix = prefix;
  }

  /**
   * A training metric definition's values across every execution's training
   * job, as a search expression:
   * `SEARCH('{"/aws/sagemaker/TrainingJobs",TrainingJobName} MetricName="<name>" TrainingJobName=<prefix>', '<statistic>')`.
   *
   * For dashboards only; CloudWatch finds metrics that reported data in the
   * last two weeks.
   *
   * @param metricName the metric definition's `Name`, e.g. `train:accuracy`
   * @default - Average over 5 minutes
   */
  public metricAcrossExecutions(metricName: string, options: TrainingMetricOptions = {}): cloudwatch.SearchExpression {
    const problems = new Problems();
    if (!Token.isUnresolved(metricName) && /["']/.test(metricName)) {
      problems.add('metricName', metricName, 'a name without quotes (it goes inside a SEARCH expression)');
    }
    const statistic = options.statistic ?? 'Average';
    if (/'/.test(statistic)) problems.add('statistic', statistic, 'a statistic without quotes');
    problems.throwIfAny('TrainingMetrics.metricAcrossExecutions');

    const terms = [`MetricName="${metricName}"`];
    if (this.trainingJobNamePrefix) terms.push(`TrainingJobName=${this.trainingJobNamePrefix}`);
    const expression = `SEARCH('{"${TRAINING_JOBS_METRIC_NAMESPACE}",TrainingJobName} ${terms.join(' ')}', '${statistic}')`;
    return new cloudwatch.SearchExpression({
      expression,
      label: options.label ?? metricName,
      period: options.period ?? Duration.minutes(5),
    });
  }
}
