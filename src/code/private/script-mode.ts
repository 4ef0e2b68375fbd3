import { Framework } from '../../image/framework';

/**
 * The script-mode contract of SageMaker's framework containers, as the
 * SageMaker Python SDK drives them: the names and values it sends.
 */

/** `logging.INFO`: the SDK's default `container_log_level`. */
export const CONTAINER_LOG_LEVEL = 20;
/** The channel that carries the code when the job has no network. */
export const CODE_CHANNEL = 'code';
/** Where a `code` channel's files appear in the training container. */
export const CODE_CHANNEL_DIRECTORY = `/opt/ml/input/data/${CODE_CHANNEL}`;
/** Where a repacked model's code is in the serving container. */
export const REPACKED_CODE_DIRECTORY = '/opt/ml/model/code';
/** Placeholder of the region in local renderings of an environment-agnostic stack (local mode sets it). */
export const UNRESOLVED_REGION = 'unresolved://AWS::Region';
/** TensorFlow Serving loads only this file of `code/`. */
export const TENSORFLOW_SERVING_ENTRY_POINT = 'inference.py';

/** What the five `sagemaker_*` hyperparameters (and TensorFlow's `model_dir`) say. */
export interface ScriptTraining {
  readonly entryPoint: string;
  /** `s3://.../sourcedir.tar.gz`, or the file in the `code` channel. */
  readonly submitDirectory: string;
  readonly jobName: string;
  readonly region: string;
  /** TensorFlow only: `s3://<output path><job>/model`. */
  readonly modelDir?: string;
  /** With network isolation: the `code` channel's S3 URI. */
  readonly codeChannelUri?: string;
}

/** JSON-encodes a value the way the SDK's `json.dumps` does for strings, numbers and booleans. */
export function jsonEncode(value: unknown): string {
  return JSON.stringify(value);
}

/** The hyperparameters the SDK adds in script mode, JSON-encoded as it sends them. */
export function scriptHyperparameters(script: ScriptTraining): { [name: string]: string } {
  return {
    sagemaker_program: jsonEncode(script.entryPoint),
    sagemaker_submit_directory: jsonEncode(script.submitDirectory),
    sagemaker_container_log_level: jsonEncode(CONTAINER_LOG_LEVEL),
    sagemaker_job_name: jsonEncode(script.jobName),
    sagemaker_region: jsonEncode(script.region),
    ...(script.modelDir !== undefined ? { model_dir: jsonEncode(script.modelDir) } : {}),
  };
}

/** The model container's environment in script mode. */
export function scriptModelEnvironment(entryPoint: string, submitDirectory: string, region: string): { [name: string]: string } {
  return {
    SAGEMAKER_PROGRAM: entryPoint,
    SAGEMAKER_SUBMIT_DIRECTORY: submitDirectory,
    SAGEMAKER_CONTAINER_LOG_LEVEL: String(CONTAINER_LOG_LEVEL),
    SAGEMAKER_REGION: region,
  };
}

/**
 * Whether the model's code must be put under `code/` of a new `model.tar.gz`:
 * always for PyTorch and MXNet, for TensorFlow Serving when it has code, and
 * for every framework when the model runs without network (it cannot
 * download `SAGEMAKER_SUBMIT_DIRECTORY`).
 */
export function needsRepack(framework: Framework | undefined, networkIsolation: boolean): boolean {
  return networkIsolation || (framework !== undefined && (framework._traits.repackAlways || framework._traits.tensorflow));
}
