/**
 * File ownership (INTERNAL): after a job, chown the host folders the
 * container wrote as root back to the invoking user (no-op as root). The
 * job container itself always runs as the image's user (root on
 * SageMaker), never with `--user`.
 */
import * as fs from 'fs';
import type { DockerCli } from './cli';
import { ownershipRunArgs } from './commands';
import { tail } from './process';

/** Whether files written by root in containers must be given back: this process has uids and is not root. */
export function needsOwnership(): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && process.getgid?.() !== undefined && uid !== 0;
}

/**
 * Containers run as root (as on SageMaker), so what they write into bind
 * mounts is owned by root. When this process is not root, give `dirs` back
 * to the invoking user with a throw-away container of `image` (run with `docker`) running
 * `chown -R uid:gid` (see {@link ownershipRunArgs}). No-op as root, on
 * platforms without uids, and for folders that do not exist. Never throws:
 * returns an error message when it could not.
 */
export async function restoreOwnership(docker: DockerCli, dirs: string[], image: string): Promise<string | undefined> {
  const existing = dirs.filter((d) => fs.existsSync(d));
  if (!needsOwnership() || existing.length === 0) { return undefined; }
  const uid = process.getuid!();
  const res = await docker.run(ownershipRunArgs(existing, image, uid, process.getgid!()), { check: false })
    .catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
  return res.exitCode === 0 ? undefined : `could not give ${existing.join(', ')} back to uid ${uid}: ${tail(res.stderr, 3)}`;
}
