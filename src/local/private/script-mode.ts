/**
 * Script mode in local mode (INTERNAL). The requests are the ones the cloud
 * gets; as the SageMaker Python SDK's local mode does, local mode then
 * mounts the code at /opt/ml/code and points the framework container there:
 *
 * - training: `sagemaker_submit_directory` becomes "/opt/ml/code" (JSON-encoded,
 *   like every script-mode hyperparameter); `sagemaker_job_name` becomes the
 *   local job's name; an unresolved `sagemaker_region` becomes the run's region;
 * - serving: `SAGEMAKER_SUBMIT_DIRECTORY` becomes /opt/ml/code, unless it
 *   points into the model archive (/opt/ml/model/code, a repacked model);
 * - with network isolation the code is the `code` channel, as in the cloud:
 *   nothing is mounted, the container extracts the archive itself.
 *
 * What is mounted is a private copy of exactly the `sourcedir.tar.gz` the
 * cloud job gets (the SDK mounts the source folder itself): the code run
 * locally is the code deployed, and the script may write into /opt/ml/code
 * as it may on SageMaker without touching the user's files.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import type { CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { tarDirectory } from './archive';
import { CODE_CHANNEL, CODE_CHANNEL_DIRECTORY, REPACKED_CODE_DIRECTORY, UNRESOLVED_REGION } from '../../code/private/script-mode';
import { repackModelArchive } from '../../code/runtime/repack';
import type { CodeSpec, RunSpec } from '../../private/run-spec';
import { LocalModeError } from '../errors';

/** Where the code is mounted, as in the SDK's local mode. */
export const CODE_MOUNT_PATH = '/opt/ml/code';

const SUBMIT_DIRECTORY = 'sagemaker_submit_directory';
const JOB_NAME = 'sagemaker_job_name';
const REGION = 'sagemaker_region';
const ENV_SUBMIT_DIRECTORY = 'SAGEMAKER_SUBMIT_DIRECTORY';
const ENV_REGION = 'SAGEMAKER_REGION';

/** How the code reaches the training container. */
export type TrainingCode =
  /** Mounted at /opt/ml/code. */
  | { readonly kind: 'mount' }
  /** The request's `code` channel (network isolation), served from `channelDir`, a folder holding the archive under `fileName`. */
  | { readonly kind: 'channel'; readonly fileName: string };

