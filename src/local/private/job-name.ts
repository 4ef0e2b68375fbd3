/**
 * Unique job names for local runs (INTERNAL). The run spec holds a name
 * PREFIX (Step Functions computes the real name per execution in the
 * cloud); local mode appends a timestamp suffix the same way.
 */
import { MAX_NAME_LENGTH } from '../../private/sagemaker-limits';

/** `yyyyMMddHHmmssSSS`. */
const STAMP_DIGITS = 17;

let lastStamp = 0;

/**
 * `<prefix>-<yyyyMMddHHmmssSSS>` (UTC), at most 63 characters and valid per
 * `JOB_NAME_PATTERN` (`src/private/sagemaker-limits.ts`): characters outside `[a-zA-Z0-9-]` in the prefix
 * become `-`, and the prefix is shortened to make room for the suffix. Names
 * made by one process are unique (the millisecond is bumped on a clash).
 */
export function uniqueJobName(prefix: string | undefined, now: Date = new Date()): string {
  let stamp = now.getTime();
  if (stamp <= lastStamp) { stamp = lastStamp + 1; }
  lastStamp = stamp;
  const suffix = new Date(stamp).toISOString().replace(/[^0-9]/g, '').slice(0, STAMP_DIGITS);
  return `${namePart(prefix, suffix.length)}-${suffix}`;
}

/**
 * A matcher for the names {@link uniqueJobName} gives jobs of `prefix`: it
 * returns the timestamp suffix of a matching name (names sort by it), else
 * undefined.
 */
export function jobNameMatcher(prefix: string | undefined): (name: string) => string | undefined {
  const head = namePart(prefix, STAMP_DIGITS);
  const pattern = new RegExp(`^${head.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{${STAMP_DIGITS}})$`);
  return (name) => pattern.exec(name)?.[1];
}

/** The cleaned, shortened prefix (`job` when nothing is left) that comes before a suffix of `suffixLength` characters. */
function namePart(prefix: string | undefined, suffixLength: number): string {
  let clean = (prefix ?? '').replace(/[^a-zA-Z0-9-]/g, '-').replace(/^-+/, '');
  clean = clean.slice(0, MAX_NAME_LENGTH - suffixLength - 1).replace(/-+$/, '');
  return clean || 'job';
}
