/**
 * SageMaker's limits and defaults, as plain data (INTERNAL; no aws-cdk-lib
 * import, so the local runners can read it as cheaply as the synth-time
 * validators). Each value is written here once, with where SageMaker
 * documents it; the validators (`src/training`, `src/transform`,
 * `src/hosting`) and the local runners (`src/local/private`) both read it.
 */

/** Longest job, endpoint, endpoint config and variant name. */
export const MAX_NAME_LENGTH = 63;

/** SageMaker job, endpoint, endpoint config and variant names (CreateTrainingJob `TrainingJobName` and the others). */
export const JOB_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** `FailureReason` of DescribeTrainingJob / DescribeTransformJob: at most 1024 characters. */
export const FAILURE_REASON_LENGTH = 1024;

/** `StoppingCondition.MaxRuntimeInSeconds` when a training request leaves it out: one day. */
export const DEFAULT_MAX_RUNTIME_SECONDS = 86_400;

/** The production variant name SageMaker's own tooling gives a single variant. */
export const DEFAULT_VARIANT_NAME = 'AllTraffic';

/** InvokeEndpoint's largest request body: 6 MB (6,291,456 bytes). */
export const MAX_INVOKE_PAYLOAD_BYTES = 6_291_456;

/** CreateTransformJob `MaxPayloadInMB` (0 = no limit), and the most `MaxPayloadInMB x MaxConcurrentTransforms` may be. */
export const MAX_TRANSFORM_PAYLOAD_MB = 100;
