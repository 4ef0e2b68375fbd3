/**
 * SageMaker metric definitions applied to log lines (INTERNAL).
 */
import { compilePythonRegex } from '../../../private/python-regex';
import { LocalModeError } from '../../errors';

/** One value of one metric. */
export interface MetricPoint {
  readonly metricName: string;
  readonly value: number;
  readonly timestamp: Date;
  /** Host (`algo-N`) whose log line held the value. */
  readonly host: string;
}

/**
 * Applies `{ Name, Regex }` definitions to every log line: the first capture
 * group, parsed as a number, is the value (as SageMaker does). Keeps the
 * whole time series and the last value per metric.
 */
export class MetricCollector {
  public readonly series: MetricPoint[] = [];
  private readonly definitions: { name: string; regex: RegExp }[];
  private readonly last = new Map<string, MetricPoint>();

  constructor(definitions: { Name?: string; Regex?: string }[] | undefined) {
    this.definitions = (definitions ?? []).map((d, i) => {
      if (!d.Name || !d.Regex) {
        throw new LocalModeError(`MetricDefinitions[${i}] needs both Name and Regex (got ${JSON.stringify(d)}).`);
      }
      try {
        // SageMaker's regexes are Python's: (?P<name>...), (?P=name), \A, \Z, leading (?i).
        return { name: d.Name, regex: compilePythonRegex(d.Regex) };
      } catch (e) {
        throw new LocalModeError(`The regex of metric '${d.Name}' does not compile: ${(e as Error).message}.`);
      }
    });
  }

  /** Feed one log line; returns the points it produced (usually none). */
  public accept(line: string, host: string, timestamp: Date = new Date()): MetricPoint[] {
    if (this.definitions.length === 0) { return []; }
    const points: MetricPoint[] = [];
    for (const def of this.definitions) {
      const m = def.regex.exec(line);
      if (!m || m[1] === undefined) { continue; }
      const value = Number(m[1].trim());
      if (m[1].trim() === '' || !Number.isFinite(value)) { continue; }
      const point = { metricName: def.name, value, timestamp, host };
      this.series.push(point);
      this.last.set(def.name, point);
      points.push(point);
    }
    return points;
  }

  /** The last value of each metric that was seen, in definition order. */
  public finalMetrics(): MetricPoint[] {
    return this.definitions.map((d) => this.last.get(d.name)).filter((p): p is MetricPoint => p !== undefined);
  }
}
