/**
 * The records of a transform job (INTERNAL): every input file read in
 * chunks, (gunzipped,) cut into payloads by its feed (`payload-feed.ts`),
 * sent by the {@link Invoker} when the {@link DispatchWindow} allows, and
 * the answers, assembled by {@link AnswerAssembly}, written in input order
 * by the {@link OrderedWriter}. Up to MaxConcurrentTransforms files are
 * transformed at once, sharing the request slots. Reports progress.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Readable, pipeline } from 'stream';
import * as zlib from 'zlib';
import { AnswerAssembly } from './answer-assembly';
import { BufferPool } from './buffer-pool';
import type { DataProcessor } from './data-processing';
import { DispatchWindow, RequestSlots } from './dispatch-window';
import type { ExecutionParameters } from './execution-parameters';
import { FileFailure } from './file-failure';
import type { TransformInputFile } from './inputs';
import { Invoker } from './invoker';
import { OrderedWriter } from './ordered-writer';
import type { Payload } from './packing';
import { createPayloadFeed, PayloadFeed } from './payload-feed';
import { LocalModeError } from '../../errors';
import type { TransformProgress } from '../../local-types';
import type { ServingContainer } from '../serving/serving-container';

const MB = 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
/** zlib's default (16 KiB) would cut the decompressed stream into many small chunks. */
const GUNZIP_CHUNK_BYTES = 256 * 1024;
/** Answers waiting to be written beyond this make the reader wait for the disk. */
const MAX_QUEUED_WRITE_BYTES = 4 * MB;
/**
 * The payload bytes a file may have ahead of its last answer written (see
 * windowSize): with large payloads the window holds fewer of them, so that
 * what is queued does not grow with the payload limit or the input.
 */
const WINDOW_BYTES = 24 * MB;
const PROGRESS_INTERVAL_MS = 200;

export interface EngineOptions {
  readonly jobName: string;
  readonly serving: ServingContainer;
  readonly params: ExecutionParameters;
  readonly splitType: string;
  readonly gzip: boolean;
  readonly assembleLines: boolean;
  readonly contentType?: string;
  readonly accept?: string;
  readonly dataProcessor?: DataProcessor;
  readonly retries: number;
  readonly timeoutMs: number;
  readonly retryDelayMs: (attempt: number) => number;
  readonly outputDir: string;
  readonly inputs: TransformInputFile[];
  readonly onProgress?: (progress: TransformProgress) => void;
  readonly fastLinePath: boolean;
}

/** The outcome of one input file. */
export interface TransformFileResult {
  /** Relative path of the input. */
  readonly input: string;
  /** The `.out` file (only when the input succeeded). */
  readonly output?: string;
  readonly records: number;
  readonly failureReason?: string;
}

/** See the module comment. */
export class TransformEngine {
  public recordsDone = 0;
  public recordsRead = 0;
  public bytesRead = 0;
  public readonly slots: RequestSlots;
  public readonly invoker: Invoker;
  /** MultiRecord with a payload limit: reused buffers for bodies (the limit + 1 byte) and for answers of half the limit or more. */
  public readonly bodies?: BufferPool;
  public readonly answers?: BufferPool;
  private filesDone = 0;
  private lastProgressAt = 0;
  private readonly bytesTotal: number;

  constructor(public readonly o: EngineOptions) {
    this.slots = new RequestSlots(o.params.maxConcurrentTransforms);
    const maxPayloadBytes = o.params.maxPayloadInMB * MB;
    if (o.params.multiRecord && maxPayloadBytes > 0) {
      // Every buffer in use is held by a request in flight or a payload in a window.
      const keep = o.params.maxConcurrentTransforms + windowSize(o.params.maxConcurrentTransforms, maxPayloadBytes);
      this.bodies = new BufferPool(maxPayloadBytes + 1, keep);
      this.answers = new BufferPool(maxPayloadBytes, keep);
    }
    const answers = this.answers;
    const assembly = new AnswerAssembly({
      assembleLines: o.assembleLines,
      perLineOutput: o.params.multiRecord && o.splitType !== 'None',
      dataProcessor: o.dataProcessor,
    });
    this.invoker = new Invoker({
      serving: o.serving,
      assembly,
      contentType: o.contentType,
      accept: o.accept,
      retries: o.retries,
      timeoutMs: o.timeoutMs,
      retryDelayMs: o.retryDelayMs,
      // Small answers are not worth a buffer of the payload limit.
      allocateAnswer: answers && ((length) => (length >= answers.capacity / 2 && length <= answers.capacity
        ? answers.take(length)
        : Buffer.allocUnsafe(length))),
    });
    this.bytesTotal = o.inputs.reduce((sum, f) => sum + f.size, 0);
  }

