/**
 * The progress bar of `byoa local transform` (INTERNAL to the CLI). On a
 * terminal it is one line redrawn in place with `\r`; other output (log
 * lines) clears it first and redraws it after. When stdout is not a
 * terminal it prints a progress line at most once per interval, plus a
 * final line.
 */
import type { ITransformProgressObserver, TransformProgress } from '../local/local-types';

/** Where the progress display writes. */
export interface ProgressSink {
  /** Writes `text` to stdout as is (no line break added). */
  write(text: string): void;
}

export interface TransformProgressDisplayOptions {
  /** Whether stdout is a terminal (redraw in place) or not (separate lines). */
  readonly tty: boolean;
  /** Least time between two lines when not on a terminal, in ms. @default 1000 */
  readonly intervalMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
  /** Characters of the bar. @default 24 */
  readonly width?: number;
}

/** Estimated fraction of the job that is done, from 0 to 1. */
export function progressFraction(p: TransformProgress): number {
  if (p.bytesTotal <= 0) return p.filesTotal > 0 ? p.filesDone / p.filesTotal : (p.finished ? 1 : 0);
  const read = Math.min(1, p.bytesRead / p.bytesTotal);
  const answered = p.recordsRead > 0 ? Math.min(1, p.recordsDone / p.recordsRead) : 0;
  return read * answered;
}

/**
 * One progress line: `Transform job: [#####-----]  50% 120 records, 85.3 records/s, 1/2 files, 3.4 s`.
 * It does not start with the `[job]` prefix of the container's log lines, so
 * it reads as the runner's own line among them.
 */
export function formatProgress(p: TransformProgress, width = 24): string {
  const fraction = progressFraction(p);
  const filled = Math.round(fraction * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `Transform ${p.jobName}: [${bar}] ${percent} ${p.recordsDone} records, ${p.recordsPerSecond.toFixed(1)} records/s, `
    + `${p.filesDone}/${p.filesTotal} files, ${p.elapsedSeconds.toFixed(1)} s`;
}

/** Shows transform progress events; see the module comment. */
export class TransformProgressDisplay implements ITransformProgressObserver {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private shown: string | undefined;
  private lastLineAt = -Infinity;
  private finished = false;

  constructor(private readonly sink: ProgressSink, private readonly options: TransformProgressDisplayOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  public onProgress(p: TransformProgress): void {
    if (this.finished) return;
    const line = formatProgress(p, this.options.width);
    if (p.finished) this.finished = true;
    if (this.options.tty) {
      this.sink.write(`\r${line}\x1b[K${p.finished ? '\n' : ''}`);
      this.shown = p.finished ? undefined : line;
      return;
    }
    const now = this.now();
    if (p.finished || now - this.lastLineAt >= this.intervalMs) {
      this.lastLineAt = now;
      this.sink.write(line + '\n');
    }
  }

  /** Runs `print` (which writes whole lines) with the in-place bar cleared, then redraws the bar. */
  public around(print: () => void): void {
    if (!this.shown) {
      print();
      return;
    }
    this.sink.write('\r\x1b[K');
    print();
    this.sink.write(this.shown + '\x1b[K');
  }

  /** Ends an in-place bar that never got its final event (the job failed to run). */
  public close(): void {
    if (this.shown) this.sink.write('\n');
    this.shown = undefined;
    this.finished = true;
  }
}
