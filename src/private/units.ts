import type { Duration } from 'aws-cdk-lib';

/** Duration in seconds for validation: undefined when it is a token (checked at deploy time). */
export function seconds(duration: Duration | undefined): number | undefined {
  if (!duration || duration.isUnresolved()) return undefined;
  return duration.toSeconds({ integral: false });
}

/** Duration in seconds for a request: a token stays a token. */
export function renderSeconds(duration: Duration | undefined): number | undefined {
  return duration?.toSeconds();
}
