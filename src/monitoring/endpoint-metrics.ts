import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

import { DEFAULT_VARIANT_NAME } from '../private/sagemaker-limits';

/** Properties of `EndpointMetrics`. */
export interface EndpointMetricsProps {
  /** The endpoint name; may be a token. */
  readonly endpointName: string;

  /**
   * The production variant whose metrics to read.
   *
   * @default 'AllTraffic'
   */
  readonly variantName?: string;
}

/**
 * CloudWatch metrics of a SageMaker real-time endpoint variant, shaped like
 * `@aws-cdk/aws-sagemaker-alpha`'s endpoint variant metric methods.
 *
 * Invocation metrics are in `AWS/SageMaker`, instance metrics in
 * `/aws/sagemaker/Endpoints`; both with dimensions `EndpointName` and
 * `VariantName`. Every metric has a 5-minute period unless overridden.
 */
export class EndpointMetrics {
  /** Default production variant name, `AllTraffic`. */
  public static readonly DEFAULT_VARIANT_NAME = DEFAULT_VARIANT_NAME;

  /** The endpoint name. */
  public readonly endpointName: string;
  /** The production variant name. */
  public readonly variantName: string;

  constructor(props: EndpointMetricsProps) {
    this.endpointName = props.endpointName;
    this.variantName = props.variantName ?? DEFAULT_VARIANT_NAME;
  }

  /**
   * Any metric of this variant.
   *
   * @param metricNamespace `AWS/SageMaker` or `/aws/sagemaker/Endpoints`
   * @param metricName the metric
   * @default - Average over 5 minutes
   */
  public metric(metricNamespace: string, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: metricNamespace,
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.variantName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Number of requests sent to the variant (`AWS/SageMaker` `Invocations`).
   *
   * @default - Sum over 5 minutes
   */
  public metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('AWS/SageMaker', 'Invocations', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * Time the model container took to respond, in microseconds
   * (`AWS/SageMaker` `ModelLatency`).
   *
   * @default - Average over 5 minutes
   */
  public metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('AWS/SageMaker', 'ModelLatency', props);
  }

  /**
   * Requests answered with a 4xx status (`AWS/SageMaker` `Invocation4XXErrors`).
   *
   * @default - Sum over 5 minutes
   */
  public metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('AWS/SageMaker', 'Invocation4XXErrors', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * Requests answered with a 5xx status (`AWS/SageMaker` `Invocation5XXErrors`).
   *
   * @default - Sum over 5 minutes
   */
  public metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('AWS/SageMaker', 'Invocation5XXErrors', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  /**
   * CPU utilization of the variant's instances, in percent of one core times
   * the number of cores (`/aws/sagemaker/Endpoints` `CPUUtilization`).
   *
   * @default - Average over 5 minutes
   */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('/aws/sagemaker/Endpoints', 'CPUUtilization', props);
  }

  /**
   * Memory utilization of the variant's instances, in percent
   * (`/aws/sagemaker/Endpoints` `MemoryUtilization`).
   *
   * @default - Average over 5 minutes
   */
  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('/aws/sagemaker/Endpoints', 'MemoryUtilization', props);
  }
}
