/**
 * When a payload of one input file may be sent (INTERNAL): the request
 * slots (`MaxConcurrentTransforms` requests in flight, shared by every file
 * of the job) and, per file, a window of payloads ahead of the last answer
 * written, so that answers waiting for an earlier one (see
 * `ordered-writer.ts`) cannot pile up, nor answers waiting for the disk.
 *
 * Nothing is allocated for a payload that need not wait: {@link admit}
 * returns a promise only when it has to wait.
 */
import type { OrderedWriter } from './ordered-writer';

/** Counting semaphore for the requests in flight (shared by every file). */
export class RequestSlots {
  private readonly waiters: Array<() => void> = [];

  constructor(private available: number) {}

  /** Takes a slot: undefined when one was free, else a promise that resolves with one. */
  public acquire(): Promise<void> | undefined {
    if (this.available > 0) {
      this.available--;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Gives a slot back (to the first waiter, if any). */
  public release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}

export interface DispatchWindowOptions {
  /** The job's request slots. */
  readonly slots: RequestSlots;
  /** The file's writer: the window is counted from the last answer it wrote. */
  readonly writer: OrderedWriter;
  /** Payloads that may be sent ahead of the last answer written. */
  readonly size: number;
  /** Bytes waiting to be written beyond which sending waits for the disk. */
  readonly maxQueuedWriteBytes: number;
}

/** See the module comment. */
export class DispatchWindow {
  /** The sequence number of the next payload. */
  private next = 0;
  private wake?: () => void;
  private closed = false;

  constructor(private readonly o: DispatchWindowOptions) {}

  /**
   * Numbers the next payload and takes a request slot for it once the
   * window and the writer allow. Returns its sequence number when it may go
   * at once, else a promise of it.
   */
  public admit(): number | Promise<number> {
    const seq = this.next++;
    if (this.mustWait(seq)) return this.waitFor(seq);
    const slot = this.o.slots.acquire();
    return slot ? slot.then(() => seq) : seq;
  }

  /** The writer moved on, or the file failed: a payload waiting for the window looks again. */
  public advance(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** The file failed: nothing waits for the window any more (slots are still taken, so that the caller can give them back). */
  public close(): void {
    this.closed = true;
    this.advance();
  }

  private mustWait(seq: number): boolean {
    return (seq - this.o.writer.written >= this.o.size && !this.closed) || this.o.writer.queuedBytes > this.o.maxQueuedWriteBytes;
  }

  private async waitFor(seq: number): Promise<number> {
    while (seq - this.o.writer.written >= this.o.size && !this.closed) {
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
    if (this.o.writer.queuedBytes > this.o.maxQueuedWriteBytes) await this.o.writer.whenWritten();
    const slot = this.o.slots.acquire();
    if (slot) await slot;
    return seq;
  }
}
