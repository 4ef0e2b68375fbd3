import { Duration, Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import type { Problems } from './validation';

/** Duration in seconds for validation: undefined when it is a token (checked at deploy time). */
export function seconds(duration: Duration | undefined): number | undefined {
  if (!duration || duration.isUnresolved()) return undefined;
  return duration.toSeconds({ integral: false });
}

/** Duration in seconds for a request: a token stays a token. */
export function renderSeconds(duration: Duration | undefined): number | undefined {
  return duration?.toSeconds();
}

/** A size that must be a whole number of GiB from 1 to `maxGib` (a token is left to deploy time). */
export function checkSize(problems: Problems, property: string, size: Size | undefined, maxGib?: number): void {
  if (!size || size.isUnresolved()) return;
  const gib = size.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!Number.isInteger(gib) || gib < 1 || (maxGib !== undefined && gib > maxGib)) {
    problems.add(property, `${gib} GiB`, maxGib === undefined ? 'a whole number of GiB, at least 1' : `a whole number of GiB from 1 to ${maxGib}`);
  }
}

/** A size in whole GiB for a request: a token stays a token. */
export function renderGibibytes(size: Size | undefined): number | undefined {
  return size?.toGibibytes();
}
