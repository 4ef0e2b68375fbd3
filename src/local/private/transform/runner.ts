/**
 * Runs one `CreateTransformJobRequest` against a local `IMAGE serve`
 * container, reproducing SageMaker batch transform (INTERNAL; the public
 * entry point is `DockerRunner.transform`).
 *
 * The job's folder (`TransformOutput.S3OutputPath` of the description: the
 * `.out` files and description.json) comes from `../work-dir.ts`.
 *
 * The pipeline is streaming: each file is read in chunks, (gunzipped,)
 * split into records, filtered, packed into payloads and sent with up to
 * MaxConcurrentTransforms requests in flight over keep-alive connections;
 * answers are written (asynchronously, in input order) to a temp file
 * renamed to `.out` only when the whole file succeeded. SplitType Line +
 * MultiRecord without InputFilter or join takes a fast path that cuts
 * payloads straight from the bytes read, with the same results (see
 * `payload-feed.ts`).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Readable, pipeline } from 'stream';
import { setTimeout as sleep } from 'timers/promises';
import * as zlib from 'zlib';
import type { ContainerDefinition, CreateModelInput, CreateTransformJobRequest, DescribeTransformJobResponse } from '@aws-sdk/client-sagemaker';
import { DataProcessor } from './data-processing';
import { ExecutionParameters, parseBatchStrategy, resolveExecutionParameters, validateRequestedParameters } from './execution-parameters';
import { resolveTransformInputs, TransformInputFile } from './inputs';
import { transformDescription, transformFailureReason } from './outcome';
import { Payload } from './packing';
import { createPayloadFeed } from './payload-feed';
import { createSplitter } from './splitters';
import { LocalModeError } from '../../errors';
import { TransformProgress } from '../../local-types';
import { cleanupRegistry, DockerCli } from '../docker';
import { explainWriteError } from '../fs-errors';
import { uniqueJobName } from '../job-name';
import { HttpAnswer, HttpFailure } from '../serving/loopback-http';
import { createModelDir, extractCodeArchive, extractModelArchive } from '../serving/model-archive';
import { ServingContainer } from '../serving/serving-container';
import { StopRequest } from '../stop-request';
import { createJobFolder, localJobArn, removeJobFolder, transformJobPaths, writeDescription } from '../work-dir';

const MB = 1024 * 1024;
const NEWLINE = Buffer.from('\n');
const DEFAULT_INVOCATION_TIMEOUT_SECONDS = 600;
const DEFAULT_MAX_RETRIES = 3;
const READ_CHUNK_BYTES = 1024 * 1024;
/** zlib's default (16 KiB) would cut the decompressed stream into many small chunks. */
const GUNZIP_CHUNK_BYTES = 256 * 1024;
const WRITE_BATCH_BYTES = 256 * 1024;
/** Answers waiting to be written beyond this make the reader wait for the disk. */
const MAX_QUEUED_WRITE_BYTES = 64 * 1024 * 1024;
const PROGRESS_INTERVAL_MS = 200;
/** Default SIGTERM → SIGKILL grace of a transform container whose outputs are written. */
export const DEFAULT_TRANSFORM_STOP_GRACE_SECONDS = 3;

