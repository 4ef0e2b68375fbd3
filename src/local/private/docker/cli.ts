/**
 * Which Docker CLI local mode runs, and whether an engine answers (INTERNAL).
 *
 * {@link dockerExecutable}: the Docker CLI, detected once and cached;
 * `CDK_DOCKER` (the variable CDK uses) wins over `docker` on the PATH.
 * {@link withDockerExecutable} scopes another CLI to one asynchronous call
 * tree (a `DockerRunner` with its own `dockerExecutable`), without changing
 * it for anybody else; containers, networks and folders remember the CLI
 * that created them. {@link ensureDockerEngine} checks once per CLI that an
 * engine answers (clear {@link LocalModeError} otherwise) and whether it
 * has the DEFAULT `bridge` network (the one `docker run` without
 * `--network` joins and publishes ports from); a user-defined network that
 * merely uses the bridge driver (docker compose's, the SageMaker SDK's
 * `sagemaker-local`) does not count. {@link docker} is `runProcess(dockerExecutable(), ...)`.
 */
import { AsyncLocalStorage } from 'async_hooks';
import { defaultBridgeInspectArgs, engineVersionArgs } from './commands';
import { ProcessOptions, ProcessResult, runProcess, tail } from './process';
import { LocalModeError } from '../../errors';

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
  /**
   * Whether the engine has its default network `bridge` (driver `bridge`,
   * with an IPv4 subnet), so containers on it get an address and can
   * publish a loopback port. False on engines started with `--bridge=none`,
   * whatever user-defined bridge-driver networks exist.
   */
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
        version = await runProcess(exe, engineVersionArgs(), { check: false });
      } catch (e) {
        throw new LocalModeError(`Local mode needs Docker, but the Docker CLI '${exe}' could not be started (${(e as Error).message}). `
          + 'Install Docker, or set CDK_DOCKER to the path of a Docker-compatible CLI.');
      }
      if (version.exitCode !== 0 || !version.stdout.trim()) {
        throw new LocalModeError(`Local mode needs a running Docker engine, but '${exe} version' got no answer from the server `
          + `(exit code ${version.exitCode}): ${tail(version.stderr, 5) || 'no output'}. Start the Docker daemon and try again.`);
      }
      const bridge = await runProcess(exe, defaultBridgeInspectArgs(), { check: false });
      const hasBridge = bridge.exitCode === 0 && isUsableDefaultBridge(bridge.stdout);
      return { executable: exe, serverVersion: version.stdout.trim(), hasBridge };
    })();
    enginePromises.set(exe, enginePromise);
    enginePromise.catch(() => { enginePromises.delete(exe); });
  }
  return enginePromise;
}

/**
 * Whether the output of {@link defaultBridgeInspectArgs} describes a usable
 * default bridge: driver `bridge` and at least one subnet.
 */
export function isUsableDefaultBridge(inspectOutput: string): boolean {
  const [driver, subnets] = inspectOutput.trim().split('|');
  return driver === 'bridge' && /\d+\.\d+\.\d+\.\d+\/\d+/.test(subnets ?? '');
}

/** `runProcess(dockerExecutable(), args, options)`. */
export function docker(args: string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  return runProcess(dockerExecutable(), args, options);
}
