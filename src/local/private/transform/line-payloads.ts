import type { BufferPool } from './buffer-pool';
import { oversizedRecordMessage, Payload, PayloadSink } from './packing';
import { LocalModeError } from '../../errors';

const LF = 0x0a;
const CR = 0x0d;
const NEWLINE = Buffer.from('\n');

export interface LinePayloadOptions {
  /** Maximum request body in bytes; 0 = no limit. */
  readonly maxPayloadBytes: number;
  /** Names the input in error messages. */
  readonly inputName: string;
  /**
   * Bodies are copied into buffers of this pool (of `maxPayloadBytes + 1`
   * bytes) as the lines are read, and keep no view of a chunk once `push`
   * returns, so the reader may reuse its chunk buffer. @default - bodies
   * are views of the chunks, or joined from them
   */
  readonly pool?: BufferPool;
}

/**
 * The fast path of SplitType Line + MultiRecord (without an InputFilter or
 * a join): cuts a byte stream straight into request bodies, with exactly
 * the result of `LineRecordSplitter` + `PayloadPacker` (one record per line
 * without its `\n` or `\r\n`, empty lines skipped, each record followed by
 * `\n`, as many whole records per body as fit in `maxPayloadBytes`, a lone
 * record of exactly the limit sent without its `\n`, a record over the limit
 * an error), but without an object per record: it scans for `\n` with
 * `Buffer.indexOf`, counts records, and sends runs of clean lines (no
 * `\r\n`, no empty line between them) as slices of the chunk they were read
 * in. Only bodies that span two chunks, or hold `\r\n` or empty lines, are
 * copied once. With a pool (the engine's, for a payload limit), every body
 * is copied once, run by run, into a reused buffer instead.
 */
export class LinePayloadCutter {
  /** Records (non-empty lines) seen so far. */
  public records = 0;
  private readonly max: number;
  /** Finished slices of the body being packed. */
  private pieces: Buffer[] = [];
  private bytes = 0;
  private count = 0;
  /** The open run of clean lines in the current chunk: [runStart, runEnd), or runEnd -1. */
  private runStart = 0;
  private runEnd = -1;
  /** A line that started in an earlier chunk and has no `\n` yet. */
  private partial: Buffer[] = [];
  /** With a pool: the body being packed, filled up to `filled`. */
  private body: Buffer | undefined;
  private filled = 0;

  /** See {@link LinePayloadOptions.pool}. */
  public get copiesChunks(): boolean {
    return this.options.pool !== undefined;
  }

  constructor(private readonly options: LinePayloadOptions) {
    this.max = options.maxPayloadBytes > 0 ? options.maxPayloadBytes : Number.POSITIVE_INFINITY;
  }

  /** Feeds the next chunk; calls `sink` for every body completed by it. */
  public push(chunk: Buffer, sink: PayloadSink): void {
    let pos = 0;
    if (this.partial.length > 0) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        this.partial.push(this.kept(chunk));
        return;
      }
      this.partial.push(chunk.subarray(0, nl));
      const line = Buffer.concat(this.partial);
      this.partial = [];
      this.addDetached(line, sink);
      pos = nl + 1;
    }
    const max = this.max;
    let nl = chunk.indexOf(LF, pos);
    while (nl >= 0) {
      const end = nl > pos && chunk[nl - 1] === CR ? nl - 1 : nl;
      const length = end - pos;
      if (length > 0) {
        this.records++;
        if (length > max) throw this.oversized(length);
        if (this.count > 0 && this.bytes + length + 1 > max) {
          this.closeRun(chunk);
          this.emit(sink);
        }
        if (this.runEnd !== pos) {
          this.closeRun(chunk);
          this.runStart = pos;
        }
        if (end === nl) {
          this.runEnd = nl + 1;
        } else {
          // `\r\n`: the record without its `\r`, then a `\n`.
          this.runEnd = end;
          this.closeRun(chunk);
          this.append(NEWLINE);
        }
        this.bytes += length + 1;
        this.count++;
      }
      pos = nl + 1;
      nl = chunk.indexOf(LF, pos);
    }
    this.closeRun(chunk);
    if (pos < chunk.length) this.partial.push(this.kept(chunk.subarray(pos)));
  }

  /** Signals the end of the input: the last line (even without `\n`) and the last body. */
  public end(sink: PayloadSink): void {
    if (this.partial.length > 0) {
      const line = this.partial.length === 1 ? this.partial[0] : Buffer.concat(this.partial);
      this.partial = [];
      this.addDetached(line, sink);
    }
    if (this.count > 0) this.emit(sink);
  }

  /** Adds one line that is not part of a chunk's run (it spanned chunks, or is the last one). */
  private addDetached(line: Buffer, sink: PayloadSink): void {
    const length = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    if (length === 0) return;
    this.records++;
    if (length > this.max) throw this.oversized(length);
    if (this.count > 0 && this.bytes + length + 1 > this.max) this.emit(sink);
    this.append(length === line.length ? line : line.subarray(0, length));
    this.append(NEWLINE);
    this.bytes += length + 1;
    this.count++;
  }

  private closeRun(chunk: Buffer): void {
    if (this.runEnd < 0) return;
    this.append(chunk.subarray(this.runStart, this.runEnd));
    this.runEnd = -1;
  }

  /** Adds bytes to the body being packed. */
  private append(bytes: Buffer): void {
    const pool = this.options.pool;
    if (!pool) {
      this.pieces.push(bytes);
      return;
    }
    if (!this.body) this.body = pool.take(pool.capacity);
    bytes.copy(this.body, this.filled);
    this.filled += bytes.length;
  }

  /** A view of the chunk to keep past `push`: a copy when the chunk is reused. */
  private kept(view: Buffer): Buffer {
    return this.options.pool ? Buffer.from(view) : view;
  }

  private emit(sink: PayloadSink): void {
    let body: Buffer;
    if (this.body) {
      body = this.body.subarray(0, this.filled);
      this.body = undefined;
      this.filled = 0;
    } else {
      body = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, this.bytes);
    }
    // A lone record of exactly the limit is sent without its `\n`.
    if (body.length > this.max) body = body.subarray(0, body.length - 1);
    const payload: Payload = { body, records: this.count };
    this.pieces = [];
    this.bytes = 0;
    this.count = 0;
    sink(payload);
  }

  private oversized(length: number): LocalModeError {
    return new LocalModeError(oversizedRecordMessage(this.records, this.options.inputName, length, this.options.maxPayloadBytes));
  }
}