export interface TransformRunOptions {
  /** The Docker CLI of the serving container. */
  readonly docker: DockerCli;
  readonly request: CreateTransformJobRequest;
  /** The CreateModel request of the model the job uses (its PrimaryContainer's Environment is passed). */
  readonly model: CreateModelInput;
  /** Local image reference to run (already built or pulled). */
  readonly image: string;
  /** The model archive (`model.tar.gz`) extracted into `/opt/ml/model`. @default - an empty /opt/ml/model */
  readonly modelArtifact?: string;
  /** Script mode: a `sourcedir.tar.gz` extracted into a temp folder mounted at `/opt/ml/code`. @default - none */
  readonly codeArchivePath?: string;
  /** Base of relative `file://` input URIs. */
  readonly assemblyDir: string;
  /** Region of the job's ARN. */
  readonly region: string;
  /** Account of the job's ARN. */
  readonly account: string;
  /** The job's folder is created in here. */
  readonly workDir: string;
  /** Fixed job name (tests). @default - TransformJobName (a prefix) + a timestamp */
  readonly jobName?: string;
  /** Health-check timeout of the container in ms. @default 60000 */
  readonly startupTimeoutMs?: number;
  /**
   * Seconds between SIGTERM and SIGKILL when the container is stopped, once
   * the outputs and the description are written (nothing is lost by killing
   * a transform container whose work is done). @default 3
   */
  readonly stopGraceSeconds?: number;
  /**
   * Called with the job's result as soon as its outputs and description.json
   * are written, before its container is stopped.
   */
  readonly onOutputsWritten?: (result: TransformRunResult) => void;
  /** Every log line of the container. */
  readonly onLogLine?: (line: string) => void;
  /** Progress events. */
  readonly onProgress?: (progress: TransformProgress) => void;
  /** Pause before retry n (1-based), in ms. @default 100 * 2^(n-1), at most 2000 */
  readonly retryDelayMs?: (attempt: number) => number;
  /**
   * Whether SplitType Line + MultiRecord (without InputFilter or join) cuts
   * payloads straight from the bytes read instead of record by record (the
   * results are the same; tests compare both). @default true
   */
  readonly fastLinePath?: boolean;
  /**
   * Stops the job when requested (StopTransformJob): the container gets
   * SIGTERM (SIGKILL after `stopGraceSeconds`; at once on a second request),
   * the files in flight fail, and the job ends `Stopped`. The `.out` files of
   * the inputs that finished are kept (SageMaker keeps none).
   * @default - the job is not stoppable
   */
  readonly stop?: StopRequest;
}

/** Outcome of one input file. */
export interface TransformFileResult {
  readonly input: string;
  /** The `.out` file (only when it succeeded). */
  readonly output?: string;
  readonly records: number;
  readonly failureReason?: string;
}

export interface TransformRunResult {
  readonly jobName: string;
  readonly status: 'Completed' | 'Failed' | 'Stopped';
  readonly failureReason?: string;
  /** The job's folder (holds the `.out` files and description.json). */
  readonly outputDir: string;
  readonly descriptionPath: string;
  readonly description: DescribeTransformJobResponse;
  readonly files: TransformFileResult[];
  /** Effective batch settings (request > container's /execution-parameters > defaults). */
  readonly executionParameters: ExecutionParameters;
  readonly records: number;
  readonly startTime: Date;
  readonly endTime: Date;
}

/**
 * Runs the job to its end. Throws only when it cannot start at all (invalid
 * request, unreadable input, image that does not start); a job that runs and
 * fails is a result with status `Failed`. As on SageMaker, the job ends when
 * its outputs are written: description.json is written and `onOutputsWritten`
 * called then; the container is stopped afterwards (with a short grace) and
 * removed, the temp model folder deleted, before the promise resolves.
 */
