/**
 * INTERNAL: what one invocation of a local endpoint can come to, shared by
 * `LocalEndpoint.invoke()` (which throws `ModelError` / `LocalModeError`)
 * and the SageMaker Runtime front (which answers with SageMaker's HTTP
 * error shapes), so that both enforce the same rules.
 */
import type * as http from 'http';
import type { HttpAnswer } from './loopback-http';

/**
 * The request headers of InvokeEndpoint that reach the container, by their
 * lower-case name (as Node gives incoming headers) and the name they are
 * sent under.
 */
export const FORWARDED_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['content-type', 'Content-Type'],
  ['accept', 'Accept'],
  ['x-amzn-sagemaker-custom-attributes', 'X-Amzn-SageMaker-Custom-Attributes'],
  ['x-amzn-sagemaker-target-model', 'X-Amzn-SageMaker-Target-Model'],
  ['x-amzn-sagemaker-target-variant', 'X-Amzn-SageMaker-Target-Variant'],
  ['x-amzn-sagemaker-inference-id', 'X-Amzn-SageMaker-Inference-Id'],
];

/** The forwarded headers among those of an incoming request (the front's). */
export function forwardedHeaders(incoming: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [lower, name] of FORWARDED_HEADERS) {
    const value = incoming[lower];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** How one invocation ended. */
export type InvocationOutcome =
  /** The container answered 1xx-3xx: the prediction. */
  | { readonly kind: 'answer'; readonly answer: HttpAnswer }
  /** The container answered 4xx/5xx: never a prediction. */
  | { readonly kind: 'model-error'; readonly status: number; readonly message: string; readonly error: Error }
  /** The body is larger than InvokeEndpoint accepts; the container never saw it. */
  | { readonly kind: 'too-large'; readonly bytes: number; readonly error: Error }
  /** No answer within the invocation timeout. */
  | { readonly kind: 'timeout'; readonly timeoutMs: number; readonly error: Error }
  /** The container could not be reached (it exited, or refused the connection). */
  | { readonly kind: 'unreachable'; readonly error: Error }
  /** The endpoint is stopping or stopped. */
  | { readonly kind: 'stopped'; readonly error: Error };
