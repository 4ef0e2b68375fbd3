/**
 * Errors of `byoa cloud` (INTERNAL): what went wrong in words a user can act
 * on, for the cases the SDK's own messages leave unclear.
 */

/** A problem `byoa cloud` reports as is (exit code 1): the message says what was wrong and what to do. */
export class CloudError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** The `name` (error code) of an SDK error, or undefined. */
export function errorCode(e: unknown): string | undefined {
  const err = e as { name?: string; Code?: string; code?: string } | undefined;
  return err?.name ?? err?.Code ?? err?.code;
}

const THROTTLING_CODES = new Set([
  'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded',
  'ProvisionedThroughputExceededException', 'RequestThrottled', 'RequestThrottledException', 'SlowDown',
]);

/** Whether the service asked us to slow down. */
export function isThrottling(e: unknown): boolean {
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return THROTTLING_CODES.has(errorCode(e) ?? '') || status === 429;
}

const CREDENTIALS_MISSING = new Set(['CredentialsProviderError', 'TokenProviderError']);
const CREDENTIALS_EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const CREDENTIALS_REJECTED = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'InvalidAccessKeyId']);

const HOW_TO_CONFIGURE = 'Configure credentials as for the AWS CLI (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile with --profile NAME or AWS_PROFILE, or `aws sso login`).';

/**
 * The message for an SDK error: credential problems get a message that says
 * how to fix them; anything else keeps the service's code and message.
 */
export function describeAwsError(e: unknown, what: string): string {
  if (e instanceof CloudError) return e.message;
  const code = errorCode(e) ?? 'Error';
  const message = (e as Error)?.message ?? String(e);
  if (CREDENTIALS_MISSING.has(code) || /Could not load credentials|credential/i.test(message) && code === 'Error') {
    return `No AWS credentials were found for ${what} (${message}). ${HOW_TO_CONFIGURE}`;
  }
  if (CREDENTIALS_EXPIRED.has(code)) {
    return `The AWS credentials have expired (${code} from ${what}: ${message}). Refresh them (for example \`aws sso login\`) and try again.`;
  }
  if (CREDENTIALS_REJECTED.has(code)) {
    return `AWS rejected the credentials (${code} from ${what}: ${message}). Check the access key, the profile and the region. ${HOW_TO_CONFIGURE}`;
  }
  if (code === 'AccessDeniedException' || code === 'AccessDenied') {
    return `Access denied to ${what}: ${message}. The credentials' identity needs that permission.`;
  }
  return `${what} failed: ${code}: ${message}`;
}