export async function runTransformJob(options: TransformRunOptions): Promise<TransformRunResult> {
  const creationTime = new Date();
  const request = options.request;
  const jobName = options.jobName ?? uniqueJobName(request.TransformJobName);
  validateRequestedParameters({
    MaxConcurrentTransforms: request.MaxConcurrentTransforms,
    BatchStrategy: request.BatchStrategy,
    MaxPayloadInMB: request.MaxPayloadInMB,
  });
  const retries = request.ModelClientConfig?.InvocationsMaxRetries ?? DEFAULT_MAX_RETRIES;
  const timeoutSeconds = request.ModelClientConfig?.InvocationsTimeoutInSeconds ?? DEFAULT_INVOCATION_TIMEOUT_SECONDS;
  if (!Number.isInteger(retries) || retries < 0 || retries > 3) {
    throw new LocalModeError(`ModelClientConfig.InvocationsMaxRetries ${retries} is not valid: use an integer from 0 to 3.`);
  }
  if (!(timeoutSeconds >= 1 && timeoutSeconds <= 3600)) {
    throw new LocalModeError(`ModelClientConfig.InvocationsTimeoutInSeconds ${timeoutSeconds} is not valid: use 1 to 3600.`);
  }
  const assembleWith = request.TransformOutput?.AssembleWith ?? 'None';
  if (assembleWith !== 'None' && assembleWith !== 'Line') {
    throw new LocalModeError(`TransformOutput.AssembleWith '${assembleWith}' is not valid: use None or Line.`);
  }
  const compression = request.TransformInput?.CompressionType ?? 'None';
  if (compression !== 'None' && compression !== 'Gzip') {
    throw new LocalModeError(`TransformInput.CompressionType '${compression}' is not valid: use None or Gzip.`);
  }
  const splitType = request.TransformInput?.SplitType ?? 'None';
  createSplitter(splitType); // validates
  const contentType = request.TransformInput?.ContentType;
  const accept = request.TransformOutput?.Accept;
  const dataProcessor = DataProcessor.create(request.DataProcessing, contentType, accept);
  const container = options.model.PrimaryContainer;
  if (!container) {
    throw new LocalModeError(`Model '${options.model.ModelName}' has no PrimaryContainer: local batch transform runs single-container models only.`);
  }
  const inputs = resolveTransformInputs(request.TransformInput, options.assemblyDir);

  const { outputDir, descriptionPath } = transformJobPaths(options.workDir, jobName);
  createJobFolder(outputDir);
  try {
    return await runInJobFolder(options, {
      jobName,
      creationTime,
      retries,
      timeoutSeconds,
      splitType,
      compression,
      assembleWith,
      contentType,
      accept,
      dataProcessor,
      container,
      inputs,
      outputDir,
      descriptionPath,
    });
  } catch (e) {
    // A job that never started, or whose outputs could not be written, leaves no folder (and no half-written .out) behind.
    if (!fs.existsSync(descriptionPath)) { removeJobFolder(outputDir); }
    throw explainWriteError(e, `Writing the outputs of transform job ${jobName} into`, outputDir);
  }
}

/** What `runTransformJob` checked and derived from the request before creating the job folder. */
interface CheckedJob {
  readonly jobName: string;
  readonly creationTime: Date;
  readonly retries: number;
  readonly timeoutSeconds: number;
  readonly splitType: string;
  readonly compression: string;
  readonly assembleWith: string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly dataProcessor?: DataProcessor;
  readonly container: ContainerDefinition;
  readonly inputs: TransformInputFile[];
  readonly outputDir: string;
  readonly descriptionPath: string;
}

