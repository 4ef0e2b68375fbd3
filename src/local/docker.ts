/**
 * Docker plumbing shared by every local runner (training, batch transform,
 * real-time endpoint). INTERNAL: not exported from the package barrel (its
 * types use Node's `child_process`), but its API is stable for the other
 * `src/local` modules. Overview:
 *
 * - {@link dockerExecutable}: the Docker CLI, detected once and cached;
 *   `CDK_DOCKER` (the variable CDK uses) wins over `docker` on the PATH.
 *   {@link withDockerExecutable} scopes another CLI to one asynchronous call
 *   tree (a `DockerRunner` with its own `dockerExecutable`), without changing
 *   it for anybody else; containers, networks and folders remember the CLI
 *   that created them. {@link ensureDockerEngine} checks once per CLI that an
 *   engine answers (clear {@link LocalModeError} otherwise) and whether it
 *   has a bridge network.
 * - {@link runProcess} / {@link startProcess}: the ONE process helper. Every
 *   docker call goes through it; a failing command throws
 *   {@link CommandError} carrying the command line, the exit code and the
 *   tail of stderr. {@link docker} is `runProcess(dockerExecutable(), ...)`.
 * - {@link buildRunArgs}: the ONE place that builds a `docker run` argument
 *   list, from a typed {@link ContainerRunOptions}. The environment goes into
 *   an env-file (mode 0600) rather than `-e K=V`, so values never show in
 *   `ps`; only values an env-file cannot hold (line breaks) use `-e`.
 * - {@link runContainer}: `docker run` in the foreground (one process that
 *   starts the container, streams its stdout/stderr line by line and ends
 *   with its exit code: the lean path used by training).
 *   {@link startDetachedContainer}: `docker run -d`, then `docker logs -f`
 *   for the lines and `docker wait` for the exit code (for servers).
 *   Both return a {@link RunningContainer} (`exited`, `stop(grace)`,
 *   `remove()`).
 * - {@link cleanupRegistry}: every container, network and temp dir this
 *   process created; removed on success/failure by the runners and on
 *   SIGINT/SIGTERM by signal handlers installed once (then the signal is
 *   re-raised so the exit status is right).
 * - {@link networkModeFor} / {@link freeLoopbackPort}: networking. With no
 *   bridge network (engines started with `--bridge=none`) containers use
 *   host networking; a server then binds a free loopback port (set it in
 *   `SAGEMAKER_BIND_TO_PORT`). With a bridge, servers publish
 *   `-p 127.0.0.1:PORT:8080`.
 * - {@link restoreOwnership}: after a job, chown the host folders the
 *   container wrote as root back to the invoking user (no-op as root). The
 *   job container itself always runs as the image's user (root on
 *   SageMaker), never with `--user`. A temp folder registered with an image
 *   is given back the same way when removing it fails; a folder that still
 *   cannot be removed is reported as a warning with its path, never
 *   silently left behind.
 *
 * Image preparation (build of an asset, ECR login and pull) lives in
 * `./image.ts`.
 */
import { AsyncLocalStorage } from 'async_hooks';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { LocalModeError } from './errors';

/** Label put on every container and network local mode creates. */
export const LOCAL_LABEL = 'byoa.local';

/**
 * Label with the id of the process that created a container or network
 * (`byoa.pid=<pid>`), put on every one of them: a check for leftovers can
 * look at ITS OWN containers only, whatever else runs on the same engine.
 */
export const PID_LABEL = 'byoa.pid';

