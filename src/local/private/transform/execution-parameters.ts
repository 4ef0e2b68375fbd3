import { MAX_TRANSFORM_PAYLOAD_MB } from '../../../private/sagemaker-limits';
import { LocalModeError } from '../../errors';

/** The effective batch settings of a transform job. */
export interface ExecutionParameters {
  readonly maxConcurrentTransforms: number;
  /** True for MultiRecord, false for SingleRecord. */
  readonly multiRecord: boolean;
  /** 0 = no limit. */
  readonly maxPayloadInMB: number;
}

/** What the job request sets (undefined = not set). */
export interface RequestedParameters {
  readonly MaxConcurrentTransforms?: number;
  readonly BatchStrategy?: string;
  readonly MaxPayloadInMB?: number;
}

/** SageMaker's defaults when neither the request nor the container says. */
export const DEFAULT_EXECUTION_PARAMETERS: ExecutionParameters = {
  maxConcurrentTransforms: 1,
  multiRecord: true,
  maxPayloadInMB: 6,
};

/** `MultiRecord`/`MULTI_RECORD` → true, `SingleRecord`/`SINGLE_RECORD` → false. */
export function parseBatchStrategy(value: string, source: string): boolean {
  switch (value) {
    case 'MultiRecord':
    case 'MULTI_RECORD':
      return true;
    case 'SingleRecord':
    case 'SINGLE_RECORD':
      return false;
    default:
      throw new LocalModeError(`${source} BatchStrategy '${value}' is not valid: use MultiRecord (MULTI_RECORD) or SingleRecord (SINGLE_RECORD).`);
  }
}

/** Checks the request's own values against the CreateTransformJob limits. */
export function validateRequestedParameters(requested: RequestedParameters): void {
  const problems: string[] = [];
  const { MaxConcurrentTransforms: c, MaxPayloadInMB: p } = requested;
  if (p !== undefined && (!Number.isInteger(p) || p < 0 || p > MAX_TRANSFORM_PAYLOAD_MB)) {
    problems.push(`MaxPayloadInMB ${p} must be an integer from 0 to ${MAX_TRANSFORM_PAYLOAD_MB} (0 = no limit)`);
  }
  if (c !== undefined && (!Number.isInteger(c) || c < 0)) {
    problems.push(`MaxConcurrentTransforms ${c} must be a non-negative integer`);
  }
  if (c !== undefined && p !== undefined && c * p > MAX_TRANSFORM_PAYLOAD_MB) {
    problems.push(`MaxConcurrentTransforms x MaxPayloadInMB = ${c} x ${p} = ${c * p} must not exceed ${MAX_TRANSFORM_PAYLOAD_MB}`);
  }
  if (requested.BatchStrategy !== undefined) parseBatchStrategy(requested.BatchStrategy, 'The job request\'s');
  if (problems.length > 0) throw new LocalModeError(`Invalid transform job request: ${problems.join('; ')}.`);
}

/**
 * Resolves the effective parameters: job request > the container's
 * `GET /execution-parameters` answer > defaults (1, MultiRecord, 6).
 * A request value of 0 for MaxConcurrentTransforms means "not set" (the
 * API's own convention). `containerAnswer` is the parsed JSON, or undefined
 * when the container has no such route.
 */
export function resolveExecutionParameters(requested: RequestedParameters, containerAnswer: unknown): ExecutionParameters {
  const answer = (containerAnswer !== null && typeof containerAnswer === 'object' ? containerAnswer : {}) as Record<string, unknown>;
  const fromContainer = (key: string): unknown => answer[key];

  let maxConcurrentTransforms = DEFAULT_EXECUTION_PARAMETERS.maxConcurrentTransforms;
  const containerConcurrency = fromContainer('MaxConcurrentTransforms');
  if (requested.MaxConcurrentTransforms) {
    maxConcurrentTransforms = requested.MaxConcurrentTransforms;
  } else if (typeof containerConcurrency === 'number' && Number.isInteger(containerConcurrency) && containerConcurrency > 0) {
    maxConcurrentTransforms = containerConcurrency;
  }

  let multiRecord = DEFAULT_EXECUTION_PARAMETERS.multiRecord;
  const containerStrategy = fromContainer('BatchStrategy');
  if (requested.BatchStrategy !== undefined) {
    multiRecord = parseBatchStrategy(requested.BatchStrategy, 'The job request\'s');
  } else if (typeof containerStrategy === 'string') {
    multiRecord = parseBatchStrategy(containerStrategy, 'The container\'s /execution-parameters');
  }

  let maxPayloadInMB = DEFAULT_EXECUTION_PARAMETERS.maxPayloadInMB;
  const containerPayload = fromContainer('MaxPayloadInMB');
  if (requested.MaxPayloadInMB !== undefined) {
    maxPayloadInMB = requested.MaxPayloadInMB;
  } else if (typeof containerPayload === 'number' && Number.isInteger(containerPayload) && containerPayload >= 0 && containerPayload <= 100) {
    maxPayloadInMB = containerPayload;
  }

  return { maxConcurrentTransforms, multiRecord, maxPayloadInMB };
}
