/**
 * Containers (INTERNAL). {@link runContainer}: `docker run` in the foreground
 * (one process that starts the container, streams its stdout/stderr line by
 * line and ends with its exit code: the lean path used by training).
 * {@link startDetachedContainer}: `docker run -d`, then `docker logs -f`
 * for the lines and `docker wait` for the exit code (for servers). Both
 * return a {@link RunningContainer} (`exited`, `stop(grace)`, `remove()`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { cleanupRegistry, removeContainers } from './cleanup';
import type { DockerCli } from './cli';
import {
  buildRunArgs, ContainerRunOptions, envFileEntries, envFilePath, followLogsArgs, stopContainersArgs, waitArgs,
} from './commands';
import { CommandError, LineCallback, RunningProcess, tail } from './process';
import { LocalModeError } from '../../errors';
import { makeTempDirSync } from '../temp-dir';

/**
 * Writes the env-file of `options` (mode 0600, readable by this user only)
 * and returns its path; undefined when {@link envFilePath} is.
 */
export function writeEnvFile(options: ContainerRunOptions): string | undefined {
  const file = envFilePath(options);
  if (!file) { return undefined; }
  const content = envFileEntries(options.env).file.map(([k, v]) => `${k}=${v}\n`).join('');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // an existing file keeps its mode otherwise
    fs.writeFileSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

/**
 * `options` with an env-file written: into `options.envFileDir`, else into
 * a private temp folder. `done()` deletes what was written. Nothing is
 * written when the environment is empty.
 */
function withEnvFile(options: ContainerRunOptions): { options: ContainerRunOptions; done: () => void } {
  if (envFileEntries(options.env).file.length === 0) { return { options, done: () => undefined }; }
  let privateDir: string | undefined;
  if (!options.envFileDir) {
    privateDir = makeTempDirSync('env');
    cleanupRegistry.trackDir(privateDir);
  }
  const withDir = privateDir ? { ...options, envFileDir: privateDir } : options;
  const file = writeEnvFile(withDir);
  return {
    options: withDir,
    done: () => {
      if (privateDir) {
        fs.rmSync(privateDir, { recursive: true, force: true });
        cleanupRegistry.releaseDir(privateDir);
      } else if (file) {
        fs.rmSync(file, { force: true });
      }
    },
  };
}

/** A container started by {@link runContainer} or {@link startDetachedContainer}. */
export interface RunningContainer {
  readonly name: string;
  /**
   * Resolves with the container's exit code once it has exited and all its
   * log lines were delivered. Rejects with a {@link CommandError} when docker
   * itself failed (for example the image does not exist).
   */
  readonly exited: Promise<number>;
  /** SIGTERM, then SIGKILL after `stopGraceSeconds` (`docker stop -t`). Never throws. */
  stop(stopGraceSeconds: number): Promise<void>;
  /** `docker rm -f`; ignores a container that is already gone. Never throws. */
  remove(): Promise<void>;
}

/**
 * `docker run` in the foreground with `docker`: one process that creates and starts the
 * container, streams its stdout/stderr to `onLine` and exits with the
 * container's exit code. Use `autoRemove: true` to have the container removed
 * by the same call. The container name is registered in
 * {@link cleanupRegistry} until `remove()` or its exit with `autoRemove`.
 *
 * Exit code 125 with a `docker:` message on stderr means docker could not
 * run the container: `exited` then rejects with a {@link CommandError}.
 */
export function runContainer(docker: DockerCli, options: ContainerRunOptions, onLine?: LineCallback): RunningContainer {
  if (!options.name) { throw new LocalModeError('runContainer needs a container name (for cleanup).'); }
  if (options.detach) { throw new LocalModeError('runContainer runs in the foreground: use startDetachedContainer for detach.'); }
  const name = options.name;
  cleanupRegistry.trackContainer(name, docker);
  const envFile = withEnvFile(options);
  let proc: RunningProcess;
  try {
    proc = docker.start(buildRunArgs(envFile.options), { onLine, check: false });
  } catch (e) {
    envFile.done();
    throw e;
  }
  const exited = proc.result.finally(envFile.done).then((res) => {
    if (options.autoRemove) { cleanupRegistry.releaseContainer(name); }
    if (res.exitCode === 125 && /^docker: /m.test(res.stderr)) {
      throw new CommandError(proc.commandLine, res.exitCode, tail(res.stderr, 20), 'Docker could not run the container.');
    }
    return res.exitCode;
  });
  return containerHandle(docker, name, exited);
}

/**
 * `docker run -d` with `docker`, then `docker logs -f` streaming to `onLine` and
 * `docker wait` for the exit code. Resolves once the container is started.
 * The env-file is deleted as soon as `docker run -d` returns.
 */
export async function startDetachedContainer(docker: DockerCli, options: ContainerRunOptions, onLine?: LineCallback): Promise<RunningContainer> {
  if (!options.name) { throw new LocalModeError('startDetachedContainer needs a container name (for cleanup).'); }
  const name = options.name;
  cleanupRegistry.trackContainer(name, docker);
  const envFile = withEnvFile({ ...options, detach: true });
  try {
    await docker.run(buildRunArgs(envFile.options));
  } finally {
    envFile.done();
  }
  const logs = onLine
    ? docker.start(followLogsArgs(name), { onLine, check: false }).result
    : Promise.resolve(undefined);
  const exited = (async () => {
    const waited = await docker.run(waitArgs(name), { check: false });
    await logs;
    const code = parseInt(waited.stdout.trim(), 10);
    if (waited.exitCode !== 0 || isNaN(code)) {
      if (options.autoRemove) { return -1; } // removed before `docker wait` attached
      throw new CommandError(`${docker.executable} wait ${name}`, waited.exitCode, tail(waited.stderr, 10));
    }
    if (options.autoRemove) { cleanupRegistry.releaseContainer(name); }
    return code;
  })();
  return containerHandle(docker, name, exited);
}

/** Stop/remove use the CLI that started the container, whoever calls them later. */
function containerHandle(docker: DockerCli, name: string, exited: Promise<number>): RunningContainer {
  exited.catch(() => { /* handled by whoever awaits */ });
  return {
    name,
    exited,
    stop: (stopGraceSeconds: number) => stopContainers(docker, [name], stopGraceSeconds),
    remove: () => removeContainers(docker, [name]),
  };
}


/** Stop several containers of `docker` at once (SIGTERM, SIGKILL after `stopGraceSeconds`); never throws. */
export async function stopContainers(docker: DockerCli, names: string[], stopGraceSeconds: number): Promise<void> {
  if (names.length === 0) { return; }
  await docker.run(stopContainersArgs(names, stopGraceSeconds), { check: false }).catch(() => undefined);
}
