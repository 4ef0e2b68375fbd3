import { Annotations, Duration, Names, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EndpointMetrics } from './endpoint-metrics';
import { LogMetricFilter, LogMetricFilterOptions, SageMakerLogSource } from './log-metric-filter';
import { DEFAULT_ERROR_LINE_TERMS, METRIC_FILTER_UNSUPPORTED_WARNING } from './private/constants';
import { DEFAULT_VARIANT_NAME } from '../private/sagemaker-limits';
import { Problems } from '../private/validation';
import { filterMetricName, translateMetricDefinition } from './private/metric-definition-translator';
import { SageMakerLogGroup } from './sagemaker-log-group';
import { TrainingMetricOptions, TrainingMetrics } from './training-metrics';
import type { MetricDefinition } from '../training/training-props';

/** Which SageMaker log groups to monitor. */
export interface MonitoredLogs {
  /**
   * Monitor `/aws/sagemaker/TrainingJobs`: error-line counter and the metric
   * filters derived from `metricDefinitions`.
   *
   * @default false
   */
  readonly training?: boolean;

  /**
   * Monitor `/aws/sagemaker/TransformJobs`: error-line counter.
   *
   * @default false
   */
  readonly transform?: boolean;

  /**
   * Monitor `/aws/sagemaker/Endpoints/<endpointName>`: error-line counter.
   * Needs `endpointName`.
   *
   * @default false
   */
  readonly endpoint?: boolean;
}

/** Thresholds of the alarms `PipelineMonitoring` creates. */
export interface PipelineAlarmOptions {
  /**
   * Alarm when at least this many executions fail in one period.
   *
   * @default 1
   */
  readonly failedExecutionsThreshold?: number;

  /**
   * Alarm when the endpoint answers at least this many requests with a 5xx
   * status in one period (only with `endpointName`).
   *
   * @default 1
   */
  readonly endpoint5xxErrorsThreshold?: number;

  /**
   * Alarm when at least this many error lines are logged in one period
   * (one alarm per error-line counter).
   *
   * @default 1
   */
  readonly errorLinesThreshold?: number;

  /**
   * The period each alarm evaluates.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * Number of periods over which the threshold must be breached.
   *
   * @default 1
   */
  readonly evaluationPeriods?: number;
}

/**
 * What to monitor: the options a `ByoaPipeline` takes as `monitoring`.
 */
export interface PipelineMonitoringOptions {
  /**
   * Which SageMaker log groups to attach metric filters to.
   *
   * @default - none
   */
  readonly logs?: MonitoredLogs;

  /**
   * Count error lines (`errorLinePattern`) in each monitored log group.
   *
   * @default true
   */
  readonly errorLineCounters?: boolean;

  /**
   * What an error line is.
   *
   * @default - any of `Traceback`, `ERROR`, `CRITICAL`, `FATAL`
   */
  readonly errorLinePattern?: logs.IFilterPattern;

  /**
   * Turn metric definitions into metric filters on the training logs (only
   * with `logs.training`). A definition a filter cannot express produces a
   * synth warning `cdk-sagemaker-byoa:metric-filter-unsupported` instead.
   *
   * @default true
   */
  readonly deriveMetricFilters?: boolean;

  /**
   * Additional metric filters.
   *
   * @default - none
   */
  readonly metricFilters?: LogMetricFilterOptions[];

  /**
   * Namespace of the metrics published by the filters this construct
   * creates. The training and transform log groups are shared by the whole
   * account: the default is unique per `PipelineMonitoring`, so that two
   * pipelines' identical filters never add to the same metric.
   *
   * @default - 'SageMakerByoa/' followed by a name unique to this construct
   */
  readonly metricNamespace?: string;

  /**
   * Create alarms: failed executions, endpoint 5xx errors, error lines.
   *
   * @default - true when `alarmOptions` is given, otherwise false
   */
  readonly alarms?: boolean;

  /**
   * Alarm thresholds.
   *
   * @default - see `PipelineAlarmOptions`
   */
  readonly alarmOptions?: PipelineAlarmOptions;

  /**
   * SNS topic notified by the alarms and of failed executions.
   *
   * @default - a topic is created when `createAlarmTopic` is true, otherwise no notifications
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Create an SNS topic for notifications (ignored when `alarmTopic` is given).
   *
   * @default false
   */
  readonly createAlarmTopic?: boolean;