  /** Transforms every input; resolves with each file's outcome, in input order. */
  public async run(): Promise<TransformFileResult[]> {
    const results: TransformFileResult[] = new Array(this.o.inputs.length);
    let next = 0;
    const workers = Math.max(1, Math.min(this.o.params.maxConcurrentTransforms, this.o.inputs.length));
    const worker = async () => {
      while (next < this.o.inputs.length) {
        const index = next++;
        results[index] = await new FileTransform(this, this.o.inputs[index]).run();
        this.filesDone++;
        this.progress(false);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    this.progress(true);
    return results;
  }

  /** Reports progress, at most every PROGRESS_INTERVAL_MS until the final event. */
  public progress(finished: boolean): void {
    if (!this.o.onProgress) return;
    const now = Date.now();
    if (!finished && now - this.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    this.lastProgressAt = now;
    const firstRequestAt = this.invoker.firstRequestAt;
    const elapsedSeconds = firstRequestAt ? (now - firstRequestAt) / 1000 : 0;
    this.o.onProgress({
      jobName: this.o.jobName,
      recordsDone: this.recordsDone,
      recordsRead: this.recordsRead,
      bytesRead: this.bytesRead,
      bytesTotal: this.bytesTotal,
      filesDone: this.filesDone,
      filesTotal: this.o.inputs.length,
      requests: this.invoker.requests,
      recordsPerSecond: elapsedSeconds > 0 ? this.recordsDone / elapsedSeconds : 0,
      elapsedSeconds,
      finished,
    });
  }
}

/**
 * Payloads a file may send ahead of its last answer written: four per
 * request slot, as long as they fit in WINDOW_BYTES at the payload limit,
 * and never fewer than the slots plus one (every slot busy while one
 * answer waits for its turn).
 */
export function windowSize(concurrency: number, maxPayloadBytes: number): number {
  const fitting = maxPayloadBytes > 0 ? Math.floor(WINDOW_BYTES / maxPayloadBytes) : 0;
  return Math.max(concurrency + 1, Math.min(concurrency * 4, fitting));
}

/**
 * One input file: reads it, sends its payloads, and ends with its `.out`
 * file or its failure. Per request there is one promise for the answer and
 * one handler: no promise, closure or timer of its own unless the request
 * has to wait.
 */
class FileTransform {
  private readonly feed: PayloadFeed;
  private readonly writer: OrderedWriter;
  private readonly window: DispatchWindow;
  /** The first failure: no more payloads are sent, and the file is discarded. */
  private failure?: Error;
  /** A bug (not a failure of the input or of the container): rethrown once the requests in flight are done. */
  private unexpected?: unknown;
  /** Records cut into payloads so far (the number of the next payload's first record is this + 1). */
  private recordIndex = 0;
  private inFlight = 0;
  /** Wakes the wait for the last request in flight. */
  private onIdle?: () => void;
  private readonly pending: Payload[] = [];
  /** Records of the feed already added to the engine's count. */
  private counted = 0;

  constructor(private readonly engine: TransformEngine, private readonly input: TransformInputFile) {
    const o = engine.o;
    const answers = engine.answers;
    this.feed = createPayloadFeed({
      splitType: o.splitType,
      multiRecord: o.params.multiRecord,
      maxPayloadBytes: o.params.maxPayloadInMB * MB,
      dataProcessor: o.dataProcessor,
      inputName: input.relativePath,
      fastLinePath: o.fastLinePath,
      bodyPool: engine.bodies,
    });
    this.writer = new OrderedWriter(
      path.join(o.outputDir, ...input.relativePath.split('/')) + '.out',
      () => this.window.advance(),
      (e) => this.fail(this.writeFailure(e)),
      answers && ((parts) => parts.forEach((part) => answers.give(part))),
    );
    this.window = new DispatchWindow({
      slots: engine.slots,
      writer: this.writer,
      size: windowSize(o.params.maxConcurrentTransforms, o.params.maxPayloadInMB * MB),
      maxQueuedWriteBytes: MAX_QUEUED_WRITE_BYTES,
    });
  }

  /** The feed's sink: payloads are sent after each chunk (see sendPending). */
  private readonly onPayload = (p: Payload) => { this.pending.push(p); };

  public async run(): Promise<TransformFileResult> {
    const input = this.input;
    try {
      await this.readAndSend();
    } catch (e) {
      this.fail(e instanceof LocalModeError ? e : new LocalModeError(`Could not read '${input.relativePath}': ${(e as Error).message}`));
    }
    while (this.inFlight > 0) await new Promise<void>((resolve) => { this.onIdle = resolve; });
    if (this.unexpected) {
      await this.writer.close();
      throw this.unexpected;
    }
    if (!this.failure) this.writer.flush();
    await this.writer.whenWritten();
    // Also a write that failed just now, when the last answers were written.
    const failure = this.failure;
    if (failure) {
      await this.writer.discard();
      const reason = failure instanceof FileFailure || failure instanceof LocalModeError ? failure.message : String(failure);
      return { input: input.relativePath, records: this.feed.records, failureReason: `Input '${input.relativePath}' failed: ${reason}` };
    }
    return { input: input.relativePath, output: await this.writer.commit(), records: this.feed.records };
  }

  /** Feeds the chunks of the file, sending the payloads cut from each, until the end or the first failure. */
  private async readAndSend(): Promise<void> {
    if (this.feed.copiesChunks && !this.engine.o.gzip) {
      if (!await this.readIntoOneBuffer()) return;
    } else {
      const stream = this.openInput();
      for await (const chunk of stream) {
        if (!this.engine.o.gzip) this.engine.bytesRead += (chunk as Buffer).length;
        if (!await this.take(chunk as Buffer)) {
          stream.destroy();
          return;
        }
      }
    }
    try {
      this.feed.end(this.onPayload);
    } finally {
      this.countRecords();
    }
    await this.sendPending();
  }

  /**
   * Reads the file into one buffer, reused for every chunk: the feed keeps
   * no view of a chunk. False when a failure stopped it.
   */
  private async readIntoOneBuffer(): Promise<boolean> {
    const handle = await fs.promises.open(this.input.path, 'r');
    try {
      const buffer = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) return true;
        this.engine.bytesRead += bytesRead;
        if (!await this.take(buffer.subarray(0, bytesRead))) return false;
      }
    } finally {
      await handle.close();
    }
  }

  /** Feeds one chunk and sends the payloads cut from it; false once the file has failed. */
  private async take(chunk: Buffer): Promise<boolean> {
    try {
      this.feed.push(chunk, this.onPayload);
    } finally {
      this.countRecords();
    }
    await this.sendPending();
    return !this.failure;
  }

  private openInput(): Readable {
    const file = fs.createReadStream(this.input.path, { highWaterMark: READ_CHUNK_BYTES });
    if (!this.engine.o.gzip) return file;
    file.on('data', (chunk) => { this.engine.bytesRead += chunk.length; });
    return pipeline(file, zlib.createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), () => { /* errors surface in the iteration */ });
  }

