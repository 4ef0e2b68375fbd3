import { filterMetricName, translateMetricDefinition } from '../../src/monitoring/private/metric-definition-translator';

describe('translateMetricDefinition', () => {
  test.each([
    // [regex, expected pattern, position]
    ['accuracy: ([0-9\\.]+)', '[..., label1 = "accuracy:", value]', 'end'],
    ['loss ([0-9\\.]+)', '[..., label1 = "loss", value]', 'end'],
    ['accuracy = ([0-9\\.]+)', '[..., label1 = "accuracy", label2 = "=", value]', 'end'],
    ['validation accuracy:\\s+(\\d+\\.\\d+)', '[..., label1 = "validation", label2 = "accuracy:", value]', 'end'],
    ['val-loss:\\s(\\d+)$', '[..., label1 = "val-loss:", value]', 'end'],
    ['^loss: ([-+]?[0-9]*\\.?[0-9]+)', '[label1 = "loss:", value, ...]', 'start'],
    ['^loss: ([0-9\\.]+)$', '[label1 = "loss:", value]', 'whole-line'],
    ['epoch\\.loss ([0-9]+(?:\\.[0-9]+)?)', '[..., label1 = "epoch.loss", value]', 'end'],
  ])('GIVEN regex %p WHEN translated THEN the filter is %p', (regex, pattern, position) => {
    const result = translateMetricDefinition({ name: 'm', regex });
    expect(result.supported).toBe(true);
    if (!result.supported) return;
    expect(result.filterPattern.logPatternString).toBe(pattern);
    expect(result.metricValue).toBe('$value');
    expect(result.position).toBe(position);
  });

  test.each([
    ['accuracy=([0-9\\.]+)', /glued to the label \('accuracy=<value>'/],
    ['accuracy:([0-9\\.]+)', /glued to the label/],
    ['accuracy:\\s*([0-9\\.]+)', /optional/],
    ['accuracy: ([0-9\\.]+);', /text follows the value \(';'\)/],
    ['accuracy: (.*?)', /not recognised as a plain number/],
    ['accuracy: (\\S+)', /not recognised as a plain number/],
    ['acc(uracy)?: ([0-9\\.]+)', /2 capture groups/],
    ['accuracy: [0-9\\.]+', /0 capture groups/],
    ['(?:train|val) loss: ([0-9\\.]+)', /regex operator '\('/],
    ['\\w+ loss: ([0-9\\.]+)', /regex class '\\w'/],
    ['([0-9\\.]+)', /no label/],
    ['"acc": ([0-9\\.]+)', /treat specially/],
  ])('GIVEN regex %p WHEN translated THEN it is refused with a reason', (regex, reason) => {
    const result = translateMetricDefinition({ name: 'm', regex });
    expect(result.supported).toBe(false);
    if (result.supported) return;
    expect(result.reason).toMatch(reason);
  });

  test('metric names lose the characters metric filters reject', () => {
    // GIVEN / WHEN / THEN
    expect(filterMetricName('train:accuracy')).toBe('train_accuracy');
    expect(filterMetricName('a*b$c')).toBe('a_b_c');
  });
});
