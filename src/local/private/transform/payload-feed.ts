import type { BufferPool } from './buffer-pool';
import { DataProcessor } from './data-processing';
import { LinePayloadCutter } from './line-payloads';
import { PayloadPacker, PayloadSink } from './packing';
import { createSplitter, RecordSink, RecordSplitter } from './splitters';

/** Turns the chunks of ONE input file into request bodies, in input order. */
export interface PayloadFeed {
  /** Records read so far (after SplitType splitting, empty lines skipped). */
  readonly records: number;
  /** Whether the feed keeps no view of a chunk once `push` returns (the reader may reuse the chunk's buffer). */
  readonly copiesChunks: boolean;
  /** Feeds the next chunk; calls `sink` for every payload completed by it. Throws on invalid input. */
  push(chunk: Buffer, sink: PayloadSink): void;
  /** Signals the end of the input; emits what is left. Throws on invalid input. */
  end(sink: PayloadSink): void;
}

export interface PayloadFeedOptions {
  readonly splitType: string;
  readonly multiRecord: boolean;
  /** Maximum request body in bytes; 0 = no limit. */
  readonly maxPayloadBytes: number;
  readonly dataProcessor?: DataProcessor;
  /** Names the input in error messages. */
  readonly inputName: string;
  /** Whether SplitType Line + MultiRecord may use {@link LinePayloadCutter}. @default true */
  readonly fastLinePath?: boolean;
  /** Buffers of `maxPayloadBytes + 1` bytes for the bodies of {@link LinePayloadCutter} (with a payload limit only). */
  readonly bodyPool?: BufferPool;
}

const NEWLINE = Buffer.from('\n');
const ignorePayload: PayloadSink = () => undefined;

/**
 * The feed for a file: {@link LinePayloadCutter} for SplitType Line +
 * MultiRecord when records go out unchanged (no InputFilter, no join), else
 * the general path (splitter, InputFilter, packer), record by record.
 */
export function createPayloadFeed(options: PayloadFeedOptions): PayloadFeed {
  const dp = options.dataProcessor;
  if ((options.fastLinePath ?? true) && options.splitType === 'Line' && options.multiRecord && !dp?.changesInput && !dp?.needsInput) {
    const pool = options.maxPayloadBytes > 0 && options.bodyPool?.capacity === options.maxPayloadBytes + 1 ? options.bodyPool : undefined;
    return new LinePayloadCutter({ maxPayloadBytes: options.maxPayloadBytes, inputName: options.inputName, pool });
  }
  return new RecordFeed(options);
}

/** The general path: one `Buffer` per record, filtered, then packed. */
class RecordFeed implements PayloadFeed {
  public records = 0;
  public readonly copiesChunks = false;
  private readonly splitter: RecordSplitter;
  private readonly packer: PayloadPacker;
  private sink: PayloadSink = ignorePayload;
  private readonly onRecord: RecordSink;

  constructor(options: PayloadFeedOptions) {
    const dp = options.dataProcessor;
    this.splitter = createSplitter(options.splitType);
    this.packer = new PayloadPacker({
      multiRecord: options.multiRecord && options.splitType !== 'None',
      maxPayloadBytes: options.maxPayloadBytes,
      separator: options.splitType === 'Line' ? NEWLINE : undefined,
      keepOriginals: dp?.needsInput ?? false,
      inputName: options.inputName,
    });
    this.onRecord = dp?.changesInput
      ? (record) => { this.records++; this.packer.add(dp.prepareInput(record), record, this.sink); }
      : (record) => { this.records++; this.packer.add(record, record, this.sink); };
  }

  public push(chunk: Buffer, sink: PayloadSink): void {
    this.sink = sink;
    this.splitter.push(chunk, this.onRecord);
  }

  public end(sink: PayloadSink): void {
    this.sink = sink;
    this.splitter.end(this.onRecord);
    this.packer.flush(sink);
  }
}
