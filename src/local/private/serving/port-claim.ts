/**
 * Loopback port claims that hold ACROSS processes (INTERNAL).
 *
 * With host networking a serving container binds a host port itself, after
 * it has started: a check that the port is free, made before, cannot keep
 * another process (another `byoa`, a test run in another worktree) from
 * choosing the same port meanwhile. So before a port is given to a
 * container, this process claims it: it creates
 * `<tmpdir>/byoa-port-claims/<port>.claim` exclusively (`O_EXCL`), holding
 * its pid and a random token. A claim whose process is gone (killed, crashed)
 * is stale and is taken over. The claim is released when the container is
 * stopped, and on this process's exit.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** One port claimed by this process. */
export interface PortClaim {
  readonly port: number;
  /** Gives the port up (idempotent; never throws). */
  release(): void;
}

/** The shared folder of claims (one per machine and temp dir). */
export function portClaimDir(): string {
  return path.join(os.tmpdir(), 'byoa-port-claims');
}

/** Claims of this process still held, by file: removed at exit. */
const held = new Map<string, string>();
let exitHookInstalled = false;

/**
 * Claims `port` for this process, or returns undefined when a live process
 * holds it. Never blocks.
 */
export function tryClaimPort(port: number): PortClaim | undefined {
  const dir = portClaimDir();
  ensureSharedDir(dir);
  const file = path.join(dir, `${port}.claim`);
  const token = `${process.pid} ${crypto.randomBytes(8).toString('hex')}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, token, { flag: 'wx', mode: 0o644 });
      held.set(file, token);
      installExitHook();
      let released = false;
      return {
        port,
        release: () => {
          if (released) return;
          released = true;
          releaseFile(file, token);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!takeOverIfStale(file)) return undefined;
    }
  }
  return undefined;
}

/** Whether a process with this pid exists (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes `file` when the process named in it is gone. The file is first
 * renamed to a name of this process, so two processes that both find the
 * same stale claim do not both remove a fresh one made in between: the
 * renamed file is checked again, and put back (without overwriting) when
 * it turns out to be live.
 */
function takeOverIfStale(file: string): boolean {
  const owner = ownerPid(readOrUndefined(file));
  if (owner === undefined || processAlive(owner)) return owner === undefined && !fs.existsSync(file);
  const aside = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return true; // gone already: try again
  }
  const moved = ownerPid(readOrUndefined(aside));
  if (moved !== undefined && processAlive(moved)) {
    try { fs.linkSync(aside, file); } catch { /* a newer claim exists: leave it */ }
  }
  fs.rmSync(aside, { force: true });
  return true;
}

function ownerPid(content: string | undefined): number | undefined {
  const pid = parseInt(content?.split(' ')[0] ?? '', 10);
  return isNaN(pid) ? undefined : pid;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function releaseFile(file: string, token: string): void {
  held.delete(file);
  if (readOrUndefined(file) === token) fs.rmSync(file, { force: true });
}

function ensureSharedDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  // Every user's runs share it (like /tmp itself): sticky and world-writable.
  try { fs.chmodSync(dir, 0o1777); } catch { /* made by another user meanwhile */ }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [file, token] of [...held]) {
      try { releaseFile(file, token); } catch { /* exiting */ }
    }
  });
}
