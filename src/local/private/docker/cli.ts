/**
 * The Docker CLI local mode runs, as an object (INTERNAL).
 *
 * A {@link DockerCli} is one executable and everything run with it: every
 * docker call of a runner goes through {@link DockerCli.run} /
 * {@link DockerCli.start} (or {@link DockerCli.runSync} on the signal path),
 * and {@link DockerCli.engine} checks once per object that an engine answers
 * and whether it has the DEFAULT `bridge` network. There is no process-wide
 * "current CLI": `DockerRunner` creates one from its `dockerExecutable`
 * option (else `$CDK_DOCKER`, the variable CDK uses, else `docker`) and
 * passes it to the runners, image preparation and the container, network,
 * ownership and cleanup helpers; containers, networks and folders keep the
 * object that created them. aws-cdk-lib's `DockerImage` has the same shape:
 * one executable, one spawn helper, the argument lists built elsewhere
 * (`./commands.ts` here).
 *
 * On the default bridge: a user-defined network that merely uses the bridge
 * driver (docker compose's, the SageMaker SDK's `sagemaker-local`) does not
 * count, see {@link isUsableDefaultBridge}.
 */
import { spawnSync, SpawnSyncOptionsWithStringEncoding, SpawnSyncReturns } from 'child_process';
import { defaultBridgeInspectArgs, engineVersionArgs } from './commands';
import { ProcessOptions, ProcessResult, RunningProcess, runProcess, startProcess, tail } from './process';
import { LocalModeError } from '../../errors';

/** What {@link DockerCli.engine} found out about the engine. */
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

/** One Docker-compatible CLI, and the engine it talks to. */
export class DockerCli {
  /**
   * The CLI named by `$CDK_DOCKER` in `env` (trimmed), else `docker`. Read
   * when called, as CDK does.
   */
  public static fromEnvironment(env: NodeJS.ProcessEnv = process.env): DockerCli {
    return new DockerCli(env.CDK_DOCKER?.trim() || 'docker');
  }

  /** `executable` when given (a runner's `dockerExecutable`), else {@link fromEnvironment}. */
  public static of(executable: string | undefined): DockerCli {
    return executable?.trim() ? new DockerCli(executable.trim()) : DockerCli.fromEnvironment();
  }

  /** The engine check of this CLI, once it was asked for. */
  private enginePromise: Promise<DockerEngineInfo> | undefined;

  /** @param executable the CLI's name (looked up on the PATH) or path */
  constructor(public readonly executable: string) {
    if (!executable) { throw new LocalModeError('The Docker CLI needs an executable (a name on the PATH or a path).'); }
  }

  /** Run `docker ARGS` to completion (see `runProcess`: throws a `CommandError` on a non-zero exit unless `check: false`). */
  public run(args: string[], options: ProcessOptions = {}): Promise<ProcessResult> {
    return runProcess(this.executable, args, options);
  }

  /** Start `docker ARGS` (see `startProcess`). */
  public start(args: string[], options: ProcessOptions = {}): RunningProcess {
    return startProcess(this.executable, args, options);
  }

  /** `docker ARGS`, synchronously: for signal handlers and `exit`, where nothing asynchronous runs. Never throws. */
  public runSync(args: string[], options: Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'> = { stdio: 'ignore' }): SpawnSyncReturns<string> {
    return spawnSync(this.executable, args, { ...options, encoding: 'utf8' });
  }

  /**
   * Check, once for this object, that an engine answers, and whether it has
   * the default bridge network. Throws a {@link LocalModeError} that says
   * what to do when the CLI is missing or no engine answers (and checks
   * again at the next call).
   */
  public engine(): Promise<DockerEngineInfo> {
    if (!this.enginePromise) {
      const checking = this.checkEngine();
      this.enginePromise = checking;
      checking.catch(() => { if (this.enginePromise === checking) { this.enginePromise = undefined; } });
    }
    return this.enginePromise;
  }

  private async checkEngine(): Promise<DockerEngineInfo> {
    const exe = this.executable;
    let version: ProcessResult;
    try {
      version = await this.run(engineVersionArgs(), { check: false });
    } catch (e) {
      throw new LocalModeError(`Local mode needs Docker, but the Docker CLI '${exe}' could not be started (${(e as Error).message}). `
        + 'Install Docker, or set CDK_DOCKER to the path of a Docker-compatible CLI.');
    }
    if (version.exitCode !== 0 || !version.stdout.trim()) {
      throw new LocalModeError(`Local mode needs a running Docker engine, but '${exe} version' got no answer from the server `
        + `(exit code ${version.exitCode}): ${tail(version.stderr, 5) || 'no output'}. Start the Docker daemon and try again.`);
    }
    const bridge = await this.run(defaultBridgeInspectArgs(), { check: false });
    const hasBridge = bridge.exitCode === 0 && isUsableDefaultBridge(bridge.stdout);
    return { executable: exe, serverVersion: version.stdout.trim(), hasBridge };
  }
}

/**
 * Whether the output of {@link defaultBridgeInspectArgs} describes a usable
 * default bridge: driver `bridge` and at least one subnet.
 */
export function isUsableDefaultBridge(inspectOutput: string): boolean {
  const [driver, subnets] = inspectOutput.trim().split('|');
  return driver === 'bridge' && /\d+\.\d+\.\d+\.\d+\/\d+/.test(subnets ?? '');
}
