import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LogMetricFilter, LogMetricFilterBaseOptions, SageMakerLogGroup } from '../../src/monitoring';

function filterOn(stack: Stack, options: LogMetricFilterBaseOptions): LogMetricFilter {
  return new LogMetricFilter(stack, 'Filter', { logGroup: SageMakerLogGroup.forTrainingJobs(stack), ...options });
}

describe('LogMetricFilter', () => {
  test('creates the filter with the given settings and a default namespace', () => {
    // GIVEN
    const stack = new Stack();

    // WHEN
    filterOn(stack, {
      filterPattern: logs.FilterPattern.spaceDelimited('...', 'label', 'latency').whereString('label', '=', 'latency:'),
      metricName: 'Latency',
      metricValue: '$latency',
      unit: cloudwatch.Unit.MILLISECONDS,
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: '/aws/sagemaker/TrainingJobs',
      FilterPattern: '[..., label = "latency:", latency]',
      MetricTransformations: [{
        MetricNamespace: 'SageMakerByoa',
        MetricName: 'Latency',
        MetricValue: '$latency',
        Unit: 'Milliseconds',
      }],
    });
  });

  test('metric() sums counters and averages values over 5 minutes', () => {
    // GIVEN
    const stack = new Stack();
    const counter = new LogMetricFilter(stack, 'C', {
      logGroup: SageMakerLogGroup.forTrainingJobs(stack), filterPattern: logs.FilterPattern.anyTerm('ERROR'), metricName: 'Errors',
    });
    const value = new LogMetricFilter(stack, 'V', {
      logGroup: SageMakerLogGroup.forTrainingJobs(stack),
      filterPattern: logs.FilterPattern.numberValue('$.loss', '>=', 0),
      metricName: 'Loss',
      metricValue: '$.loss',
      metricNamespace: 'Mine',
    });

    // WHEN
    const c = counter.metric();
    const v = value.metric();

    // THEN
    expect(c.statistic).toBe('Sum');
    expect(c.period.toMinutes()).toBe(5);
    expect(c.namespace).toBe('SageMakerByoa');
    expect(v.statistic).toBe('Average');
    expect(v.namespace).toBe('Mine');
    expect(v.metricName).toBe('Loss');
  });

  test('accepts JSON dimensions', () => {
    // GIVEN
    const stack = new Stack();

    // WHEN
    filterOn(stack, {
      filterPattern: logs.FilterPattern.stringValue('$.level', '=', 'ERROR'),
      metricName: 'Errors',
      dimensions: { Component: '$.component' },
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::MetricFilter', {
      MetricTransformations: [{ Dimensions: [{ Key: 'Component', Value: '$.component' }] }],
    });
  });

  describe('validation', () => {
    test.each<[string, Partial<LogMetricFilterBaseOptions>, RegExp]>([
      ['pattern length', { filterPattern: logs.FilterPattern.literal('x'.repeat(1025)) },
        /filterPattern is 1025 characters long \('x{60}\.\.\.'\); CloudWatch Logs allows at most 1024/],
      ['regex term count', { filterPattern: logs.FilterPattern.literal('[a=%x%, b=%y%, c=%z%]') },
        /filterPattern '\[a=%x%, b=%y%, c=%z%\]' has 3 %regex% terms \(%x%, %y%, %z%\); CloudWatch Logs allows at most 2 per pattern/],
      ['parentheses in regex', { filterPattern: logs.FilterPattern.literal('%(ERROR|WARN)%') },
        /filterPattern regex term '%\(ERROR\|WARN\)%' contains parentheses/],
      ['dimension count', {
        filterPattern: logs.FilterPattern.spaceDelimited('a', 'b', 'c', 'd'),
        dimensions: { A: '$a', B: '$b', C: '$c', D: '$d' },
      }, /dimensions has 4 entries \(A, B, C, D\); CloudWatch Logs allows at most 3/],
      ['dimensions on a text pattern', { filterPattern: logs.FilterPattern.anyTerm('ERROR'), dimensions: { A: '$a' } },
        /dimensions \(A\) need a JSON \('\{ \.\.\. \}'\) or space-delimited \('\[ \.\.\. \]'\) filterPattern, got '"ERROR"'/],
      ['dimension naming a missing field', { filterPattern: logs.FilterPattern.spaceDelimited('a', 'b'), dimensions: { A: '$zz' } },
        /dimensions.A '\$zz' names no field of filterPattern '\[a, b\]' \(fields: a, b\)/],
      ['JSON dimension on a space-delimited pattern', { filterPattern: logs.FilterPattern.spaceDelimited('a'), dimensions: { A: '$.a' } },
        /dimensions.A '\$.a' reads a JSON field, but filterPattern '\[a\]' is not a JSON pattern/],
      ['default value with dimensions', {
        filterPattern: logs.FilterPattern.spaceDelimited('a'), dimensions: { A: '$a' }, defaultValue: 0,
      }, /defaultValue \(0\) cannot be combined with dimensions \(A\)/],
      ['metric value not a field or number', { metricValue: 'one' },
        /metricValue 'one' is neither a number, a '\$field' \(space-delimited\) nor a '\$.field' \(JSON\) reference/],
      ['metric value field on a text pattern', { metricValue: '$x' },
        /metricValue '\$x' reads a space-delimited field, but filterPattern '"ERROR"' is not a space-delimited pattern/],
      ['metric name characters', { metricName: 'train:accuracy' },
        /metricName 'train:accuracy' contains ':', '\*' or '\$'/],
      ['metric name length', { metricName: 'm'.repeat(256) }, /metricName 'm+' is 256 characters long; CloudWatch allows 1-255/],
      ['namespace reserved prefix', { metricNamespace: 'AWS/SageMaker' }, /metricNamespace 'AWS\/SageMaker' starts with 'AWS\/'/],
    ])('rejects %s', (_rule, overrides, message) => {
      // GIVEN
      const stack = new Stack();

      // WHEN / THEN
      expect(() => filterOn(stack, {
        filterPattern: logs.FilterPattern.anyTerm('ERROR'),
        metricName: 'Errors',
        ...overrides,
      })).toThrow(message);
    });

    test('reports every problem at once, naming the filter', () => {
      // GIVEN
      const stack = new Stack();

      // WHEN / THEN
      expect(() => filterOn(stack, {
        filterPattern: logs.FilterPattern.anyTerm('ERROR'),
        metricName: 'a:b',
        metricNamespace: 'AWS/x',
      })).toThrow(/Default\/Filter: invalid configuration \(2 problems\):\n {2}- metricNamespace .*\n {2}- metricName/);
    });

    test('ignores % inside quoted strings when counting regex terms', () => {
      // GIVEN
      const stack = new Stack();

      // WHEN / THEN
      expect(() => filterOn(stack, {
        filterPattern: logs.FilterPattern.literal('"100%" %a% %b%'),
        metricName: 'Full',
      })).not.toThrow();
    });
  });
});
