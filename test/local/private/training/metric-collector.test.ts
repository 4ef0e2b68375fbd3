import { MetricCollector, MetricPoint } from '../../../../src/local/private/training/metric-collector';

/** A line on which `^(a+)+$` backtracks for hours: 40 `a`s and a `!`. */
const CATASTROPHIC_LINE = 'a'.repeat(40) + '!';

function collect(definitions: { Name: string; Regex: string }[], lineTimeLimitMs?: number) {
  const points: MetricPoint[] = [];
  const warnings: string[] = [];
  const collector = new MetricCollector(definitions, { onMetric: (p) => points.push(p), onWarning: (w) => warnings.push(w), lineTimeLimitMs });
  return { collector, points, warnings };
}

describe('metric collector', () => {
  test('a Python-syntax regex is translated and applied to log lines (as SageMaker applies it)', async () => {
    // GIVEN
    const { collector, points } = collect([
      { Name: 'loss', Regex: '(?i)\\Aepoch \\d+: loss=(?P<loss>[0-9.]+)' },
      { Name: 'acc', Regex: 'acc=(?P<acc>[0-9.]+)' },
    ]);
    // WHEN
    collector.accept('Epoch 1: LOSS=0.5 acc=0.7', 'algo-1');
    collector.accept('note: epoch 2: loss=0.1', 'algo-1');
    await collector.flush();
    collector.close();
    // THEN
    expect(collector.finalMetrics().map((p) => [p.metricName, p.value])).toEqual([['loss', 0.5], ['acc', 0.7]]);
    expect(points.map((p) => [p.metricName, p.value, p.host])).toEqual([['loss', 0.5, 'algo-1'], ['acc', 0.7, 'algo-1']]);
  });

  test('points come in log order, with the timestamp and host of their line, across many batches', async () => {
    const { collector, points } = collect([{ Name: 'step', Regex: 'step=(\\d+)' }]);
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 5000; i++) collector.accept(i % 2 ? `step=${i}` : 'noise', `algo-${1 + (i % 3)}`, new Date(t0 + i));
    await collector.flush();
    collector.close();
    expect(points).toHaveLength(2500);
    expect(points.every((p, k) => p.value === 2 * k + 1 && p.timestamp.getTime() === t0 + p.value && p.host === `algo-${1 + (p.value % 3)}`)).toBe(true);
    expect(collector.series).toHaveLength(2500);
  });

  test('a capture that is not a number gives no point', async () => {
    const { collector, points } = collect([{ Name: 'm', Regex: 'm=(\\S*)' }]);
    for (const line of ['m=abc', 'm=', 'm=1e3', 'm=NaN', 'm=-0.25']) collector.accept(line, 'algo-1');
    await collector.flush();
    collector.close();
    expect(points.map((p) => p.value)).toEqual([1000, -0.25]);
  });

  test('a regex that takes too long on a line is dropped and named; the others go on, and the main thread is never blocked', async () => {
    // GIVEN a catastrophic regex between two good ones
    const { collector, points, warnings } = collect([
      { Name: 'before', Regex: 'before=([0-9.]+)' },
      { Name: 'slow', Regex: '^(a+)+$' },
      { Name: 'after', Regex: 'after=([0-9.]+)' },
    ], 200);
    // and a timer that measures how late the main thread runs it
    let worstLagMs = 0;
    let expected = Date.now() + 20;
    const ticker = setInterval(() => {
      worstLagMs = Math.max(worstLagMs, Date.now() - expected);
      expected = Date.now() + 20;
    }, 20);
    const started = Date.now();
    // WHEN the slow line comes between lines with values
    collector.accept('before=1 after=2', 'algo-1');
    collector.accept(CATASTROPHIC_LINE, 'algo-2');
    collector.accept('before=3 after=4', 'algo-1');
    await collector.flush();
    clearInterval(ticker);
    collector.close();
    // THEN the others' points are all there, once each, in order
    expect(points.map((p) => [p.metricName, p.value])).toEqual([['before', 1], ['after', 2], ['before', 3], ['after', 4]]);
    // and the warning names the metric, the regex, the host and the line
    expect(warnings).toEqual([
      `The regex of metric 'slow' (^(a+)+$) took more than 0.2 s on one log line of algo-2 ("${CATASTROPHIC_LINE}"), so it is no longer applied to this job's logs. `
        + 'A regex with nested quantifiers such as (a+)+ or (.*)* can take exponential time: write it so that each part can match in one way only.',
    ]);
    // it was dropped within twice the limit (plus a worker start), and the main thread kept running timers
    expect(Date.now() - started).toBeLessThan(5000);
    expect(worstLagMs).toBeLessThan(1000);
    // later lines are matched without it
    collector.accept(CATASTROPHIC_LINE, 'algo-1');
    await collector.flush();
  });

  test('when the only regex is dropped, later lines are no longer matched', async () => {
    // GIVEN a regex that is exponential on 40 digits and a '!', and captures a number otherwise
    const { collector, warnings } = collect([{ Name: 'slow', Regex: '^(\\d+)+$' }], 100);
    collector.accept('1'.repeat(40) + '!', 'algo-1');
    await collector.flush();
    // WHEN a line comes that it would match
    collector.accept('123', 'algo-1');
    await collector.flush();
    // THEN it gave no point: the regex is no longer applied
    expect(warnings).toHaveLength(1);
    expect(collector.series).toEqual([]);
    collector.close();
  });

  test('a worker that dies while it matches does not leave flush() waiting: the regex it was on is dropped and named', async () => {
    // GIVEN a regex that keeps the worker busy, and a limit long enough that the watchdog does not act first
    const { collector, points, warnings } = collect([
      { Name: 'slow', Regex: '^(a+)+$' },
      { Name: 'ok', Regex: 'ok=(\\d+)' },
    ], 60_000);
    collector.accept(CATASTROPHIC_LINE, 'algo-1');
    collector.accept('ok=7', 'algo-1');
    await new Promise((r) => setTimeout(r, 300));
    // WHEN its thread ends (as a crash or an out-of-memory kill would end it)
    await (collector as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await collector.flush();
    collector.close();
    // THEN
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^The regex of metric 'slow' \(\^\(a\+\)\+\$\) stopped its worker \(exit code 1\) on one log line of algo-1/);
    expect(points.map((p) => [p.metricName, p.value])).toEqual([['ok', 7]]);
  });

  test('a definition without Name or Regex, or one that does not compile, is refused up front', () => {
    expect(() => new MetricCollector([{ Name: 'x' }])).toThrow('MetricDefinitions[0] needs both Name and Regex (got {"Name":"x"}).');
    expect(() => new MetricCollector([{ Name: 'x', Regex: '(' }])).toThrow(/^The regex of metric 'x' does not compile: /);
  });
});
