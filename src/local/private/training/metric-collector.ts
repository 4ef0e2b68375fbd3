/**
 * SageMaker metric definitions applied to log lines (INTERNAL), by local
 * training jobs and by `byoa cloud` as it follows a training job's logs.
 *
 * The regexes are the user's, and a JavaScript regex cannot be interrupted:
 * one with nested quantifiers (`(a+)+$`) can take seconds or hours on one
 * unlucky line. So they run off the main thread, in a worker, and a regex
 * that spends more than the time limit on one line is dropped (the worker
 * is replaced, the lines in hand are matched again without it) and named in
 * a warning. The main thread, which handles Ctrl-C and streams the logs,
 * never waits for a regex. Points arrive through `onMetric`, in log order,
 * shortly after their line; `flush()` waits for every accepted line.
 */
import { Worker } from 'worker_threads';
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

export interface MetricCollectorOptions {
  /** Receives every point, in log order. */
  readonly onMetric?: (point: MetricPoint) => void;
  /** Receives the warning about a regex that was dropped because it was too slow. */
  readonly onWarning?: (message: string) => void;
  /** The time one regex may spend on one line, in ms. @default 1000 */
  readonly lineTimeLimitMs?: number;
}

/** Lines sent to the worker at once. */
const BATCH_LINES = 1000;
/** Longest part of a slow line quoted in the warning. */
const QUOTED_CHARS = 120;

/** Slots of the shared state the worker writes and the watchdog reads. */
const STEP = 0;
const BATCH = 1;
const LINE = 2;
const DEFINITION = 3;

/*
 * The worker: compiles the definitions it is given, matches batches of lines
 * and answers [line index, definition index, captured text] triples. Before
 * each match it records in shared memory the batch, line and definition it
 * is on and bumps a step counter, so that the main thread can tell a stuck
 * regex from a slow start and name it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
const state = new Int32Array(workerData.state);
const regexes = workerData.definitions.map((d) => (d ? new RegExp(d.source, d.flags) : undefined));
parentPort.on('message', ({ batch, lines }) => {
  const found = [];
  Atomics.store(state, ${BATCH}, batch);
  for (let i = 0; i < lines.length; i++) {
    for (let j = 0; j < regexes.length; j++) {
      const regex = regexes[j];
      if (!regex) continue;
      Atomics.store(state, ${LINE}, i);
      Atomics.store(state, ${DEFINITION}, j);
      Atomics.add(state, ${STEP}, 1);
      const m = regex.exec(lines[i]);
      if (m && m[1] !== undefined) found.push(i, j, m[1]);
    }
  }
  parentPort.postMessage({ batch, found });
});
`;
interface Definition {
  readonly name: string;
  readonly regex: RegExp;
  /** False once dropped for being too slow. */
  active: boolean;
}

interface AcceptedLine {
  readonly line: string;
  readonly host: string;
  readonly timestamp: Date;
}

/**
 * Applies `{ Name, Regex }` definitions to every log line: the first capture
 * group, parsed as a number, is the value (as SageMaker does). Keeps the
 * whole time series and the last value per metric. See the module comment.
 */
