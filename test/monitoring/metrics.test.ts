import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { EndpointMetrics, TrainingMetrics } from '../../src/monitoring';

describe('EndpointMetrics', () => {
  test.each([
    ['metricInvocations', 'AWS/SageMaker', 'Invocations', 'Sum'],
    ['metricModelLatency', 'AWS/SageMaker', 'ModelLatency', 'Average'],
    ['metricInvocation4XXErrors', 'AWS/SageMaker', 'Invocation4XXErrors', 'Sum'],
    ['metricInvocation5XXErrors', 'AWS/SageMaker', 'Invocation5XXErrors', 'Sum'],
    ['metricCpuUtilization', '/aws/sagemaker/Endpoints', 'CPUUtilization', 'Average'],
    ['metricMemoryUtilization', '/aws/sagemaker/Endpoints', 'MemoryUtilization', 'Average'],
  ] as const)('%s is %s %s, %s over 5 minutes, per endpoint and variant', (method, namespace, name, statistic) => {
    // GIVEN
    const metrics = new EndpointMetrics({ endpointName: 'iris' });

    // WHEN
    const metric = metrics[method]();

    // THEN
    expect(metric.namespace).toBe(namespace);
    expect(metric.metricName).toBe(name);
    expect(metric.statistic).toBe(statistic);
    expect(metric.period.toMinutes()).toBe(5);
    expect(metric.dimensions).toEqual({ EndpointName: 'iris', VariantName: 'AllTraffic' });
  });

  test('props override the defaults', () => {
    // GIVEN
    const metrics = new EndpointMetrics({ endpointName: 'iris', variantName: 'blue' });

    // WHEN
    const metric = metrics.metricModelLatency({ statistic: 'p99', period: Duration.minutes(1) });

    // THEN
    expect(metric.statistic).toBe('p99');
    expect(metric.period.toMinutes()).toBe(1);
    expect(metric.dimensions).toEqual({ EndpointName: 'iris', VariantName: 'blue' });
  });
});

describe('TrainingMetrics', () => {
  test('searches a metric definition across every execution', () => {
    // GIVEN
    const metrics = new TrainingMetrics({ trainingJobNamePrefix: 'iris-train' });

    // WHEN
    const search = metrics.metricAcrossExecutions('train:accuracy');

    // THEN
    expect(search.expression).toBe(
      'SEARCH(\'{"/aws/sagemaker/TrainingJobs",TrainingJobName} MetricName="train:accuracy" TrainingJobName=iris-train\', \'Average\')',
    );
    expect(search.period.toMinutes()).toBe(5);
    expect(search.label).toBe('train:accuracy');
  });

  test('without a prefix, searches every training job', () => {
    // GIVEN / WHEN
    const search = new TrainingMetrics().metricAcrossExecutions('loss', { statistic: 'Maximum', period: Duration.minutes(1) });

    // THEN
    expect(search.expression).toBe('SEARCH(\'{"/aws/sagemaker/TrainingJobs",TrainingJobName} MetricName="loss"\', \'Maximum\')');
    expect(search.period.toMinutes()).toBe(1);
  });

  test('rejects a prefix that would break the search expression', () => {
    expect(() => new TrainingMetrics({ trainingJobNamePrefix: "a' b" }))
      .toThrow(/trainingJobNamePrefix: "a' b" is not valid; allowed: letters, digits, '-', '_' and '.' only/);
  });

  test('rejects a metric name with quotes', () => {
    expect(() => new TrainingMetrics().metricAcrossExecutions('a"b'))
      .toThrow(/metricName: "a\\"b" is not valid; allowed: a name without quotes/);
  });

  test('CloudWatch alarms refuse the search expression', () => {
    // GIVEN
    const stack = new Stack();
    const search = new TrainingMetrics().metricAcrossExecutions('loss');

    // WHEN / THEN
    expect(() => new cloudwatch.Alarm(stack, 'A', { metric: search, threshold: 1, evaluationPeriods: 1 }))
      .toThrow(/Search expressions are not supported in CloudWatch Alarms/);
  });
});
