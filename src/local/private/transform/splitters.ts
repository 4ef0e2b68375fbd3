import { LocalModeError } from '../../errors';

/** Receives each record a splitter finds, in input order. */
export type RecordSink = (record: Buffer) => void;

/**
 * Splits a byte stream into records as chunks arrive (streaming: a file is
 * never read whole unless `SplitType` is `None`). Emitted buffers may share
 * memory with the pushed chunks; they are not modified afterwards.
 */
export interface RecordSplitter {
  /** Feeds the next chunk; calls `sink` for every record completed by it. */
  push(chunk: Buffer, sink: RecordSink): void;
  /** Signals the end of the input; emits what is left or throws if a record is truncated. */
  end(sink: RecordSink): void;
}

/** Creates the splitter for a `SplitType`: None | Line | RecordIO | TFRecord. */
export function createSplitter(splitType: string | undefined): RecordSplitter {
  switch (splitType ?? 'None') {
    case 'None': return new WholeSplitter();
    case 'Line': return new LineRecordSplitter();
    case 'RecordIO': return new FramedSplitter('RecordIO', measureRecordIo);
    case 'TFRecord': return new FramedSplitter('TFRecord', measureTfRecord);
    default:
      throw new LocalModeError(`TransformInput.SplitType '${splitType}' is not valid: use None, Line, RecordIO or TFRecord.`);
  }
}

/** SplitType None: the whole input is one record (an empty input is none). */
class WholeSplitter implements RecordSplitter {
  private readonly chunks: Buffer[] = [];
  public push(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  public end(sink: RecordSink): void {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks.length = 0;
    if (all.length > 0) sink(all);
  }
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * SplitType Line: one record per line, without its `\n` (or `\r\n`)
 * terminator; empty lines are skipped, and a last line without terminator
 * is a record too.
 */
export class LineRecordSplitter implements RecordSplitter {
  private pending: Buffer[] = [];

  public push(chunk: Buffer, sink: RecordSink): void {
    let start = 0;
    let nl = chunk.indexOf(LF, start);
    if (nl >= 0 && this.pending.length > 0) {
      this.pending.push(chunk.subarray(0, nl));
      this.emit(Buffer.concat(this.pending), sink);
      this.pending = [];
      start = nl + 1;
      nl = chunk.indexOf(LF, start);
    }
    while (nl >= 0) {
      this.emit(chunk.subarray(start, nl), sink);
      start = nl + 1;
      nl = chunk.indexOf(LF, start);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  public end(sink: RecordSink): void {
    if (this.pending.length > 0) {
      this.emit(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending), sink);
      this.pending = [];
    }
  }

  private emit(line: Buffer, sink: RecordSink): void {
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    if (end > 0) sink(end === line.length ? line : line.subarray(0, end));
  }
}

/**
 * Size of the framed record starting at `pos`: a positive length, or a
 * negative number `-n` meaning "at least n bytes from pos are needed".
 */
type Measure = (data: Buffer, pos: number) => number;

const RECORDIO_MAGIC = 0xced7230a;
const TWO_POW_29 = 2 ** 29;

/**
 * MXNet RecordIO: each part is `uint32 magic 0xced7230a`, `uint32 lrecord`
 * (upper 3 bits: continuation flag, lower 29 bits: length), the data, then
 * padding to a multiple of 4 bytes, all little-endian. A logical record is
 * one part with flag 0, or parts flagged 1 (start), 2 (middle)..., 3 (end).
 * The record handed to the model is the framed bytes, as SageMaker sends them.
 */
export const measureRecordIo: Measure = (data, pos) => {
  let offset = pos;
  let first = true;
  while (true) {
    if (data.length - offset < 8) return -(offset - pos + 8);
    const magic = data.readUInt32LE(offset);
    if (magic !== RECORDIO_MAGIC) {
      throw new LocalModeError(`Invalid RecordIO data at byte ${offset}: expected the magic number 0xced7230a, found 0x${magic.toString(16).padStart(8, '0')}. Is SplitType 'RecordIO' right for this input?`);
    }
    const lrecord = data.readUInt32LE(offset + 4);
    const flag = Math.floor(lrecord / TWO_POW_29);
    const length = lrecord % TWO_POW_29;
    const partEnd = offset + 8 + Math.ceil(length / 4) * 4;
    if (first ? flag !== 0 && flag !== 1 : flag !== 2 && flag !== 3) {
      throw new LocalModeError(`Invalid RecordIO data at byte ${offset}: unexpected continuation flag ${flag}.`);
    }
    if (flag === 0 || flag === 3) {
      return data.length >= partEnd ? partEnd - pos : -(partEnd - pos);
    }
    if (data.length < partEnd) return -(partEnd - pos + 8);
    offset = partEnd;
    first = false;
  }
};

/**
 * TFRecord: `uint64 length`, `uint32 masked CRC32C of length`, data,
 * `uint32 masked CRC32C of data`, little-endian. CRCs are not verified.
 */
export const measureTfRecord: Measure = (data, pos) => {
  if (data.length - pos < 12) return -12;
  const length = Number(data.readBigUInt64LE(pos));
  if (!Number.isSafeInteger(length) || length > 2 ** 40) {
    throw new LocalModeError(`Invalid TFRecord data at byte ${pos}: record length ${length} is not plausible. Is SplitType 'TFRecord' right for this input?`);
  }
  return 12 + length + 4;
};

class FramedSplitter implements RecordSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private needed = 0;
  private consumed = 0;

  constructor(private readonly name: string, private readonly measure: Measure) {}

  public push(chunk: Buffer, sink: RecordSink): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    const data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    let pos = 0;
    while (pos < data.length) {
      const size = this.measure(data, pos);
      if (size < 0 || pos + size > data.length) {
        this.needed = size < 0 ? -size : size;
        break;
      }
      sink(data.subarray(pos, pos + size));
      pos += size;
      this.needed = 0;
    }
    this.consumed += pos;
    const rest = data.subarray(pos);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  public end(sink: RecordSink): void {
    this.needed = 0;
    this.push(Buffer.alloc(0), sink);
    if (this.buffered > 0) {
      throw new LocalModeError(`Truncated ${this.name} data: the input ends inside a record that starts at byte ${this.consumed}.`);
    }
  }
}