  /**
   * KMS key to encrypt a created topic with. EventBridge and CloudWatch are
   * granted use of it (in its key policy, which only works for a key
   * defined in the same app).
   *
   * @default - the topic is not encrypted
   */
  readonly kmsKey?: kms.IKey;

  /**
   * Publish to the topic when an execution fails, times out or is aborted
   * (an EventBridge rule on Step Functions `Execution Status Change`).
   *
   * @default true when there is a topic
   */
  readonly notifyExecutionFailures?: boolean;

  /**
   * Create a CloudWatch dashboard.
   *
   * @default false
   */
  readonly dashboard?: boolean;

  /**
   * Name of the dashboard.
   *
   * @default - generated by CloudFormation
   */
  readonly dashboardName?: string;
}

/** Properties of `PipelineMonitoring`: the options plus what a pipeline supplies. */
export interface PipelineMonitoringProps extends PipelineMonitoringOptions {
  /** The pipeline's state machine. */
  readonly stateMachine: sfn.IStateMachine;

  /**
   * The pipeline's real-time endpoint name (concrete or a token).
   *
   * @default - no endpoint metrics, alarms or logs
   */
  readonly endpointName?: string;

  /**
   * The endpoint's production variant name.
   *
   * @default 'AllTraffic'
   */
  readonly endpointVariantName?: string;

  /**
   * The training job's metric definitions: dashboard graphs across
   * executions (`SEARCH()`), and, with `logs.training`, metric filters
   * derived from those a filter can express (see `deriveMetricFilters`).
   *
   * @default - none
   */
  readonly metricDefinitions?: MetricDefinition[];

  /**
   * The fixed part of the pipeline's training job names, to narrow the
   * training metric searches to this pipeline's jobs.
   *
   * @default - training jobs of the whole account and region
   */
  readonly trainingJobNamePrefix?: string;
}

/**
 * Observability for a SageMaker pipeline run by a Step Functions state
 * machine: metric filters on SageMaker's log groups, metrics, opt-in alarms,
 * failure notifications and an optional dashboard.
 */
export class PipelineMonitoring extends Construct {
  /**
   * Id of the synth warning emitted for a training metric definition that
   * no metric filter can express (acknowledge it with
   * `Annotations.of(scope).acknowledgeWarning(id)`).
   */
  public static readonly METRIC_FILTER_UNSUPPORTED_WARNING = METRIC_FILTER_UNSUPPORTED_WARNING;

  /**
   * Terms of the default error-line pattern: a log event containing any of
   * `Traceback` (the first line of a Python exception), `ERROR`, `CRITICAL`
   * or `FATAL` (logging levels; case-sensitive, so the word "error" in
   * ordinary text is not counted) is an error line.
   */
  public static readonly DEFAULT_ERROR_LINE_TERMS: string[] = [...DEFAULT_ERROR_LINE_TERMS];

  /** The state machine monitored. */
  public readonly stateMachine: sfn.IStateMachine;
  /** Endpoint metrics, when an endpoint name was given. */
  public readonly endpointMetrics?: EndpointMetrics;
  /** Training metric searches. */
  public readonly trainingMetrics: TrainingMetrics;
  /** Namespace of the metrics this construct's filters publish. */
  public readonly metricNamespace: string;
  /** Every metric filter created (error lines, derived, user-given). */
  public readonly metricFilters: LogMetricFilter[] = [];
  /** Every alarm created. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The notification topic, if any. */
  public readonly alarmTopic?: sns.ITopic;
  /** The EventBridge rule notifying failed executions, if any. */
  public readonly executionFailureRule?: events.Rule;
  /** The dashboard, if any. */
  public readonly dashboard?: cloudwatch.Dashboard;