export class MetricCollector {
  public readonly series: MetricPoint[] = [];
  private readonly definitions: Definition[];
  private readonly last = new Map<string, MetricPoint>();
  private readonly limitMs: number;
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * 4));
  private readonly queue: AcceptedLine[] = [];
  private worker?: Worker;
  private inFlight?: { readonly batch: number; readonly lines: AcceptedLine[] };
  private batches = 0;
  private watchdog?: NodeJS.Timeout;
  /** The step counter at the watchdog's last look. */
  private lastStep = -1;
  private idle: (() => void)[] = [];
  private closed = false;

  constructor(definitions: { Name?: string; Regex?: string }[] | undefined, private readonly options: MetricCollectorOptions = {}) {
    this.limitMs = options.lineTimeLimitMs ?? 1000;
    this.definitions = (definitions ?? []).map((d, i) => {
      if (!d.Name || !d.Regex) {
        throw new LocalModeError(`MetricDefinitions[${i}] needs both Name and Regex (got ${JSON.stringify(d)}).`);
      }
      try {
        // SageMaker's regexes are Python's: (?P<name>...), (?P=name), \A, \Z, leading (?i).
        return { name: d.Name, regex: compilePythonRegex(d.Regex), active: true };
      } catch (e) {
        throw new LocalModeError(`The regex of metric '${d.Name}' does not compile: ${(e as Error).message}.`);
      }
    });
  }

  /** Feed one log line; its points come through `onMetric` once it is matched. */
  public accept(line: string, host: string, timestamp: Date = new Date()): void {
    if (this.closed || !this.definitions.some((d) => d.active)) return;
    this.queue.push({ line, host, timestamp });
    if (!this.inFlight) this.sendNext();
  }

  /** Resolves when every line accepted so far is matched and its points delivered. */
  public flush(): Promise<void> {
    if (!this.inFlight && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** The last value of each metric that was seen, in definition order. */
  public finalMetrics(): MetricPoint[] {
    return this.definitions.map((d) => this.last.get(d.name)).filter((p): p is MetricPoint => p !== undefined);
  }

  /** Stops the worker; lines not matched yet are dropped. */
  public close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.inFlight = undefined;
    this.stopWorker();
    this.settle();
  }

  private sendNext(): void {
    if (this.closed || this.queue.length === 0) {
      this.settle();
      return;
    }
    const lines = this.queue.splice(0, BATCH_LINES);
    this.send({ batch: ++this.batches, lines });
  }

  private send(inFlight: { batch: number; lines: AcceptedLine[] }): void {
    this.inFlight = inFlight;
    const worker = this.worker ?? this.startWorker();
    // Lines in hand keep the process alive until they are matched (flush() may be all that waits).
    worker.ref();
    worker.postMessage({ batch: inFlight.batch, lines: inFlight.lines.map((l) => l.line) });
    this.lastStep = -1;
    if (!this.watchdog) {
      this.watchdog = setInterval(() => this.check(), this.limitMs);
      this.watchdog.unref();
    }
  }

  private startWorker(): Worker {
    const definitions = this.definitions.map((d) => (d.active ? { source: d.regex.source, flags: d.regex.flags.replace(/[gy]/g, '') } : null));
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { state: this.state.buffer, definitions } });
    worker.on('message', (m: { batch: number; found: (number | string)[] }) => this.receive(worker, m));
    worker.on('error', (e) => this.replaceWorker(worker, `failed on one log line (${e.message})`));
    // A worker that ends on its own (not by stopWorker) would leave flush() waiting: a failure of the regex it was on.
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      if (this.inFlight) this.replaceWorker(worker, `stopped its worker (exit code ${code}) on one log line`);
      else this.stopWorker();
    });
    // An idle collector does not keep the process alive (see settle()); after the listeners, as adding a 'message' one refs the worker.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private receive(worker: Worker, m: { batch: number; found: (number | string)[] }): void {
    if (worker !== this.worker || m.batch !== this.inFlight?.batch) return;
    const lines = this.inFlight.lines;
    for (let k = 0; k < m.found.length; k += 3) {
      const captured = String(m.found[k + 2]).trim();
      const value = Number(captured);
      if (captured === '' || !Number.isFinite(value)) continue;
      const line = lines[m.found[k] as number];
      const point: MetricPoint = { metricName: this.definitions[m.found[k + 1] as number].name, value, timestamp: line.timestamp, host: line.host };
      this.series.push(point);
      this.last.set(point.metricName, point);
      this.options.onMetric?.(point);
    }
    this.inFlight = undefined;
    this.sendNext();
  }

  /** Every interval: a worker on this batch that has not moved since the last look is stuck on one regex. */
  private check(): void {
    if (!this.inFlight) return;
    const step = Atomics.load(this.state, STEP);
    if (step === this.lastStep && Atomics.load(this.state, BATCH) === this.inFlight.batch) {
      this.replaceWorker(this.worker!, `took more than ${this.limitMs / 1000} s on one log line`);
      return;
    }
    this.lastStep = step;
  }

  /** Drops the regex the worker is on, names it, and matches the lines in hand again without it. */
  private replaceWorker(worker: Worker, what: string): void {
    if (worker !== this.worker || !this.inFlight) return;
    if (Atomics.load(this.state, BATCH) !== this.inFlight.batch) {
      // It failed before it started on these lines: no regex to blame, so none is trusted.
      this.stopWorker();
      this.inFlight = undefined;
      this.queue.length = 0;
      for (const d of this.definitions) d.active = false;
      this.options.onWarning?.(`The metric definitions are no longer applied to this job's logs: their worker thread ${what.replace(/ on one log line$/, '')} `
        + 'before it matched any line.');
      this.settle();
      return;
    }
    const definition = this.definitions[Atomics.load(this.state, DEFINITION)];
    const line = this.inFlight.lines[Atomics.load(this.state, LINE)];
    definition.active = false;
    this.stopWorker();
    const quoted = line.line.length > QUOTED_CHARS ? `${line.line.slice(0, QUOTED_CHARS)}...` : line.line;
    this.options.onWarning?.(`The regex of metric '${definition.name}' (${definition.regex.source}) ${what} of ${line.host} `
      + `(${JSON.stringify(quoted)}), so it is no longer applied to this job's logs. `
      + 'A regex with nested quantifiers such as (a+)+ or (.*)* can take exponential time: write it so that each part can match in one way only.');
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    if (!this.definitions.some((d) => d.active)) {
      this.queue.length = 0;
      this.settle();
      return;
    }
    this.send(inFlight);
  }

  private stopWorker(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  /** Once nothing is left to match: the watchdog rests, and the flush() waiters are resolved. */
  private settle(): void {
    if (this.inFlight || this.queue.length) return;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.worker?.unref();
    const waiters = this.idle;
    this.idle = [];
    waiters.forEach((w) => w());
  }
}