/** The value of a script-mode hyperparameter as sent (JSON-decoded; a plain string as it is). */
function decoded(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * How a script-mode training request gets its code locally: from its
 * `code` channel when it has one whose archive is the submit directory
 * (network isolation), else mounted.
 */
export function trainingCodeOf(request: CreateTrainingJobRequest): TrainingCode {
  const submit = decoded(request.HyperParameters?.[SUBMIT_DIRECTORY]);
  const channelPrefix = `${CODE_CHANNEL_DIRECTORY}/`;
  const hasChannel = (request.InputDataConfig ?? []).some((c) => c.ChannelName === CODE_CHANNEL);
  if (hasChannel && typeof submit === 'string' && submit.startsWith(channelPrefix)) {
    return { kind: 'channel', fileName: submit.slice(channelPrefix.length) };
  }
  return { kind: 'mount' };
}

export interface LocalTrainingRequestOptions {
  readonly jobName: string;
  readonly region: string;
  readonly code: TrainingCode;
  /** With a `channel` code: the local folder the `code` channel reads (holds the archive under its cloud name). */
  readonly codeChannelDir?: string;
}

/**
 * The script-mode training request as local mode runs it (a copy; the
 * request of the run spec, what the cloud gets, is not changed).
 */
export function localTrainingRequest(request: CreateTrainingJobRequest, options: LocalTrainingRequestOptions): CreateTrainingJobRequest {
  const hyperparameters = { ...request.HyperParameters };
  if (options.code.kind === 'mount') {
    hyperparameters[SUBMIT_DIRECTORY] = JSON.stringify(CODE_MOUNT_PATH);
  }
  if (JOB_NAME in hyperparameters) hyperparameters[JOB_NAME] = JSON.stringify(options.jobName);
  if (decoded(hyperparameters[REGION]) === UNRESOLVED_REGION) hyperparameters[REGION] = JSON.stringify(options.region);
  const channels = request.InputDataConfig?.map((c) => {
    if (options.code.kind !== 'channel' || c.ChannelName !== CODE_CHANNEL || !options.codeChannelDir) return c;
    const source = c.DataSource?.S3DataSource;
    return { ...c, DataSource: { ...c.DataSource, S3DataSource: { ...source!, S3Uri: `file://${options.codeChannelDir}` } } };
  });
  return { ...request, TrainingJobName: options.jobName, HyperParameters: hyperparameters, InputDataConfig: channels };
}

/**
 * The model's container environment as local mode runs it: the code at
 * /opt/ml/code when it is mounted (`codeMounted`), the run's region for an
 * unresolved one.
 */
export function localModelEnvironment(environment: { [name: string]: string } | undefined, options: { region: string; codeMounted: boolean }):
{ [name: string]: string } | undefined {
  if (!environment) return environment;
  const env = { ...environment };
  if (options.codeMounted) env[ENV_SUBMIT_DIRECTORY] = CODE_MOUNT_PATH;
  if (env[ENV_REGION] === UNRESOLVED_REGION) env[ENV_REGION] = options.region;
  return env;
}

/** Whether serving needs the code mounted: script mode whose code is not inside the model archive. */
export function servingNeedsCodeMount(environment: { [name: string]: string } | undefined, code: CodeSpec | undefined, repack: boolean): boolean {
  if (!code || repack) return false;
  const submit = environment?.[ENV_SUBMIT_DIRECTORY];
  return submit !== undefined && submit !== REPACKED_CODE_DIRECTORY;
}

/**
 * The closed-source built-in algorithm (linear-learner, kmeans, ...) the
 * pipeline trains with, if it does: SageMaker's image without a framework.
 * XGBoost's container is open source and runs locally in both modes.
 */
export function builtInAlgorithmOf(spec: RunSpec): string | undefined {
  const image = spec.image;
  if (image.kind !== 'sagemaker' || image.framework || spec.framework || image.repository === 'sagemaker-xgboost') return undefined;
  return image.repository;
}

/** The error for a pipeline that trains with a built-in algorithm. */
export function builtInAlgorithmError(pipelinePath: string, algorithm: string): LocalModeError {
  return new LocalModeError(`Pipeline ${pipelinePath} uses SageMaker's built-in algorithm '${algorithm}', which cannot run locally: `
    + 'its image is closed source and only SageMaker runs it. Run this pipeline in the cloud, or use local mode with a framework image '
    + '(AlgorithmImage.fromFramework, e.g. scikit-learn or XGBoost in script mode) or an image of your own.');
}

/**
 * The code archive of `code` on this machine: the `sourcedir.tar.gz` staged
 * in the cloud assembly; when that is missing (an assembly copied without
 * its assets), one made from the original source folder, in `scratchDir`
 * (`onProgress` says so). `s3://` and `unresolved://` code fail with what
 * to do instead.
 */
export async function localCodeArchive(code: CodeSpec, assemblyDir: string, scratchDir: string,
  onProgress?: (message: string) => void): Promise<string> {
  const location = code.location;
  if (location.startsWith('s3://')) {
    throw new LocalModeError(`The script-mode code is in S3 (${location}, from SourceCode.fromBucket); local mode runs code from this machine only. `
      + 'Use SourceCode.fromAsset(<folder>, { entryPoint }) for local runs.');
  }
  if (!location.startsWith('file://')) {
    throw new LocalModeError(`The script-mode code is at ${location}, a location only known after deployment; `
      + 'use SourceCode.fromAsset(<folder>, { entryPoint }) for local runs.');
  }
  const rest = decodeURIComponent(location.slice('file://'.length));
  const staged = path.isAbsolute(rest) ? rest : path.resolve(assemblyDir, rest);
  if (fs.existsSync(staged)) return staged;
  const source = code.sourceDirectory;
  if (source && fs.existsSync(source)) {
    onProgress?.(`The staged code archive ${staged} is missing: packing the original source folder ${source} instead.`);
    fs.mkdirSync(scratchDir, { recursive: true });
    const archive = path.join(scratchDir, 'sourcedir.tar.gz');
    await tarDirectory(source, archive);
    return archive;
  }
  throw new LocalModeError(`The script-mode code archive ${staged} does not exist`
    + (source ? `, and neither does its source folder ${source}` : '')
    + ': run \'cdk synth\' again so the asset is staged in the cloud assembly.');
}

/**
 * Writes to `target` the model archive `model` repacked with the code
 * archive `code` under `code/` (any `code/` the model had is replaced), with
 * the cloud pipeline's own repack function: the model streams through, so
 * memory stays bounded whatever its size.
 */
export async function repackModelFile(model: string, code: string, target: string): Promise<void> {
  const source = await fs.promises.readFile(code);
  try {
    await pipeline(repackModelArchive(fs.createReadStream(model), source), fs.createWriteStream(target));
  } catch (e) {
    throw new LocalModeError(`Could not repack the model archive ${model} with the inference code ${code}: ${(e as Error).message}`);
  }
}
