/**
 * Reaping what dead runs left (INTERNAL): `byoa local tidy`, and every run
 * before it starts its own containers.
 *
 * A run that ends normally, fails or gets Ctrl-C removes everything it
 * created (`./docker/cleanup.ts`). A run that is SIGKILLed, crashes or loses
 * its machine's power cannot: its containers keep running, its networks and
 * scratch folders stay. Each of them names its owner: containers and
 * networks by the labels `byoa.pid` and `byoa.host`, temp folders by their
 * name (`./temp-dir.ts`), a job's `.scratch` folder by the process id at the
 * end of the job name (`./job-name.ts`). What belongs to a process that no
 * longer exists on this host is removed; anything of a live process, of
 * another host (a shared or remote engine), or without an owner is left
 * alone.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DockerCli, listLocalContainersArgs, listLocalNetworksArgs, networkRemoveArgs, parseOwnedListing, removeContainersArgs, tail,
} from './docker';
import { jobNameOwner } from './job-name';
import { tempDirOwner } from './temp-dir';

/** What was (or, in a dry run, would be) removed, and what could not be. */
export interface TidyReport {
  readonly containers: string[];
  readonly networks: string[];
  /** Temp folders and jobs' `.scratch` folders. */
  readonly folders: string[];
  /** What could not be removed, and why (each names the item). */
  readonly problems: string[];
}

export interface TidyOptions {
  /** Work dirs whose jobs' `.scratch` folders are looked at too. @default - none */
  readonly workDirs?: string[];
  /** List only, remove nothing. @default false */
  readonly dryRun?: boolean;
  /** Whether process `pid` of this host is alive (tests). @default - signal 0 */
  readonly isAlive?: (pid: number) => boolean;
}

/** Whether process `pid` exists on this machine (EPERM: it exists, but is another user's). */
export function processIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) { return false; }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove the containers, networks and folders whose owning process is gone. Never throws for one item: see `problems`. */
export async function reapDeadRuns(docker: DockerCli, options: TidyOptions = {}): Promise<TidyReport> {
  const isAlive = options.isAlive ?? processIsAlive;
  const host = os.hostname();
  const dead = (owner: { pid: number; host: string }) =>
    !Number.isNaN(owner.pid) && (owner.host === '' || owner.host === host) && owner.pid !== process.pid && !isAlive(owner.pid);
  const problems: string[] = [];

  const [containerList, networkList] = await Promise.all([
    docker.run(listLocalContainersArgs(), { check: false }),
    docker.run(listLocalNetworksArgs(), { check: false }),
  ]);
  for (const [what, listing] of [['containers', containerList], ['networks', networkList]] as const) {
    if (listing.exitCode !== 0) { problems.push(`listing the ${what} failed: ${tail(listing.stderr, 3) || `exit code ${listing.exitCode}`}`); }
  }
  const containers = containerList.exitCode === 0 ? parseOwnedListing(containerList.stdout).filter(dead).map((c) => c.name) : [];
  const networks = networkList.exitCode === 0 ? parseOwnedListing(networkList.stdout).filter(dead).map((n) => n.name) : [];
  const folders = [...deadTempDirs(dead), ...(options.workDirs ?? []).flatMap((w) => deadScratchDirs(w, dead))];
  if (options.dryRun) { return { containers, networks, folders, problems }; }

  // Containers first: a network in use cannot be removed.
  if (containers.length) {
    const res = await docker.run(removeContainersArgs(containers), { check: false });
    if (res.exitCode !== 0) { problems.push(`removing containers ${containers.join(', ')} failed: ${tail(res.stderr, 3)}`); }
  }
  if (networks.length) {
    const res = await docker.run(networkRemoveArgs(networks), { check: false });
    if (res.exitCode !== 0) { problems.push(`removing networks ${networks.join(', ')} failed: ${tail(res.stderr, 3)}`); }
  }
  const removed: string[] = [];
  for (const dir of folders) {
    try {
      await fs.promises.rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch (e) {
      problems.push(`could not remove ${dir}: ${(e as Error).message} (files a container wrote as root: remove it as root)`);
    }
  }
  return { containers, networks, folders: removed, problems };
}

/** Local mode's temp folders (`byoa-<kind>-<pid>-XXXXXX` in the temp dir) of dead processes. */
function deadTempDirs(dead: (owner: { pid: number; host: string }) => boolean): string[] {
  const base = os.tmpdir();
  let names: string[];
  try { names = fs.readdirSync(base); } catch { return []; }
  return names.flatMap((name) => {
    const pid = tempDirOwner(name);
    return pid !== undefined && dead({ pid, host: '' }) ? [path.join(base, name)] : [];
  });
}

/** `<workDir>/<job>/.scratch` folders of jobs whose process (the base-36 pid that ends the job name) is dead. */
function deadScratchDirs(workDir: string, dead: (owner: { pid: number; host: string }) => boolean): string[] {
  let jobs: string[];
  try { jobs = fs.readdirSync(workDir); } catch { return []; }
  return jobs.flatMap((job) => {
    const scratch = path.join(workDir, job, '.scratch');
    const pid = jobNameOwner(job);
    return pid !== undefined && fs.existsSync(scratch) && dead({ pid, host: '' }) ? [scratch] : [];
  });
}