/** The job, once its folder exists: model, container, records, description. */
async function runInJobFolder(options: TransformRunOptions, job: CheckedJob): Promise<TransformRunResult> {
  const { request } = options;
  const {
    jobName, creationTime, retries, timeoutSeconds, splitType, compression, assembleWith, contentType, accept, dataProcessor,
    container, inputs, outputDir, descriptionPath,
  } = job;

  const environment: { [key: string]: string } = {
    ...(container.Environment ?? {}),
    ...(request.Environment ?? {}),
    SAGEMAKER_BATCH: 'true',
  };
  if (request.MaxPayloadInMB !== undefined) environment.SAGEMAKER_MAX_PAYLOAD_IN_MB = String(request.MaxPayloadInMB);
  if (request.BatchStrategy !== undefined) {
    environment.SAGEMAKER_BATCH_STRATEGY = parseBatchStrategy(String(request.BatchStrategy), 'The job request\'s') ? 'MULTI_RECORD' : 'SINGLE_RECORD';
  }
  if (request.MaxConcurrentTransforms) environment.SAGEMAKER_MAX_CONCURRENT_TRANSFORMS = String(request.MaxConcurrentTransforms);

  const modelDir = options.modelArtifact ? await extractModelArchive(options.modelArtifact) : await createModelDir();
  let codeDir: string | undefined;
  try {
    codeDir = options.codeArchivePath
      ? await extractCodeArchive(options.codeArchivePath, { containers: { image: options.image, docker: options.docker } })
      : undefined;
  } catch (e) {
    await cleanupRegistry.cleanup({ dirs: [modelDir] });
    throw e;
  }
  let serving: ServingContainer | undefined;
  let unsubscribeStop: (() => void) | undefined;
  let result: TransformRunResult;
  try {
    serving = await ServingContainer.start({
      docker: options.docker,
      image: options.image,
      environment,
      modelDir,
      codeDir,
      namePrefix: `byoa-transform-${jobName}`.slice(0, 60),
      labels: { 'byoa.transform-job': jobName },
      startupTimeoutMs: options.startupTimeoutMs ?? 60_000,
      stopGraceSeconds: options.stopGraceSeconds ?? DEFAULT_TRANSFORM_STOP_GRACE_SECONDS,
      onLog: options.onLogLine,
      maxSockets: 128,
    });
    if (options.stop?.requested) {
      throw new LocalModeError(`Transform job ${jobName} was stopped before its records were sent: nothing was transformed, nothing was kept.`);
    }
    let stopped = false;
    const running = serving;
    unsubscribeStop = options.stop?.onRequest((forced) => {
      stopped = true;
      void running.stop(forced ? 0 : undefined);
    });
    const startTime = new Date();
    const executionParameters = resolveExecutionParameters(
      { MaxConcurrentTransforms: request.MaxConcurrentTransforms, BatchStrategy: request.BatchStrategy, MaxPayloadInMB: request.MaxPayloadInMB },
      await askExecutionParameters(serving),
    );
    const engine = new TransformEngine({
      jobName,
      serving,
      params: executionParameters,
      splitType,
      gzip: compression === 'Gzip',
      assembleLines: assembleWith === 'Line',
      contentType,
      accept,
      dataProcessor,
      retries,
      timeoutMs: timeoutSeconds * 1000,
      retryDelayMs: options.retryDelayMs ?? ((n) => Math.min(2000, 100 * 2 ** (n - 1))),
      outputDir,
      inputs,
      onProgress: options.onProgress,
      fastLinePath: options.fastLinePath ?? true,
    });
    const files = await engine.run();
    unsubscribeStop?.();
    result = describeJob({
      request,
      options,
      jobName,
      stopped,
      creationTime,
      startTime,
      endTime: new Date(),
      executionParameters,
      files,
      records: engine.recordsDone,
      retries,
      timeoutSeconds,
      outputDir,
      descriptionPath,
    });
    options.onOutputsWritten?.(result);
  } finally {
    unsubscribeStop?.();
    await serving?.stop();
    await cleanupRegistry.cleanup({ dirs: codeDir ? [modelDir, codeDir] : [modelDir] });
  }
  return result;
}

interface FinishedJob {
  readonly request: CreateTransformJobRequest;
  readonly options: TransformRunOptions;
  readonly jobName: string;
  /** The job was stopped (its status is then `Stopped`, whatever the files did). */
  readonly stopped: boolean;
  readonly creationTime: Date;
  readonly startTime: Date;
  readonly endTime: Date;
  readonly executionParameters: ExecutionParameters;
  readonly files: TransformFileResult[];
  readonly records: number;
  readonly retries: number;
  readonly timeoutSeconds: number;
  readonly outputDir: string;
  readonly descriptionPath: string;
}

/** The job's status from its files' outcomes; writes description.json. */
function describeJob(job: FinishedJob): TransformRunResult {
  const {
    request, options, jobName, creationTime, startTime, endTime, executionParameters,
    files, records, retries, timeoutSeconds, outputDir, descriptionPath,
  } = job;
  const failureReason = job.stopped ? undefined : transformFailureReason(files);
  const status = job.stopped ? 'Stopped' : failureReason ? 'Failed' : 'Completed';
  const description = transformDescription({
    request,
    jobName,
    stopped: job.stopped,
    arn: localJobArn('transform-job', jobName, options),
    modelName: options.model.ModelName,
    failureReason,
    executionParameters,
    invocationsTimeoutSeconds: timeoutSeconds,
    invocationsMaxRetries: retries,
    outputDir,
    assemblyDir: options.assemblyDir,
    creationTime,
    startTime,
    endTime,
  });
  writeDescription(descriptionPath, description);
  return {
    jobName,
    status,
    failureReason,
    outputDir,
    descriptionPath,
    description,
    files,
    executionParameters,
    records,
    startTime,
    endTime,
  };
}

