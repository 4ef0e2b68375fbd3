import { MetricCollector } from '../../../../src/local/private/training/metric-collector';

describe('metric collector', () => {
  test('a Python-syntax regex is translated and applied to log lines (as SageMaker applies it)', () => {
    // GIVEN
    const collector = new MetricCollector([
      { Name: 'loss', Regex: '(?i)\\Aepoch \\d+: loss=(?P<loss>[0-9.]+)' },
      { Name: 'acc', Regex: 'acc=(?P<acc>[0-9.]+)' },
    ]);
    // WHEN
    collector.accept('Epoch 1: LOSS=0.5 acc=0.7', 'algo-1');
    collector.accept('note: epoch 2: loss=0.1', 'algo-1');
    // THEN
    expect(collector.finalMetrics().map((p) => [p.metricName, p.value])).toEqual([['loss', 0.5], ['acc', 0.7]]);
  });
});
