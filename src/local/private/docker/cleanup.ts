/**
 * The cleanup registry (INTERNAL): every container, network and temp dir
 * this process created; removed on success/failure by the runners and on
 * SIGINT/SIGTERM by signal handlers installed once (then the signal is
 * re-raised so the exit status is right). A temp folder registered with an
 * image is given back to the invoking user when removing it fails (see
 * `./ownership.ts`); a folder that still cannot be removed is reported as a
 * warning with its path, never silently left behind.
 */
import * as fs from 'fs';
import type { DockerCli } from './cli';
import { networkRemoveArgs, ownershipRunArgs, removeContainersArgs } from './commands';
import { needsOwnership, restoreOwnership } from './ownership';
import { tail } from './process';

/** `docker rm -f` several containers at once with `docker`; ignores missing ones; never throws. */
export async function removeContainers(docker: DockerCli, names: string[]): Promise<void> {
  if (names.length === 0) { return; }
  await docker.run(removeContainersArgs(names), { check: false }).catch(() => undefined);
  for (const n of names) { cleanupRegistry.releaseContainer(n); }
}

/**
 * How a registered temp folder that containers wrote into is removed: when
 * removing it fails (files a container wrote as root, and this process is
 * not root), a throw-away container of `image` run with `docker` gives the
 * folder back to the invoking user ({@link restoreOwnership}) and the
 * removal is retried. Without these options there is no retry.
 */
export interface TrackDirOptions {
  /** An image present locally (on `docker`'s engine) that containers wrote into the folder with. */
  readonly image: string;
  /** The Docker CLI of those containers. */
  readonly docker: DockerCli;
}

/**
 * Everything this process created: containers, networks, temp dirs. Runners
 * register what they create and call {@link CleanupRegistry.cleanup} (or
 * release items) when done; on SIGINT/SIGTERM the handlers remove all that is
 * still registered synchronously and re-raise the signal. Each container
 * and network remembers the {@link DockerCli} that created it (so does a
 * folder registered with an image), and is removed with that CLI.
 */
export class CleanupRegistry {
  /**
   * Receives a warning when something could not be removed (the message
   * names the path or container). @default - written to stderr
   */
  public onWarning: (message: string) => void = defaultWarning;

  private readonly containers = new Map<string, DockerCli>();
  private readonly networks = new Map<string, DockerCli>();
  private readonly dirs = new Map<string, TrackDirOptions | undefined>();
  private handlersInstalled = false;

  /** A container created with `docker`. */
  public trackContainer(name: string, docker: DockerCli): void {
    this.containers.set(name, docker);
    this.installHandlers();
  }
  public releaseContainer(name: string): void { this.containers.delete(name); }
  /** A network created with `docker`. */
  public trackNetwork(name: string, docker: DockerCli): void {
    this.networks.set(name, docker);
    this.installHandlers();
  }
  public releaseNetwork(name: string): void { this.networks.delete(name); }
  public trackDir(dir: string, options?: TrackDirOptions): void {
    this.dirs.set(dir, options);
    this.installHandlers();
  }
  public releaseDir(dir: string): void { this.dirs.delete(dir); }

  /** What is still registered (for tests and diagnostics). */
  public pending(): { containers: string[]; networks: string[]; dirs: string[] } {
    return { containers: [...this.containers.keys()], networks: [...this.networks.keys()], dirs: [...this.dirs.keys()] };
  }