  private readonly errorLineFilters = new Map<SageMakerLogSource, LogMetricFilter>();
  private readonly derivedFilters = new Map<string, LogMetricFilter>();
  private readonly metricDefinitions: MetricDefinition[];
  private readonly endpointName?: string;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.stateMachine = props.stateMachine;
    this.endpointName = props.endpointName;
    this.metricDefinitions = props.metricDefinitions ?? [];
    this.metricNamespace = props.metricNamespace
      ?? `SageMakerByoa/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    this.trainingMetrics = new TrainingMetrics({ trainingJobNamePrefix: props.trainingJobNamePrefix });
    if (props.endpointName !== undefined) {
      this.endpointMetrics = new EndpointMetrics({
        endpointName: props.endpointName,
        variantName: props.endpointVariantName ?? DEFAULT_VARIANT_NAME,
      });
    }
    this.validate(props);

    const monitored = props.logs ?? {};
    const enabled: SageMakerLogSource[] = [];
    if (monitored.training) enabled.push(SageMakerLogSource.TRAINING_JOBS);
    if (monitored.transform) enabled.push(SageMakerLogSource.TRANSFORM_JOBS);
    if (monitored.endpoint) enabled.push(SageMakerLogSource.ENDPOINT);

    if (props.errorLineCounters ?? true) {
      const pattern = props.errorLinePattern ?? logs.FilterPattern.anyTerm(...DEFAULT_ERROR_LINE_TERMS);
      for (const source of enabled) {
        const filter = new LogMetricFilter(this, `${source}ErrorLines`, {
          logGroup: this.logGroupFor(source),
          filterPattern: pattern,
          metricNamespace: this.metricNamespace,
          metricName: `${source}ErrorLines`,
          metricValue: '1',
          unit: cloudwatch.Unit.COUNT,
        });
        this.errorLineFilters.set(source, filter);
        this.metricFilters.push(filter);
      }
    }

    if (monitored.training && (props.deriveMetricFilters ?? true)) {
      this.deriveFilters();
    }

    (props.metricFilters ?? []).forEach((options, index) => {
      const { source, ...filterOptions } = options;
      this.metricFilters.push(new LogMetricFilter(this, `MetricFilter${index}`, {
        ...filterOptions,
        metricNamespace: filterOptions.metricNamespace ?? this.metricNamespace,
        logGroup: this.logGroupFor(source),
      }));
    });

    this.alarmTopic = props.alarmTopic ?? (props.createAlarmTopic ? this.createTopic(props.kmsKey) : undefined);
    if (this.alarmTopic && (props.notifyExecutionFailures ?? true)) {
      this.executionFailureRule = this.notifyFailures(this.alarmTopic);
    }
    if (props.alarms ?? props.alarmOptions !== undefined) {
      this.createAlarms(props.alarmOptions ?? {});
    }
    if (props.dashboard) {
      this.dashboard = this.createDashboard(props.dashboardName);
    }
  }

  /**
   * Failed executions (`AWS/States` `ExecutionsFailed`).
   *
   * @default - Sum over 5 minutes
   */
  public metricExecutionsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed(props);
  }

  /**
   * Succeeded executions (`AWS/States` `ExecutionsSucceeded`).
   *
   * @default - Sum over 5 minutes
   */
  public metricExecutionsSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded(props);
  }

  /**
   * Execution duration in milliseconds (`AWS/States` `ExecutionTime`).
   *
   * @default - Average over 5 minutes
   */
  public metricExecutionTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricTime(props);
  }

  /**
   * Endpoint requests (`AWS/SageMaker` `Invocations`).
   *
   * @default - Sum over 5 minutes
   */
  public metricEndpointInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireEndpoint('metricEndpointInvocations').metricInvocations(props);
  }

  /**
   * Model latency in microseconds (`AWS/SageMaker` `ModelLatency`).
   *
   * @default - Average over 5 minutes
   */
  public metricEndpointModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireEndpoint('metricEndpointModelLatency').metricModelLatency(props);
  }

  /**
   * Endpoint 4xx answers (`AWS/SageMaker` `Invocation4XXErrors`).
   *
   * @default - Sum over 5 minutes
   */
  public metricEndpointInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireEndpoint('metricEndpointInvocation4XXErrors').metricInvocation4XXErrors(props);
  }

  /**
   * Endpoint 5xx answers (`AWS/SageMaker` `Invocation5XXErrors`).
   *
   * @default - Sum over 5 minutes
   */
  public metricEndpointInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireEndpoint('metricEndpointInvocation5XXErrors').metricInvocation5XXErrors(props);
  }

  /**
   * Endpoint instances' CPU utilization (`/aws/sagemaker/Endpoints` `CPUUtilization`).
   *
   * @default - Average over 5 minutes
   */
  public metricEndpointCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireEndpoint('metricEndpointCpuUtilization').metricCpuUtilization(props);
  }

  /**
   * Endpoint instances' memory utilization (`/aws/sagemaker/Endpoints` `MemoryUtilization`).
   *
   * @default - Average over 5 minutes
   */
  public metricEndpointMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireEndpoint('metricEndpointMemoryUtilization').metricMemoryUtilization(props);
  }

  /**
   * A training metric definition across executions, as SageMaker publishes
   * it (a `SEARCH()` expression over `/aws/sagemaker/TrainingJobs`). For
   * dashboards only: alarms cannot use search expressions; use
   * `metricTrainingLogMetric` for alarms.
   *
   * @param metricName the definition's name
   * @default - Average over 5 minutes
   */
  public metricTrainingMetric(metricName: string, options?: TrainingMetricOptions): cloudwatch.SearchExpression {
    return this.trainingMetrics.metricAcrossExecutions(metricName, options);
  }

  /**
   * The metric of the filter derived from a training metric definition, for
   * alarms. Undefined when no filter was derived for it (not monitoring
   * training logs, or a definition a filter cannot express). It counts
   * matching lines of every training job in the account and region.
   *
   * @param metricName the definition's name
   * @default - Average over 5 minutes
   */
  public metricTrainingLogMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric | undefined {
    return this.derivedFilters.get(metricName)?.metric(props);
  }

  /**
   * Error lines counted in one SageMaker log group. Undefined when that
   * group has no error-line counter.
   *
   * @default - Sum over 5 minutes
   */
  public metricErrorLines(source: SageMakerLogSource, props?: cloudwatch.MetricOptions): cloudwatch.Metric | undefined {
    return this.errorLineFilters.get(source)?.metric(props);
  }

  private validate(props: PipelineMonitoringProps): void {
    const problems = new Problems();
    const needsEndpoint = (props.logs?.endpoint ?? false)
      || (props.metricFilters ?? []).some((f) => f.source === SageMakerLogSource.ENDPOINT);
    if (needsEndpoint && props.endpointName === undefined) {
      problems.addMessage('endpointName', 'is not set, and logs.endpoint or a metricFilters entry with source ENDPOINT needs it');
    }
    const names = new Set<string>();
    this.metricDefinitions.forEach((d, i) => {
      if (names.has(d.name)) problems.add(`metricDefinitions[${i}].name`, d.name, 'a name no other metric definition has');
      names.add(d.name);
    });
    const alarmOptions = props.alarmOptions ?? {};
    for (const key of ['failedExecutionsThreshold', 'endpoint5xxErrorsThreshold', 'errorLinesThreshold'] as const) {
      const v = alarmOptions[key];
      if (v !== undefined && !Token.isUnresolved(v) && !(v >= 1)) {
        problems.add(`alarmOptions.${key}`, v, 'at least 1');
      }
    }
    const ep = alarmOptions.evaluationPeriods;
    if (ep !== undefined && !Token.isUnresolved(ep) && !(Number.isInteger(ep) && ep >= 1)) {
      problems.add('alarmOptions.evaluationPeriods', ep, 'a whole number >= 1');
    }
    const period = alarmOptions.period;
    if (period !== undefined && !period.isUnresolved()) {
      const s = period.toSeconds();
      if (!([10, 30].includes(s) || (s >= 60 && s % 60 === 0))) {
        problems.add('alarmOptions.period', `${s} seconds`, 'CloudWatch alarms allow 10, 30 or a multiple of 60 seconds');
      }
    }
    if (props.alarmTopic && props.createAlarmTopic) {
      problems.addMessage('alarmTopic', 'and createAlarmTopic are both set; give a topic or ask for one, not both');
    }
    problems.throwIfAny(this);
  }

  private requireEndpoint(method: string): EndpointMetrics {
    if (!this.endpointMetrics) {
      const problems = new Problems();
      problems.addMessage('endpointName', `is not set, and ${method}() needs it`);
      problems.throwIfAny(this);
    }
    return this.endpointMetrics!;
  }

  private logGroupFor(source: SageMakerLogSource): SageMakerLogGroup {
    switch (source) {
      case SageMakerLogSource.TRAINING_JOBS:
        return SageMakerLogGroup.forTrainingJobs(this);
      case SageMakerLogSource.TRANSFORM_JOBS:
        return SageMakerLogGroup.forTransformJobs(this);
      case SageMakerLogSource.ENDPOINT:
        return SageMakerLogGroup.forEndpoint(this, this.endpointName!);
    }
  }

  private deriveFilters(): void {
    this.metricDefinitions.forEach((definition, index) => {
      const translation = translateMetricDefinition(definition);
      if (!translation.supported) {
        Annotations.of(this).addWarningV2(METRIC_FILTER_UNSUPPORTED_WARNING,
          `Training metric '${definition.name}' (regex '${definition.regex}') cannot become a CloudWatch Logs metric filter: ${translation.reason}. `
          + `SageMaker still publishes it as '${definition.name}' in namespace '/aws/sagemaker/TrainingJobs' (dimension TrainingJobName): `
          + `graph it with metricTrainingMetric('${definition.name}') (a SEARCH expression, dashboards only). `
          + 'To alarm on it, print the value as the last word of a line after a separate label (e.g. "accuracy: 0.93") '
          + 'and use a regex such as \'accuracy: ([0-9\\.]+)\'; or set deriveMetricFilters: false to silence this warning.');
        return;
      }
      const filter = new LogMetricFilter(this, `TrainingMetric${index}`, {
        logGroup: SageMakerLogGroup.forTrainingJobs(this),
        filterPattern: translation.filterPattern,
        metricNamespace: this.metricNamespace,
        metricName: filterMetricName(definition.name),
        metricValue: translation.metricValue,
      });
      this.derivedFilters.set(definition.name, filter);
      this.metricFilters.push(filter);
    });
  }

  private createTopic(key?: kms.IKey): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    if (key) {
      for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
        key.grant(new iam.ServicePrincipal(service), 'kms:Decrypt', 'kms:GenerateDataKey*');
      }
    }
    return topic;
  }

  private notifyFailures(topic: sns.ITopic): events.Rule {
    return new events.Rule(this, 'ExecutionFailed', {
      description: 'Notifies when an execution of the pipeline fails, times out or is aborted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
      targets: [new targets.SnsTopic(topic, {
        message: events.RuleTargetInput.fromText(
          `Pipeline execution ${events.EventField.fromPath('$.detail.name')} ended with status ${events.EventField.fromPath('$.detail.status')}: ${events.EventField.fromPath('$.detail.executionArn')}`,
        ),
      })],
    });
  }

  private createAlarms(options: PipelineAlarmOptions): void {
    const period = options.period ?? Duration.minutes(5);
    const evaluationPeriods = options.evaluationPeriods ?? 1;
    const add = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const alarm = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (this.alarmTopic) alarm.addAlarmAction(new cw_actions.SnsAction(this.alarmTopic));
      this.alarms.push(alarm);
    };

    add('ExecutionsFailedAlarm', this.metricExecutionsFailed({ period }), options.failedExecutionsThreshold ?? 1,
      'Pipeline executions failed');
    if (this.endpointMetrics) {
      add('Endpoint5xxErrorsAlarm', this.endpointMetrics.metricInvocation5XXErrors({ period }),
        options.endpoint5xxErrorsThreshold ?? 1, 'The endpoint answered requests with 5xx errors');
    }
    for (const [source, filter] of this.errorLineFilters) {
      add(`${source}ErrorLinesAlarm`, filter.metric({ period }), options.errorLinesThreshold ?? 1,
        `Error lines in the SageMaker ${source} logs (${filter.logGroup.logGroupName})`);
    }
  }

  private createDashboard(dashboardName?: string): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Executions',
        left: [this.metricExecutionsSucceeded(), this.metricExecutionsFailed()],
        right: [this.metricExecutionTime()],
        width: 12,
      }),
    );
    const trainingWidgets = this.metricDefinitions.map((d) => new cloudwatch.GraphWidget({
      title: `Training: ${d.name}`,
      left: [this.metricTrainingMetric(d.name)],
      width: 8,
    }));
    if (trainingWidgets.length > 0) dashboard.addWidgets(...trainingWidgets);
    if (this.endpointMetrics) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Endpoint invocations and errors',
          left: [this.endpointMetrics.metricInvocations()],
          right: [this.endpointMetrics.metricInvocation4XXErrors(), this.endpointMetrics.metricInvocation5XXErrors()],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Endpoint model latency (microseconds)',
          left: [this.endpointMetrics.metricModelLatency()],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Endpoint CPU and memory (%)',
          left: [this.endpointMetrics.metricCpuUtilization(), this.endpointMetrics.metricMemoryUtilization()],
          width: 8,
        }),
      );
    }
    const logMetrics = this.metricFilters.map((f) => f.metric({ label: f.metricName }));
    if (logMetrics.length > 0) {
      dashboard.addWidgets(new cloudwatch.GraphWidget({
        title: 'Log metric filters (error lines, derived training metrics)',
        left: logMetrics,
        width: 24,
      }));
    }
    return dashboard;
  }
}
