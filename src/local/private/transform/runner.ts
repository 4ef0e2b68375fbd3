/**
 * Runs one `CreateTransformJobRequest` against a local `IMAGE serve`
 * container, reproducing SageMaker batch transform (INTERNAL; the public
 * entry point is `DockerRunner.transform`).
 *
 * The job's folder (`TransformOutput.S3OutputPath` of the description: the
 * `.out` files and description.json) comes from `../work-dir.ts`.
 *
 * The records go through `engine.ts`, which is streaming: each file is
 * read in chunks, (gunzipped,) split into records, filtered, packed into
 * payloads (`payload-feed.ts`) and sent with up to MaxConcurrentTransforms
 * requests in flight over keep-alive connections (`dispatch-window.ts`,
 * `invoker.ts`); answers (`answer-assembly.ts`) are written asynchronously,
 * in input order, to a temp file renamed to `.out` only when the whole file
 * succeeded (`ordered-writer.ts`). SplitType Line + MultiRecord without
 * InputFilter or join takes a fast path that cuts payloads straight from the
 * bytes read, with the same results.
 */
import * as fs from 'fs';
import type { ContainerDefinition, CreateModelInput, CreateTransformJobRequest, DescribeTransformJobResponse } from '@aws-sdk/client-sagemaker';
import { DataProcessor } from './data-processing';
import { TransformEngine, TransformFileResult } from './engine';
import { ExecutionParameters, parseBatchStrategy, resolveExecutionParameters, validateRequestedParameters } from './execution-parameters';
import { resolveTransformInputs, TransformInputFile } from './inputs';
import { transformDescription, transformFailureReason } from './outcome';
import { createSplitter } from './splitters';
import { LocalModeError } from '../../errors';
import { TransformProgress } from '../../local-types';
import { cleanupRegistry, DockerCli } from '../docker';
import { explainWriteError } from '../fs-errors';
import { uniqueJobName } from '../job-name';
import { createModelDir, extractCodeArchive, extractModelArchive } from '../serving/model-archive';
import { ServingContainer } from '../serving/serving-container';
import { StopRequest } from '../stop-request';
import { createJobFolder, localJobArn, removeJobFolder, transformJobPaths, writeDescription } from '../work-dir';

const DEFAULT_INVOCATION_TIMEOUT_SECONDS = 600;
const DEFAULT_MAX_RETRIES = 3;
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