/** `GET /execution-parameters`: the parsed JSON on 200, else undefined (the route is optional). */
async function askExecutionParameters(serving: ServingContainer): Promise<unknown> {
  try {
    const answer = await serving.request('GET', '/execution-parameters', 5000);
    if (answer.status !== 200) return undefined;
    return JSON.parse(answer.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

interface EngineOptions {
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

/** Counting semaphore for requests in flight (shared by every file). */
class Semaphore {
  private readonly waiters: Array<() => void> = [];
  constructor(private available: number) {}
  public acquire(): Promise<void> | undefined {
    if (this.available > 0) {
      this.available--;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  public release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}

/** A file's failure, with the message that becomes the job's FailureReason. */
class FileFailure extends Error {}

class TransformEngine {
  public recordsDone = 0;
  private recordsRead = 0;
  private bytesRead = 0;
  private filesDone = 0;
  private requests = 0;
  private firstRequestAt = 0;
  private lastProgressAt = 0;
  private readonly slots: Semaphore;
  private readonly headers: { [name: string]: string };
  private readonly perLineOutput: boolean;
  private readonly bytesTotal: number;

  constructor(private readonly o: EngineOptions) {
    this.slots = new Semaphore(o.params.maxConcurrentTransforms);
    this.headers = {};
    if (o.contentType) this.headers['Content-Type'] = o.contentType;
    if (o.accept) this.headers.Accept = o.accept;
    this.perLineOutput = o.params.multiRecord && o.splitType !== 'None';
    this.bytesTotal = o.inputs.reduce((sum, f) => sum + f.size, 0);
  }

  public async run(): Promise<TransformFileResult[]> {
    const results: TransformFileResult[] = new Array(this.o.inputs.length);
    let next = 0;
    const workers = Math.max(1, Math.min(this.o.params.maxConcurrentTransforms, this.o.inputs.length));
    const worker = async () => {
      while (next < this.o.inputs.length) {
        const index = next++;
        results[index] = await this.transformFile(this.o.inputs[index]);
        this.filesDone++;
        this.progress(false);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    this.progress(true);
    return results;
  }

  private progress(finished: boolean): void {
    if (!this.o.onProgress) return;
    const now = Date.now();
    if (!finished && now - this.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    this.lastProgressAt = now;
    const elapsedSeconds = this.firstRequestAt ? (now - this.firstRequestAt) / 1000 : 0;
    this.o.onProgress({
      jobName: this.o.jobName,
      recordsDone: this.recordsDone,
      recordsRead: this.recordsRead,
      bytesRead: this.bytesRead,
      bytesTotal: this.bytesTotal,
      filesDone: this.filesDone,
      filesTotal: this.o.inputs.length,
      requests: this.requests,
      recordsPerSecond: elapsedSeconds > 0 ? this.recordsDone / elapsedSeconds : 0,
      elapsedSeconds,
      finished,
    });
  }

  private async transformFile(input: TransformInputFile): Promise<TransformFileResult> {
    const finalPath = path.join(this.o.outputDir, ...input.relativePath.split('/')) + '.out';
    fs.mkdirSync(path.dirname(finalPath), { recursive: true });
    const tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${crypto.randomBytes(4).toString('hex')}.partial`);
    cleanupRegistry.trackDir(tempPath);
    const fd = fs.openSync(tempPath, 'w');
    const feed = createPayloadFeed({
      splitType: this.o.splitType,
      multiRecord: this.o.params.multiRecord,
      maxPayloadBytes: this.o.params.maxPayloadInMB * MB,
      dataProcessor: this.o.dataProcessor,
      inputName: input.relativePath,
      fastLinePath: this.o.fastLinePath,
    });

    let failure: Error | undefined;
    let nextSeq = 0;
    let writeSeq = 0;
    let recordIndex = 0;
    const done = new Map<number, Buffer[]>();
    const window = Math.max(4, this.o.params.maxConcurrentTransforms * 4);
    let wakeWindow: (() => void) | undefined;
    let writeParts: Buffer[] = [];
    let writeBytes = 0;
    // Writes are asynchronous (the event loop keeps serving answers meanwhile), one at a time, in order.
    let writing: Promise<void> = Promise.resolve();
    let writesQueued = 0;
    const flushWrites = () => {
      if (writeParts.length === 0) return;
      const parts = writeParts;
      const bytes = writeBytes;
      writeParts = [];
      writeBytes = 0;
      writesQueued += bytes;
      writing = writing.then(() => (failure ? undefined : writeAll(fd, parts, bytes))).then(
        () => { writesQueued -= bytes; },
        (e: Error) => {
          writesQueued -= bytes;
          failure = failure ?? new LocalModeError(`Could not write the output of '${input.relativePath}': ${e.message}`);
        },
      );
    };
    const drain = () => {
      let parts = done.get(writeSeq);
      while (parts) {
        done.delete(writeSeq);
        writeSeq++;
        for (const p of parts) {
          writeParts.push(p);
          writeBytes += p.length;
        }
        parts = done.get(writeSeq);
      }
      if (writeBytes >= WRITE_BATCH_BYTES || writeParts.length > 512) flushWrites();
      if (wakeWindow) {
        const wake = wakeWindow;
        wakeWindow = undefined;
        wake();
      }
    };
    // Requests in flight for this file; `onIdle` wakes the wait for the last one.
    let inFlight = 0;
    let onIdle: (() => void) | undefined;
    let unexpected: unknown;
    const settle = () => {
      this.slots.release();
      inFlight--;
      if (inFlight === 0 && onIdle) {
        const wake = onIdle;
        onIdle = undefined;
        wake();
      }
    };
    // Per request: one promise for the answer and one handler; no promise,
    // closure or timer of our own unless the request has to wait.
    const launch = (payload: Payload, seq: number, firstRecord: number) => {
      if (failure) {
        this.slots.release();
        return;
      }
      inFlight++;
      this.send(payload, firstRecord).then(
        (parts) => {
          try {
            this.recordsDone += payload.records;
            done.set(seq, parts);
            try {
              drain();
            } catch (e) {
              failure = failure ?? new LocalModeError(`Could not write the output of '${input.relativePath}': ${(e as Error).message}`);
            }
            this.progress(false);
          } catch (e) {
            unexpected = unexpected ?? e;
          } finally {
            settle();
          }
        },
        (e: Error) => {
          failure = failure ?? e;
          if (wakeWindow) wakeWindow();
          settle();
        },
      );
    };
    const waitThenLaunch = async (payload: Payload, seq: number, firstRecord: number) => {
      while (seq - writeSeq >= window && !failure) {
        await new Promise<void>((resolve) => { wakeWindow = resolve; });
      }
      if (writesQueued > MAX_QUEUED_WRITE_BYTES) await writing;
      const wait = this.slots.acquire();
      if (wait) await wait;
      launch(payload, seq, firstRecord);
    };
    /** Sends `payload` once the window, the writer and a request slot allow; a promise only when it has to wait. */
    const dispatch = (payload: Payload): Promise<void> | undefined => {
      const seq = nextSeq++;
      const firstRecord = recordIndex + 1;
      recordIndex += payload.records;
      if ((seq - writeSeq >= window && !failure) || writesQueued > MAX_QUEUED_WRITE_BYTES) return waitThenLaunch(payload, seq, firstRecord);
      const wait = this.slots.acquire();
      if (wait) return wait.then(() => launch(payload, seq, firstRecord));
      launch(payload, seq, firstRecord);
      return undefined;
    };

    const pending: Payload[] = [];
    const onPayload = (p: Payload) => { pending.push(p); };
    /** Dispatches the payloads cut so far, in order, stopping at the first failure. */
    const sendPending = async (): Promise<void> => {
      for (const p of pending) {
        const wait = dispatch(p);
        if (wait) await wait;
        if (failure) break;
      }
      pending.length = 0;
    };
    let counted = 0;
    const countRecords = () => {
      this.recordsRead += feed.records - counted;
      counted = feed.records;
    };

    try {
      const stream = this.openInput(input);
      for await (const chunk of stream) {
        if (!this.o.gzip) this.bytesRead += (chunk as Buffer).length;
        try {
          feed.push(chunk as Buffer, onPayload);
        } finally {
          countRecords();
        }
        await sendPending();
        if (failure) {
          stream.destroy();
          break;
        }
      }
      if (!failure) {
        try {
          feed.end(onPayload);
        } finally {
          countRecords();
        }
        await sendPending();
      }
    } catch (e) {
      failure = failure ?? (e instanceof LocalModeError ? e : new LocalModeError(`Could not read '${input.relativePath}': ${(e as Error).message}`));
    }
    while (inFlight > 0) await new Promise<void>((resolve) => { onIdle = resolve; });
    if (unexpected) {
      await writing;
      fs.closeSync(fd);
      throw unexpected;
    }

    if (!failure) flushWrites();
    await writing;
    fs.closeSync(fd);
    if (failure) {
      fs.rmSync(tempPath, { force: true });
      cleanupRegistry.releaseDir(tempPath);
      const reason = failure instanceof FileFailure || failure instanceof LocalModeError ? failure.message : String(failure);
      return { input: input.relativePath, records: feed.records, failureReason: `Input '${input.relativePath}' failed: ${reason}` };
    }
    fs.renameSync(tempPath, finalPath);
    cleanupRegistry.releaseDir(tempPath);
    return { input: input.relativePath, output: finalPath, records: feed.records };
  }

  private openInput(input: TransformInputFile): Readable {
    const file = fs.createReadStream(input.path, { highWaterMark: READ_CHUNK_BYTES });
    if (!this.o.gzip) return file;
    file.on('data', (chunk) => { this.bytesRead += chunk.length; });
    return pipeline(file, zlib.createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), () => { /* errors surface in the iteration */ });
  }

  /**
   * POSTs one payload with retries; resolves with the bytes to write for it.
   * The first attempt is a plain promise chain (no async frame, no closure
   * for messages); retries go through {@link retry}.
   */
  private send(payload: Payload, firstRecord: number): Promise<Buffer[]> {
    if (this.o.serving.exited !== undefined) return Promise.reject(this.exitedFailure(payload, firstRecord));
    return this.attempt(payload).then(
      (answer) => (answer.status < 400
        ? this.assemble(answer.body, payload, firstRecord)
        : this.retry(payload, firstRecord, this.answerProblem(answer, payload, firstRecord))),
      (e: Error) => this.retry(payload, firstRecord, this.connectionProblem(e)),
    );
  }

  /** Attempts 2.. after `lastProblem` (the first attempt's). */
  private async retry(payload: Payload, firstRecord: number, lastProblem: string): Promise<Buffer[]> {
    for (let attempt = 1; attempt <= this.o.retries; attempt++) {
      await sleep(this.o.retryDelayMs(attempt));
      if (this.o.serving.exited !== undefined) throw this.exitedFailure(payload, firstRecord);
      try {
        const answer = await this.attempt(payload);
        if (answer.status < 400) return this.assemble(answer.body, payload, firstRecord);
        lastProblem = this.answerProblem(answer, payload, firstRecord);
      } catch (e) {
        lastProblem = this.connectionProblem(e as Error);
      }
    }
    const tries = this.o.retries === 0 ? 'without retries' : `after ${this.o.retries} ${this.o.retries === 1 ? 'retry' : 'retries'}`;
    throw new FileFailure(`${describeRecords(payload, firstRecord)} failed ${tries}: ${lastProblem}`);
  }

  /** One POST of the payload. */
  private attempt(payload: Payload): Promise<HttpAnswer> {
    if (!this.firstRequestAt) this.firstRequestAt = Date.now();
    this.requests++;
    return this.o.serving.request('POST', '/invocations', this.o.timeoutMs, payload.body, this.headers);
  }

  private exitedFailure(payload: Payload, firstRecord: number): FileFailure {
    return new FileFailure(`the serving container exited with code ${this.o.serving.exited} while ${describeRecords(payload, firstRecord)} were being transformed.\n`
      + `--- last container output ---\n${this.o.serving.recentLogs()}`);
  }

  /** A status >= 400: throws for 4xx (not retried), else the problem to retry on. */
  private answerProblem(answer: HttpAnswer, payload: Payload, firstRecord: number): string {
    const message = answer.body.toString('utf8').slice(0, 500);
    if (answer.status < 500) {
      throw new FileFailure(`the model container answered ${answer.status} for ${describeRecords(payload, firstRecord)}: ${message}`);
    }
    return `the model container answered ${answer.status}: ${message}`;
  }

  /** A request without answer: the problem to retry on (anything else is rethrown). */
  private connectionProblem(e: Error): string {
    if (!(e instanceof HttpFailure)) throw e;
    return e.kind === 'timeout'
      ? `no answer within ModelClientConfig.InvocationsTimeoutInSeconds (${this.o.timeoutMs / 1000} s)`
      : `the connection to the model container failed (${e.message})`;
  }

  /** Turns one answer into the bytes of the `.out` file. */
  private assemble(body: Buffer, payload: Payload, firstRecord: number): Buffer[] {
    const dp = this.o.dataProcessor;
    if (!dp || !dp.processesOutput) {
      if (!this.o.assembleLines) return [body];
      return body.length > 0 && body[body.length - 1] === 0x0a ? [body] : [body, NEWLINE];
    }
    let outputs: Buffer[];
    if (this.perLineOutput) {
      const text = body.toString('utf8');
      const trimmed = text.endsWith('\n') ? text.slice(0, -1) : text;
      outputs = trimmed === '' ? [] : trimmed.split('\n').map((l) => Buffer.from(l.endsWith('\r') ? l.slice(0, -1) : l, 'utf8'));
    } else {
      outputs = [body];
    }
    if (dp.needsInput && outputs.length !== payload.records) {
      throw new FileFailure(`JoinSource Input needs one output line per input record, but the container answered ${outputs.length} lines for ${describeRecords(payload, firstRecord)} (${payload.records} records).`);
    }
    const parts: Buffer[] = [];
    outputs.forEach((out, i) => {
      let finished: Buffer;
      try {
        finished = dp.finishOutput(payload.originals?.[i], out);
      } catch (e) {
        throw new FileFailure(`DataProcessing failed on the output of ${describeRecords(payload, firstRecord)}: ${(e as Error).message}`);
      }
      parts.push(finished);
      if (this.o.assembleLines) parts.push(NEWLINE);
    });
    return parts;
  }
}

/** `record N` or `records N-M`, for messages (built only when one is needed). */
function describeRecords(payload: Payload, firstRecord: number): string {
  return payload.records === 1 ? `record ${firstRecord}` : `records ${firstRecord}-${firstRecord + payload.records - 1}`;
}

/**
 * Writes every part at the file's current position (fs.writev, asynchronous).
 * A short write (the disk filled up) goes on with the rest, so that the
 * error the system gives (ENOSPC) is the one reported.
 */
function writeAll(fd: number, parts: Buffer[], bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.writev(fd, parts, (err, written) => {
      if (err) reject(err);
      else if (written === bytes) resolve();
      else if (written === 0) reject(Object.assign(new Error('no space left on device (nothing more could be written)'), { code: 'ENOSPC' }));
      else writeAll(fd, [Buffer.concat(parts).subarray(written)], bytes - written).then(resolve, reject);
    });
  });
}