  /**
   * Remove the given items (default: everything registered). Never throws:
   * a folder that cannot be removed is reported to {@link onWarning}.
   */
  public async cleanup(items?: { containers?: string[]; networks?: string[]; dirs?: string[] }): Promise<void> {
    const containers = items ? items.containers ?? [] : [...this.containers.keys()];
    const networks = items ? items.networks ?? [] : [...this.networks.keys()];
    const dirs = items ? items.dirs ?? [] : [...this.dirs.keys()];
    for (const [docker, names] of groupBy(containers, (c) => this.containers.get(c))) {
      await removeContainers(docker, names);
    }
    for (const [docker, names] of groupBy(networks, (n) => this.networks.get(n))) {
      await docker.run(networkRemoveArgs(names), { check: false }).catch(() => undefined);
      names.forEach((n) => this.networks.delete(n));
    }
    for (const d of dirs) {
      const tracked = this.dirs.get(d);
      let error = await rmDir(d);
      if (error && tracked && needsOwnership()) {
        const chown = await restoreOwnership(tracked.docker, [d], tracked.image);
        error = await rmDir(d);
        if (error && chown) { error = `${error}; ${chown}`; }
      }
      if (error) { this.onWarning(`could not remove the temporary folder ${d}: ${error}. Remove it by hand (it may hold files a container wrote as root).`); }
      this.dirs.delete(d);
    }
  }

  /** Synchronous variant for signal handlers and `exit`. Never throws. */
  public cleanupSync(): void {
    for (const [docker, names] of groupBy([...this.containers.keys()], (c) => this.containers.get(c))) {
      docker.runSync(removeContainersArgs(names));
    }
    this.containers.clear();
    for (const [docker, names] of groupBy([...this.networks.keys()], (n) => this.networks.get(n))) {
      docker.runSync(networkRemoveArgs(names));
    }
    this.networks.clear();
    for (const [d, tracked] of this.dirs) {
      let error = rmDirSync(d);
      if (error && tracked && needsOwnership()) {
        const res = tracked.docker.runSync(ownershipRunArgs([d], tracked.image, process.getuid!(), process.getgid!()),
          { stdio: ['ignore', 'ignore', 'pipe'] });
        error = rmDirSync(d);
        if (error && res.status !== 0) { error = `${error}; giving it back to uid ${process.getuid!()} failed: ${tail(res.stderr ?? res.error?.message ?? '', 3)}`; }
      }
      if (error) { this.onWarning(`could not remove the temporary folder ${d}: ${error}. Remove it by hand (it may hold files a container wrote as root).`); }
    }
    this.dirs.clear();
  }

  private installHandlers(): void {
    if (this.handlersInstalled) { return; }
    this.handlersInstalled = true;
    const onSignal = (signal: NodeJS.Signals) => {
      // Another handler owns this signal (the CLI's serve loop stops its
      // endpoint gracefully: SIGTERM, then SIGKILL after the grace period, and
      // exits). Leave it to that handler; 'exit' removes whatever is left.
      if (process.listenerCount(signal) > 1) { return; }
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('exit', onExit);
      this.handlersInstalled = false;
      this.cleanupSync();
      // Re-raise: with our listener gone, the default action ends the process
      // with the conventional status (130 for SIGINT, 143 for SIGTERM).
      if (process.listenerCount(signal) === 0) {
        process.kill(process.pid, signal);
      }
    };
    const onExit = () => this.cleanupSync();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', onExit);
  }
}

/** The registry of this process. */
export const cleanupRegistry = new CleanupRegistry();

/** Synchronous, so it also works in signal handlers and `exit`. */
function defaultWarning(message: string): void {
  try { fs.writeSync(2, `byoa: warning: ${message}\n`); } catch { /* no stderr */ }
}

/** `fs.rm -rf`; the error message, or undefined when `dir` is gone. */
async function rmDir(dir: string): Promise<string | undefined> {
  try {
    await fs.promises.rm(dir, { recursive: true, force: true });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function rmDirSync(dir: string): string | undefined {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Items grouped by the CLI `key` gives (items without one are not registered: skipped). */
function groupBy<T>(items: T[], key: (item: T) => DockerCli | undefined): Map<DockerCli, T[]> {
  const groups = new Map<DockerCli, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k) { groups.set(k, [...(groups.get(k) ?? []), item]); }
  }
  return groups;
}
