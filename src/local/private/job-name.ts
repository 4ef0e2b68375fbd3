/**
 * Unique job names for local runs (INTERNAL). The run spec holds a name
 * PREFIX (Step Functions computes the real name per execution in the
 * cloud); local mode appends a timestamp suffix the same way, and this
 * process's id, so that runs of different processes in the same millisecond
 * get different names (the runners also create the job folder exclusively:
 * `createJobFolder` in `./work-dir.ts`).
 */
import { MAX_NAME_LENGTH } from '../../private/sagemaker-limits';

/** `yyyyMMddHHmmssSSS`. */
const STAMP_DIGITS = 17;
/** Most base-36 digits of a process id (36^5 > 2^22, Linux's largest pid_max). */
const PID_CHARS = 5;
/** The `-<stamp>-<pid>` suffix; group 1 is the pid. */
const OWNER_SUFFIX = new RegExp(`-\\d{${STAMP_DIGITS}}-([0-9a-z]{1,${PID_CHARS}})$`);
/** `-<stamp>-<pid>` at its longest. */
const SUFFIX_LENGTH = 1 + STAMP_DIGITS + 1 + PID_CHARS;

let lastStamp = 0;

/**
 * `<prefix>-<yyyyMMddHHmmssSSS>-<pid in base 36>` (UTC stamp), at most
 * 63 characters and valid per `JOB_NAME_PATTERN`
 * (`src/private/sagemaker-limits.ts`): characters outside `[a-zA-Z0-9-]` in
 * the prefix become `-`, and the prefix is shortened to make room for the
 * suffix. Names made by one process are unique (the millisecond is bumped on
 * a clash); the pid separates the processes running at the same time.
 */
export function uniqueJobName(prefix: string | undefined, now: Date = new Date(), pid: number = process.pid): string {
  let stamp = now.getTime();
  if (stamp <= lastStamp) { stamp = lastStamp + 1; }
  lastStamp = stamp;
  const digits = new Date(stamp).toISOString().replace(/[^0-9]/g, '').slice(0, STAMP_DIGITS);
  return `${namePart(prefix, SUFFIX_LENGTH - 1)}-${digits}-${pid.toString(36).slice(-PID_CHARS)}`;
}

/**
 * A matcher for the names {@link uniqueJobName} gives jobs of `prefix`: it
 * returns the timestamp suffix of a matching name (names sort by it), else
 * undefined. Names without the process id (made by earlier versions) match
 * too.
 */
export function jobNameMatcher(prefix: string | undefined): (name: string) => string | undefined {
  const head = namePart(prefix, SUFFIX_LENGTH - 1);
  const pattern = new RegExp(`^${head.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{${STAMP_DIGITS}})(?:-[0-9a-z]{1,${PID_CHARS}})?$`);
  return (name) => pattern.exec(name)?.[1];
}

/**
 * The process that made a job name (the base-36 pid that ends what
 * {@link uniqueJobName} gives), else undefined (another name, or one made
 * by an earlier version, without the pid).
 */
export function jobNameOwner(name: string): number | undefined {
  const m = OWNER_SUFFIX.exec(name);
  return m ? parseInt(m[1], 36) : undefined;
}

/** The cleaned, shortened prefix (`job` when nothing is left) that comes before a suffix of `suffixLength` characters. */
function namePart(prefix: string | undefined, suffixLength: number): string {
  let clean = (prefix ?? '').replace(/[^a-zA-Z0-9-]/g, '-').replace(/^-+/, '');
  clean = clean.slice(0, MAX_NAME_LENGTH - suffixLength - 1).replace(/-+$/, '');
  return clean || 'job';
}