/** The labels every container and network of local mode carries. */
export function ownLabels(): { [key: string]: string } {
  return { [LOCAL_LABEL]: 'true', [PID_LABEL]: String(process.pid) };
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** A process (usually `docker ...`) exited with an unexpected status. */
export class CommandError extends LocalModeError {
  /** The command line, for messages. */
  public readonly command: string;
  /** Exit code, or -1 when the process was killed by a signal or did not start. */
  public readonly exitCode: number;
  /** The last lines of the process' stderr. */
  public readonly stderrTail: string;

  constructor(command: string, exitCode: number, stderrTail: string, detail?: string) {
    super(`Command failed (exit code ${exitCode}): ${command}`
      + (detail ? `\n${detail}` : '')
      + (stderrTail ? `\n--- stderr (tail) ---\n${stderrTail}` : ''));
    this.name = 'CommandError';
    this.command = command;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

// ---------------------------------------------------------------------------
// Docker CLI detection
// ---------------------------------------------------------------------------

let executableOverride: string | undefined;
let cachedExecutable: string | undefined;
/** Engine checks, per executable. */
const enginePromises = new Map<string, Promise<DockerEngineInfo>>();
/** The executable of the current asynchronous call tree (see {@link withDockerExecutable}). */
const executableScope = new AsyncLocalStorage<string>();

/** What {@link ensureDockerEngine} found out about the engine. */
export interface DockerEngineInfo {
  readonly executable: string;
  readonly serverVersion: string;
  /** Whether `docker network ls` lists a network with the `bridge` driver. */
  readonly hasBridge: boolean;
}

/**
 * The Docker CLI to run: the one scoped with {@link withDockerExecutable} for
 * the current call tree, else the override set with
 * {@link setDockerExecutable}, else `$CDK_DOCKER`, else `docker`. Cached
 * after the first call.
 */
export function dockerExecutable(): string {
  const scoped = executableScope.getStore();
  if (scoped) { return scoped; }
  if (executableOverride) { return executableOverride; }
  if (!cachedExecutable) {
    cachedExecutable = process.env.CDK_DOCKER?.trim() || 'docker';
  }
  return cachedExecutable;
}

/**
 * Run `fn` with `executable` as the Docker CLI of every docker call it makes
 * (and of everything it starts asynchronously), leaving it unchanged for
 * the rest of the process. `undefined` runs `fn` with the current CLI.
 */
export function withDockerExecutable<T>(executable: string | undefined, fn: () => Promise<T>): Promise<T> {
  return executable ? executableScope.run(executable, fn) : fn();
}

/**
 * Override the Docker CLI for the whole process, or reset to the default
 * detection with `undefined`. Clears the engine cache. Prefer
 * {@link withDockerExecutable}, which does not leak into other callers.
 */
export function setDockerExecutable(executable: string | undefined): void {
  if (executable !== executableOverride || executable === undefined) {
    executableOverride = executable;
    cachedExecutable = undefined;
    enginePromises.clear();
  }
}

/**
 * Check once per process (per executable) that a Docker engine answers, and
 * whether it has a bridge network. Throws a {@link LocalModeError} that says
 * what to do when the CLI is missing or no engine answers.
 */
export function ensureDockerEngine(): Promise<DockerEngineInfo> {
  const exe = dockerExecutable();
  let enginePromise = enginePromises.get(exe);
  if (!enginePromise) {
    enginePromise = (async () => {
      let version: ProcessResult;
      try {
        version = await runProcess(exe, ['version', '--format', '{{.Server.Version}}'], { check: false });
      } catch (e) {
        throw new LocalModeError(`Local mode needs Docker, but the Docker CLI '${exe}' could not be started (${(e as Error).message}). `
          + 'Install Docker, or set CDK_DOCKER to the path of a Docker-compatible CLI.');
      }
      if (version.exitCode !== 0 || !version.stdout.trim()) {
        throw new LocalModeError(`Local mode needs a running Docker engine, but '${exe} version' got no answer from the server `
          + `(exit code ${version.exitCode}): ${tail(version.stderr, 5) || 'no output'}. Start the Docker daemon and try again.`);
      }
      const networks = await runProcess(exe, ['network', 'ls', '--format', '{{.Driver}}']);
      const hasBridge = networks.stdout.split('\n').some((d) => d.trim() === 'bridge');
      return { executable: exe, serverVersion: version.stdout.trim(), hasBridge };
    })();
    enginePromises.set(exe, enginePromise);
    enginePromise.catch(() => { enginePromises.delete(exe); });
  }
  return enginePromise;
}

// ---------------------------------------------------------------------------
// The process helper
// ---------------------------------------------------------------------------

/** Which output stream a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** Called once per complete line (without the line break). */
export type LineCallback = (line: string, stream: OutputStream) => void;

export interface ProcessOptions {
  /** Written to stdin, which is then closed. @default - stdin is closed at once */
  readonly input?: string | Buffer;
  /** When set, output is delivered line by line here and NOT kept in the result (except the stderr tail). */
  readonly onLine?: LineCallback;
  /** Throw {@link CommandError} on a non-zero exit. @default true */
  readonly check?: boolean;
  /** Environment of the process. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface ProcessResult {
  /** Exit code; -1 when killed by a signal. */
  readonly exitCode: number;
  readonly signal?: string;
  /** Full stdout (empty when `onLine` was given). */
  readonly stdout: string;
  /** Full stderr (only the tail when `onLine` was given). */
  readonly stderr: string;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly commandLine: string;
  /** Resolves when the process has exited and its output is drained. */
  readonly result: Promise<ProcessResult>;
}

const STDERR_TAIL_BYTES = 8192;

/** Start a process; see {@link runProcess}. */
export function startProcess(command: string, args: string[], options: ProcessOptions = {}): RunningProcess {
  const commandLine = formatCommand(command, args);
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const check = options.check ?? true;
  const result = new Promise<ProcessResult>((resolve, reject) => {
    const stdoutChunks: Buffer[] = [];
    let stderrText = '';
    const splitters = options.onLine ? {
      stdout: new LineSplitter((l) => options.onLine!(l, 'stdout')),
      stderr: new LineSplitter((l) => options.onLine!(l, 'stderr')),
    } : undefined;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (splitters) { splitters.stdout.push(chunk); } else { stdoutChunks.push(chunk); }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      if (splitters) {
        splitters.stderr.push(chunk);
        stderrText = (stderrText + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      } else {
        stderrText += chunk.toString('utf8');
      }
    });
    child.once('error', (err) => {
      reject(new CommandError(commandLine, -1, '', `The process could not be started: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      splitters?.stdout.end();
      splitters?.stderr.end();
      const res: ProcessResult = {
        exitCode: code ?? -1,
        signal: signal ?? undefined,
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
        stderr: stderrText,
      };
      if (check && res.exitCode !== 0) {
        reject(new CommandError(commandLine, res.exitCode, tail(res.stderr, 20)));
      } else {
        resolve(res);
      }
    });
    child.stdin!.on('error', () => { /* process exited before reading stdin: reported by 'close' */ });
    if (options.input !== undefined) {
      child.stdin!.end(options.input);
    } else {
      child.stdin!.end();
    }
  });
  return { child, commandLine, result };
}

/**
 * Run a process to completion. Every external command of local mode goes
 * through here. Throws {@link CommandError} (command, exit code, stderr tail)
 * when it exits non-zero, unless `check: false`.
 */
export function runProcess(command: string, args: string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return startProcess(command, args, options).result;
}

/** `runProcess(dockerExecutable(), args, options)`. */
export function docker(args: string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return runProcess(dockerExecutable(), args, options);
}

/** Splits a byte stream into lines (`\n` or `\r\n`), UTF-8 safe. */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly onLine: (line: string) => void) {}

  public push(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let nl = buf.indexOf(10);
    while (nl >= 0) {
      this.emit(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(10);
    }
    this.pending = Buffer.from(buf);
  }

  public end(): void {
    if (this.pending.length) { this.emit(this.pending); }
    this.pending = Buffer.alloc(0);
  }

  private emit(bytes: Buffer): void {
    let line = bytes.toString('utf8');
    if (line.endsWith('\r')) { line = line.slice(0, -1); }
    this.onLine(line);
  }
}

// ---------------------------------------------------------------------------
// docker run argument building
// ---------------------------------------------------------------------------

/** A bind mount of a host path into the container. */
export interface BindMount {
  /** Absolute host path; must exist. */
  readonly hostPath: string;
  /** Absolute path in the container. */
  readonly containerPath: string;
  /** @default false */
  readonly readOnly?: boolean;
}

/** `-p HOST_IP:HOST_PORT:CONTAINER_PORT`. */
export interface PortMapping {
  /** @default '127.0.0.1' (never all interfaces) */
  readonly hostIp?: string;
  readonly hostPort: number;
  readonly containerPort: number;
}

/** `--add-host NAME:IP`. */
export interface HostEntry {
  readonly name: string;
  readonly ip: string;
}

/** Everything local mode ever passes to `docker run`. */
export interface ContainerRunOptions {
  readonly image: string;
  /** `--name`. @default - docker picks one (avoid: cleanup needs names) */
  readonly name?: string;
  /** `--label K=V`; {@link LOCAL_LABEL}=true and {@link PID_LABEL}=<this process> are always added (and win). */
  readonly labels?: { [key: string]: string };
  /** `--entrypoint`. @default - the image's entrypoint */
  readonly entrypoint?: string;
  /** Arguments after the image (for example `['train']`). */
  readonly args?: string[];
  /**
   * The container's environment, in the given order. With `envFileDir` it
   * goes into an env-file (`--env-file`), except values an env-file cannot
   * hold (see {@link envFileEntries}), which use `-e K=V`; without it, every
   * entry is `-e K=V`.
   */
  readonly env?: { [key: string]: string };
  /**
   * Folder of the env-file `<name>.env` that holds `env`: see
   * {@link envFilePath}. {@link runContainer} and
   * {@link startDetachedContainer} write it (mode 0600) and delete it.
   * @default - those two use a private temp folder; {@link buildRunArgs} alone uses `-e K=V`
   */
  readonly envFileDir?: string;
  readonly mounts?: BindMount[];
  /** `--network`: 'host', 'none', 'bridge' or a user-defined network. @default - engine default */
  readonly network?: string;
  /** `--network-alias` (user-defined networks only). */
  readonly networkAliases?: string[];
  readonly hostname?: string;
  readonly addHosts?: HostEntry[];
  /** `--user`. @default - the image's user */
  readonly user?: string;
  /** `-d`. @default false */
  readonly detach?: boolean;
  /** `--rm`. @default false */
  readonly autoRemove?: boolean;
  readonly publish?: PortMapping[];
  /** `--stop-timeout` in seconds. */
  readonly stopTimeoutSeconds?: number;
  /** `--platform`. */
  readonly platform?: string;
}

/** The `docker run ...` argument list (without the executable) for `options`. */
export function buildRunArgs(options: ContainerRunOptions): string[] {
  const args = ['run'];
  if (options.detach) { args.push('-d'); }
  if (options.autoRemove) { args.push('--rm'); }
  if (options.name) { args.push('--name', options.name); }
  // Own labels first (stable order), and they win over the caller's.
  const labels = { ...ownLabels(), ...options.labels, ...ownLabels() };
  for (const [k, v] of Object.entries(labels)) { args.push('--label', `${k}=${v}`); }
  if (options.platform) { args.push('--platform', options.platform); }
  if (options.network) { args.push('--network', options.network); }
  for (const alias of options.networkAliases ?? []) { args.push('--network-alias', alias); }
  if (options.hostname) { args.push('--hostname', options.hostname); }
  for (const h of options.addHosts ?? []) { args.push('--add-host', `${h.name}:${h.ip}`); }
  if (options.user) { args.push('--user', options.user); }
  if (options.stopTimeoutSeconds !== undefined) { args.push('--stop-timeout', String(Math.ceil(options.stopTimeoutSeconds))); }
  for (const p of options.publish ?? []) {
    args.push('-p', `${p.hostIp ?? '127.0.0.1'}:${p.hostPort}:${p.containerPort}`);
  }
  for (const m of options.mounts ?? []) {
    const fields = ['type=bind', `source=${m.hostPath}`, `target=${m.containerPath}`];
    if (m.readOnly) { fields.push('readonly'); }
    args.push('--mount', fields.map(csvField).join(','));
  }
  const env = envFileEntries(options.env);
  const envFile = envFilePath(options);
  if (envFile) {
    args.push('--env-file', envFile);
  }
  for (const [k, v] of envFile ? env.inline : [...env.file, ...env.inline]) { args.push('-e', `${k}=${v}`); }
  if (options.entrypoint !== undefined) { args.push('--entrypoint', options.entrypoint); }
  args.push(options.image, ...(options.args ?? []));
  return args;
}

/**
 * Splits an environment into what an env-file can hold and what must be
 * passed with `-e`. Docker reads an env-file line by line: a value with a
 * line break (`\n`, or a `\r`, which ends a line too) cannot be written there,
 * and neither can a name that is empty, holds white space or `=`, or starts
 * with `#` (a comment).
 */
export function envFileEntries(env: { [key: string]: string } | undefined): { file: [string, string][]; inline: [string, string][] } {
  const file: [string, string][] = [];
  const inline: [string, string][] = [];
  for (const [k, v] of Object.entries(env ?? {})) {
    const fits = /^[^\s=#][^\s=]*$/.test(k) && !/[\r\n]/.test(v);
    (fits ? file : inline).push([k, v]);
  }
  return { file, inline };
}

/**
 * The env-file {@link buildRunArgs} refers to for `options`:
 * `<envFileDir>/<name>.env`, or undefined when there is no `envFileDir` or
 * nothing to put in the file.
 */
export function envFilePath(options: ContainerRunOptions): string | undefined {
  if (!options.envFileDir || envFileEntries(options.env).file.length === 0) { return undefined; }
  return path.join(options.envFileDir, `${options.name ?? 'container'}.env`);
}

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
    privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-env-'));
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

/** `--mount` values are CSV: quote a field holding a comma or quote. */
function csvField(field: string): string {
  return /[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

// ---------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------

/** A container started by {@link runContainer} or {@link startDetachedContainer}. */
export interface RunningContainer {
  readonly name: string;
  /**
   * Resolves with the container's exit code once it has exited and all its
   * log lines were delivered. Rejects with a {@link CommandError} when docker
   * itself failed (for example the image does not exist).
   */
  readonly exited: Promise<number>;
  /** SIGTERM, then SIGKILL after `graceSeconds` (`docker stop -t`). Never throws. */
  stop(graceSeconds: number): Promise<void>;
  /** `docker rm -f`; ignores a container that is already gone. Never throws. */
  remove(): Promise<void>;
}

/**
 * `docker run` in the foreground: one process that creates and starts the
 * container, streams its stdout/stderr to `onLine` and exits with the
 * container's exit code. Use `autoRemove: true` to have the container removed
 * by the same call. The container name is registered in
 * {@link cleanupRegistry} until `remove()` or its exit with `autoRemove`.
 *
 * Exit code 125 with a `docker:` message on stderr means docker could not
 * run the container: `exited` then rejects with a {@link CommandError}.
 */
export function runContainer(options: ContainerRunOptions, onLine?: LineCallback): RunningContainer {
  if (!options.name) { throw new LocalModeError('runContainer needs a container name (for cleanup).'); }
  if (options.detach) { throw new LocalModeError('runContainer runs in the foreground: use startDetachedContainer for detach.'); }
  const name = options.name;
  const exe = dockerExecutable();
  cleanupRegistry.trackContainer(name, exe);
  const envFile = withEnvFile(options);
  let proc: RunningProcess;
  try {
    proc = startProcess(exe, buildRunArgs(envFile.options), { onLine, check: false });
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
  return containerHandle(name, exited, exe);
}

/**
 * `docker run -d`, then `docker logs -f` streaming to `onLine` and
 * `docker wait` for the exit code. Resolves once the container is started.
 * The env-file is deleted as soon as `docker run -d` returns.
 */
export async function startDetachedContainer(options: ContainerRunOptions, onLine?: LineCallback): Promise<RunningContainer> {
  if (!options.name) { throw new LocalModeError('startDetachedContainer needs a container name (for cleanup).'); }
  const name = options.name;
  const exe = dockerExecutable();
  cleanupRegistry.trackContainer(name, exe);
  const envFile = withEnvFile({ ...options, detach: true });
  try {
    await runProcess(exe, buildRunArgs(envFile.options));
  } finally {
    envFile.done();
  }
  const logs = onLine
    ? startProcess(exe, ['logs', '--follow', name], { onLine, check: false }).result
    : Promise.resolve(undefined);
  const exited = (async () => {
    const waited = await runProcess(exe, ['wait', name], { check: false });
    await logs;
    const code = parseInt(waited.stdout.trim(), 10);
    if (waited.exitCode !== 0 || isNaN(code)) {
      if (options.autoRemove) { return -1; } // removed before `docker wait` attached
      throw new CommandError(`${exe} wait ${name}`, waited.exitCode, tail(waited.stderr, 10));
    }
    if (options.autoRemove) { cleanupRegistry.releaseContainer(name); }
    return code;
  })();
  return containerHandle(name, exited, exe);
}

/** Stop/remove use the CLI that started the container, whoever calls them later. */
function containerHandle(name: string, exited: Promise<number>, exe: string): RunningContainer {
  exited.catch(() => { /* handled by whoever awaits */ });
  return {
    name,
    exited,
    stop: async (graceSeconds: number) => {
      await withDockerExecutable(exe, () => stopContainers([name], graceSeconds));
    },
    remove: async () => {
      await withDockerExecutable(exe, () => removeContainers([name]));
    },
  };
}

/** `docker rm -f` several containers at once; ignores missing ones; never throws. */
export async function removeContainers(names: string[]): Promise<void> {
  if (names.length === 0) { return; }
  await docker(['rm', '-f', ...names], { check: false }).catch(() => undefined);
  for (const n of names) { cleanupRegistry.releaseContainer(n); }
}

/** Stop several containers at once (SIGTERM, SIGKILL after `graceSeconds`); never throws. */
export async function stopContainers(names: string[], graceSeconds: number): Promise<void> {
  if (names.length === 0) { return; }
  await docker(['stop', '-t', String(Math.max(0, Math.ceil(graceSeconds))), ...names], { check: false }).catch(() => undefined);
}

// ---------------------------------------------------------------------------
// Cleanup registry
// ---------------------------------------------------------------------------

/** How a registered temp folder is removed. */
export interface TrackDirOptions {
  /**
   * An image present locally that containers wrote into this folder with:
   * when removing the folder fails (files a container wrote as root, and
   * this process is not root), a throw-away container of it gives the
   * folder back to the invoking user ({@link restoreOwnership}) and the
   * removal is retried.
   * @default - no retry
   */
  readonly image?: string;
}

interface TrackedDir {
  readonly image?: string;
  /** The Docker CLI that was current when the folder was registered. */
  readonly executable: string;
}

/**
 * Everything this process created: containers, networks, temp dirs. Runners
 * register what they create and call {@link CleanupRegistry.cleanup} (or
 * release items) when done; on SIGINT/SIGTERM the handlers remove all that is
 * still registered synchronously and re-raise the signal. Each item
 * remembers the Docker CLI that created it.
 */
export class CleanupRegistry {
  /**
   * Receives a warning when something could not be removed (the message
   * names the path or container). @default - written to stderr
   */
  public onWarning: (message: string) => void = defaultWarning;

  private readonly containers = new Map<string, string>();
  private readonly networks = new Map<string, string>();
  private readonly dirs = new Map<string, TrackedDir>();
  private handlersInstalled = false;

  public trackContainer(name: string, executable: string = dockerExecutable()): void {
    this.containers.set(name, executable);
    this.installHandlers();
  }
  public releaseContainer(name: string): void { this.containers.delete(name); }
  public trackNetwork(name: string, executable: string = dockerExecutable()): void {
    this.networks.set(name, executable);
    this.installHandlers();
  }
  public releaseNetwork(name: string): void { this.networks.delete(name); }
  public trackDir(dir: string, options: TrackDirOptions = {}): void {
    this.dirs.set(dir, { image: options.image, executable: dockerExecutable() });
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
    for (const [exe, names] of groupBy(containers, (c) => this.containers.get(c))) {
      await withDockerExecutable(exe, () => removeContainers(names));
    }
    for (const [exe, names] of groupBy(networks, (n) => this.networks.get(n))) {
      await withDockerExecutable(exe, () => docker(['network', 'rm', ...names], { check: false })).catch(() => undefined);
      names.forEach((n) => this.networks.delete(n));
    }
    for (const d of dirs) {
      const tracked = this.dirs.get(d);
      let error = await rmDir(d);
      if (error && tracked?.image && needsOwnership()) {
        const chown = await withDockerExecutable(tracked.executable, () => restoreOwnership([d], tracked.image!));
        error = await rmDir(d);
        if (error && chown) { error = `${error}; ${chown}`; }
      }
      if (error) { this.onWarning(`could not remove the temporary folder ${d}: ${error}. Remove it by hand (it may hold files a container wrote as root).`); }
      this.dirs.delete(d);
    }
  }

  /** Synchronous variant for signal handlers and `exit`. Never throws. */
  public cleanupSync(): void {
    for (const [exe, names] of groupBy([...this.containers.keys()], (c) => this.containers.get(c))) {
      spawnSync(exe ?? dockerExecutable(), ['rm', '-f', ...names], { stdio: 'ignore' });
    }
    this.containers.clear();
    for (const [exe, names] of groupBy([...this.networks.keys()], (n) => this.networks.get(n))) {
      spawnSync(exe ?? dockerExecutable(), ['network', 'rm', ...names], { stdio: 'ignore' });
    }
    this.networks.clear();
    for (const [d, tracked] of this.dirs) {
      let error = rmDirSync(d);
      if (error && tracked.image && needsOwnership()) {
        const res = spawnSync(tracked.executable, ownershipRunArgs([d], tracked.image, process.getuid!(), process.getgid!()),
          { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
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

function groupBy<T>(items: T[], key: (item: T) => string | undefined): Map<string | undefined, T[]> {
  const groups = new Map<string | undefined, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

// ---------------------------------------------------------------------------
// Networking
// ---------------------------------------------------------------------------

/**
 * The network mode for a container: `none` with network isolation, else
 * `host` when the engine has no bridge network, else `bridge`.
 */
export function networkModeFor(engine: DockerEngineInfo, networkIsolation: boolean): string {
  if (networkIsolation) { return 'none'; }
  return engine.hasBridge ? 'bridge' : 'host';
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new LocalModeError('Could not find a free port on 127.0.0.1.'))));
    });
  });
}

// ---------------------------------------------------------------------------
// File ownership
// ---------------------------------------------------------------------------

/** Whether files written by root in containers must be given back: this process has uids and is not root. */
function needsOwnership(): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && process.getgid?.() !== undefined && uid !== 0;
}

/**
 * The `docker run` arguments of the throw-away container that gives `dirs`
 * back to `uid:gid`: `image` (already present, so nothing is pulled) run as
 * root without network, `chown -R uid:gid` on each folder mounted under
 * `/byoa-chown/<i>`.
 */
export function ownershipRunArgs(dirs: string[], image: string, uid: number, gid: number): string[] {
  const mounts = dirs.map((d, i) => ({ hostPath: d, containerPath: `/byoa-chown/${i}` }));
  return buildRunArgs({
    image,
    autoRemove: true,
    network: 'none',
    user: '0:0',
    entrypoint: 'chown',
    mounts,
    args: ['-R', `${uid}:${gid}`, ...mounts.map((m) => m.containerPath)],
  });
}

/**
 * Containers run as root (as on SageMaker), so what they write into bind
 * mounts is owned by root. When this process is not root, give `dirs` back
 * to the invoking user with a throw-away container of `image` running
 * `chown -R uid:gid` (see {@link ownershipRunArgs}). No-op as root, on
 * platforms without uids, and for folders that do not exist. Never throws:
 * returns an error message when it could not.
 */
export async function restoreOwnership(dirs: string[], image: string): Promise<string | undefined> {
  const existing = dirs.filter((d) => fs.existsSync(d));
  if (!needsOwnership() || existing.length === 0) { return undefined; }
  const uid = process.getuid!();
  const res = await docker(ownershipRunArgs(existing, image, uid, process.getgid!()), { check: false })
    .catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
  return res.exitCode === 0 ? undefined : `could not give ${existing.join(', ')} back to uid ${uid}: ${tail(res.stderr, 3)}`;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** The last `lines` lines of `text`, trimmed. */
export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A command line for messages (arguments with spaces quoted). */
export function formatCommand(command: string, args: string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, '\'\\\'\'')}'`)).join(' ');
}