  private countRecords(): void {
    this.engine.recordsRead += this.feed.records - this.counted;
    this.counted = this.feed.records;
  }

  /** Dispatches the payloads cut so far, in order, stopping at the first failure. */
  private async sendPending(): Promise<void> {
    for (const payload of this.pending) {
      const firstRecord = this.recordIndex + 1;
      this.recordIndex += payload.records;
      const admitted = this.window.admit();
      if (typeof admitted === 'number') this.launch(payload, admitted, firstRecord);
      else this.launch(payload, await admitted, firstRecord);
      if (this.failure) break;
    }
    this.pending.length = 0;
  }

  /** Sends a payload that holds a request slot. */
  private launch(payload: Payload, seq: number, firstRecord: number): void {
    if (this.failure) {
      this.engine.slots.release();
      return;
    }
    this.inFlight++;
    this.engine.invoker.send(payload, firstRecord).then(
      (parts) => {
        this.engine.bodies?.give(payload.body);
        this.answered(payload, seq, parts);
      },
      (e: Error) => {
        this.engine.bodies?.give(payload.body);
        this.fail(e);
        this.settle();
      },
    );
  }

  private answered(payload: Payload, seq: number, parts: Buffer[]): void {
    try {
      this.engine.recordsDone += payload.records;
      try {
        this.writer.put(seq, parts);
      } catch (e) {
        this.fail(this.writeFailure(e as Error));
      }
      this.engine.progress(false);
    } catch (e) {
      this.unexpected = this.unexpected ?? e;
    } finally {
      this.settle();
    }
  }

  /** A request is over: its slot goes back, and the wait for the last one may end. */
  private settle(): void {
    this.engine.slots.release();
    this.inFlight--;
    if (this.inFlight === 0 && this.onIdle) {
      const wake = this.onIdle;
      this.onIdle = undefined;
      wake();
    }
  }

  private fail(e: Error): void {
    this.failure = this.failure ?? e;
    this.writer.abort();
    this.window.close();
  }

  private writeFailure(e: Error): LocalModeError {
    return new LocalModeError(`Could not write the output of '${this.input.relativePath}': ${e.message}`);
  }
}
