import { LocalModeError } from '../../errors';

/** One request body and the records it carries. */
export interface Payload {
  /** The bytes to POST. */
  readonly body: Buffer;
  /** How many records it carries. */
  readonly records: number;
  /** The original (unfiltered) records, kept only when a join needs them. */
  readonly originals?: Buffer[];
}

/** The failure of a record larger than the payload limit (SageMaker fails the job for it). */
export function oversizedRecordMessage(recordNumber: number, inputName: string, recordBytes: number, maxPayloadBytes: number): string {
  return `Record ${recordNumber} of '${inputName}' is ${recordBytes} bytes, larger than MaxPayloadInMB allows (${maxPayloadBytes} bytes). ` +
    'Raise MaxPayloadInMB (up to 100), split the input into smaller records, or set MaxPayloadInMB to 0 (no limit) with SplitType None.';
}

/** Receives each finished payload, in input order. */
export type PayloadSink = (payload: Payload) => void;

export interface PackerOptions {
  /** `SingleRecord` (one record per request) or `MultiRecord`. */
  readonly multiRecord: boolean;
  /** Maximum request body in bytes; 0 = no limit. */
  readonly maxPayloadBytes: number;
  /** Bytes written after each record in a MultiRecord body (`\n` for SplitType Line); none for framed records. */
  readonly separator?: Buffer;
  /** Whether to keep the original records (for `JoinSource: Input`). */
  readonly keepOriginals: boolean;
  /** Names the input in error messages. */
  readonly inputName: string;
}

/**
 * Packs the records of ONE input file into request bodies: one record each
 * (SingleRecord), or as many whole records as fit in `maxPayloadBytes`
 * BYTES, separators included (MultiRecord). A record larger than the limit
 * is an error: SageMaker fails the job for it.
 */
export class PayloadPacker {
  private parts: Buffer[] = [];
  private originals: Buffer[] = [];
  private bytes = 0;
  private count = 0;
  private seen = 0;
  private readonly separatorLength: number;

  constructor(private readonly options: PackerOptions) {
    this.separatorLength = options.separator?.length ?? 0;
  }

  /** Adds a record (already filtered); `original` is the record as read. */
  public add(record: Buffer, original: Buffer, sink: PayloadSink): void {
    this.seen++;
    const max = this.options.maxPayloadBytes;
    if (max > 0 && record.length > max) {
      throw new LocalModeError(oversizedRecordMessage(this.seen, this.options.inputName, record.length, max));
    }
    if (!this.options.multiRecord) {
      sink({ body: record, records: 1, originals: this.options.keepOriginals ? [original] : undefined });
      return;
    }
    const size = record.length + this.separatorLength;
    if (this.count > 0 && max > 0 && this.bytes + size > max) {
      this.flush(sink);
    }
    this.parts.push(record);
    if (this.separatorLength > 0) this.parts.push(this.options.separator!);
    if (this.options.keepOriginals) this.originals.push(original);
    this.bytes += size;
    this.count++;
  }

  /** Emits the records still pending (call at the end of the file). */
  public flush(sink: PayloadSink): void {
    if (this.count === 0) return;
    let body = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes);
    // A lone record of exactly the limit is sent without its separator.
    const max = this.options.maxPayloadBytes;
    if (max > 0 && body.length > max) body = body.subarray(0, body.length - this.separatorLength);
    sink({ body, records: this.count, originals: this.options.keepOriginals ? this.originals : undefined });
    this.parts = [];
    this.originals = [];
    this.bytes = 0;
    this.count = 0;
  }
}
