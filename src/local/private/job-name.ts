/**
 * Unique job names for local runs (INTERNAL). The run spec holds a name
 * PREFIX (Step Functions computes the real name per execution in the
 * cloud); local mode appends a timestamp suffix the same way.
 */

/** SageMaker's rule for training/transform job names. */
export const JOB_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const MAX_LENGTH = 63;

let lastStamp = 0;

/**
 * `<prefix>-<yyyyMMddHHmmssSSS>` (UTC), at most 63 characters and valid per
 * {@link JOB_NAME_PATTERN}: characters outside `[a-zA-Z0-9-]` in the prefix
 * become `-`, and the prefix is shortened to make room for the suffix. Names
 * made by one process are unique (the millisecond is bumped on a clash).
 */
export function uniqueJobName(prefix: string | undefined, now: Date = new Date()): string {
  let stamp = now.getTime();
  if (stamp <= lastStamp) { stamp = lastStamp + 1; }
  lastStamp = stamp;
  const suffix = new Date(stamp).toISOString().replace(/[^0-9]/g, '').slice(0, 17);
  let clean = (prefix ?? '').replace(/[^a-zA-Z0-9-]/g, '-').replace(/^-+/, '');
  clean = clean.slice(0, MAX_LENGTH - suffix.length - 1).replace(/-+$/, '');
  return clean ? `${clean}-${suffix}` : `job-${suffix}`;
}
