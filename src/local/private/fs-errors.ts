/**
 * File-system failures a user can fix, said so (INTERNAL): a read-only
 * work dir, a full disk, a missing or forbidden folder. Node's own messages
 * ("EROFS: read-only file system, mkdir ...") name neither what local mode
 * was doing nor what to do; a short write hides "no space left on device"
 * altogether.
 */
import { LocalModeError } from '../errors';

/** The fixes, per errno code. */
const CAUSES: { [code: string]: string } = {
  EROFS: 'the file system is read-only (EROFS). Choose a writable folder (--workdir of the CLI, workDir of DockerRunner)',
  ENOSPC: 'no space left on device (ENOSPC). Free some space on that file system, or choose a folder on another one (--workdir, workDir)',
  EDQUOT: 'the disk quota is exceeded (EDQUOT). Free some space, or choose a folder on another file system (--workdir, workDir)',
  EACCES: 'permission denied (EACCES). Choose a folder you can write to (--workdir, workDir), or fix its permissions',
  EPERM: 'the operation is not permitted (EPERM). Choose a folder you can write to (--workdir, workDir), or fix its permissions',
  ENOTDIR: 'a part of the path is a file, not a folder (ENOTDIR)',
};

/** The errno code of `e`, when it is a Node.js system error. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `e` (an error, or a command's stderr) says that the disk is full. */
export function isDiskFull(e: unknown): boolean {
  if (errnoCode(e) === 'ENOSPC' || errnoCode(e) === 'EDQUOT') { return true; }
  const text = typeof e === 'string' ? e : `${(e as Error | undefined)?.message ?? ''} ${(e as { stderr?: string } | undefined)?.stderr ?? ''}`;
  return /no space left on device|disk quota exceeded/i.test(text);
}

/**
 * `e` as a {@link LocalModeError} that names the action, the file and the
 * cause, when it is one of the failures above (also a disk-full error that
 * came as a command's output); any other error is returned unchanged.
 */
export function explainFileSystemError(e: unknown, action: string, file: string): unknown {
  // A LocalModeError already says what to do, unless it is a command's failure that hides a full disk (tar's "No space left").
  if (e instanceof LocalModeError && !isDiskFull(e)) { return e; }
  const code = isDiskFull(e) ? (errnoCode(e) === 'EDQUOT' ? 'EDQUOT' : 'ENOSPC') : errnoCode(e);
  const cause = code ? CAUSES[code] : undefined;
  return cause ? new LocalModeError(`${action} ${file} failed: ${cause}.`) : e;
}

/**
 * {@link explainFileSystemError} for the failures of WRITING only (a full
 * disk, a read-only file system), where the failing step is not known
 * precisely; any other error is returned unchanged.
 */
export function explainWriteError(e: unknown, action: string, file: string): unknown {
  return isDiskFull(e) || errnoCode(e) === 'EROFS' ? explainFileSystemError(e, action, file) : e;
}
