/**
 * INTERNAL (not exported from the barrel): one `IMAGE serve` container, as
 * used by both the real-time endpoint and batch transform. It
 *
 * - picks a loopback port: with host networking (engines without the
 *   default bridge network) 8080 when it is free, else a free port in
 *   `SAGEMAKER_BIND_TO_PORT=<port>` (the variable SageMaker sets for
 *   inference-pipeline containers), so several containers run side by side;
 *   the port is claimed across processes (`./port-claim.ts`) until the
 *   container stops. With the default bridge the engine publishes 8080 on a
 *   loopback port it picks (`-p 127.0.0.1::8080`);
 * - waits for `GET /ping` to answer 200 (2 s per ping) within the startup
 *   timeout, from THIS container (with host networking the listening socket
 *   must be one of its processes': `./port-owner.ts`), and names the URL it
 *   tried when it gives up; fails AT ONCE with the container's last log lines if it
 *   exits meanwhile, or with a clear message when it ignores
 *   `SAGEMAKER_BIND_TO_PORT` and binds 8080;
 * - mounts the model folder read-only as `/opt/ml/model`;
 * - talks only to 127.0.0.1, over one keep-alive agent;
 * - stops with SIGTERM, then SIGKILL after the grace period, and removes
 *   the container; a container still running at the end of the grace
 *   period (exit code 137) gets the note of `../docker/sigterm.ts`.
 */
import * as crypto from 'crypto';
import type * as http from 'http';
import * as net from 'net';
import { setTimeout as sleep } from 'timers/promises';
import { LocalModeError } from '../../errors';
import {
  BindMount, cleanupRegistry, containerStateArgs, ContainerRunOptions, DockerCli, freeLoopbackPort, networkModeFor,
  publishedPortArgs, RunningContainer, SIGKILL_EXIT_CODE, sigtermIgnoredNote, startDetachedContainer,
} from '../docker';
import { CODE_MOUNT_PATH } from '../script-mode';
import type { BodyAllocator } from './http-answer-parser';
import { HttpAnswer, HttpFailure, LoopbackClient } from './loopback-http';
import { PortClaim, portClaimDir, tryClaimPort } from './port-claim';
import { listenerBelongsTo } from './port-owner';

/** The port a SageMaker serving container listens on. */
export const SAGEMAKER_SERVING_PORT = 8080;

/** Lines of container output kept for error messages. */
const LOG_TAIL_LINES = 40;
/** No output for this long: the container's lines about a request have arrived (see settledLogs). */
const LOG_QUIET_MS = 100;
/** The longest settledLogs() waits. */
const LOG_SETTLE_MAX_MS = 1000;
/** How long stop() waits for `docker wait` to report the exit code once `docker stop` returned. */
const EXIT_CODE_WAIT_MS = 2000;

export interface ServingContainerOptions {
  /** The Docker CLI that runs, inspects, stops and removes the container. */
  readonly docker: DockerCli;
  readonly image: string;
  /** Container environment (the model's, plus batch settings). */
  readonly environment?: { [key: string]: string };
  /**
   * Host folder mounted READ-ONLY as `/opt/ml/model` (SageMaker extracts the
   * model there for the server to read; serving must not change it).
   * @default - none
   */
  readonly modelDir?: string;
  /**
   * Host folder mounted read-write as `/opt/ml/code` (script mode: the code
   * SageMaker's framework containers would download there). It must be
   * writable: the scikit-learn container's model server writes a `setup.py`
   * next to the code before it imports it.
   * @default - none
   */
  readonly codeDir?: string;
  /** How long `/ping` may take to answer 200, in ms. */
  readonly startupTimeoutMs: number;
  /** Per-ping timeout in ms. @default 2000 */
  readonly pingTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace when stopping, in seconds. */
  readonly stopGraceSeconds: number;
  /** Container name prefix (a random suffix is added). */
  readonly namePrefix: string;
  /** Extra labels. */
  readonly labels?: { [key: string]: string };
  /** Receives every log line of the container. */
  readonly onLog?: (line: string) => void;
  /** Keep-alive sockets to the container. @default 1 */
  readonly maxSockets?: number;
}

/** A started, healthy serving container. */
export class ServingContainer {
  /**
   * Starts the container and waits until it is healthy. On any failure the
   * container is stopped and removed before the error is thrown.
   */
  public static async start(options: ServingContainerOptions): Promise<ServingContainer> {
    const docker = options.docker;
    const engine = await docker.engine();
    const network = networkModeFor(engine, false);
    const hostNetwork = network === 'host';
    // With host networking the container shares the host's ports. While
    // 8080 is free (and no other process has claimed it) it listens there,
    // exactly as on SageMaker, and its environment is the model's alone.
    // Otherwise it gets a free port in SAGEMAKER_BIND_TO_PORT, the variable
    // SageMaker sets for inference-pipeline containers: only images that read
    // it can run beside another endpoint on such an engine. Either port is
    // claimed across processes (./port-claim.ts) until the container stops.
    // With the default bridge the engine picks a free loopback port itself.
    const placement = hostNetwork ? await claimHostPort() : undefined;
    const environment: { [key: string]: string } = { ...options.environment };
    if (placement && placement.claim.port !== SAGEMAKER_SERVING_PORT) {
      environment.SAGEMAKER_BIND_TO_PORT = String(placement.claim.port);
      options.onLog?.(`byoa: port ${SAGEMAKER_SERVING_PORT} is in use and this Docker engine has no bridge network: `
        + `the container is asked to listen on ${placement.claim.port} (SAGEMAKER_BIND_TO_PORT).`);
    }
    const mounts: BindMount[] = options.modelDir ? [{ hostPath: options.modelDir, containerPath: '/opt/ml/model', readOnly: true }] : [];
    if (options.codeDir) mounts.push({ hostPath: options.codeDir, containerPath: CODE_MOUNT_PATH });
    const name = `${options.namePrefix}-${crypto.randomBytes(4).toString('hex')}`;
    const runOptions: ContainerRunOptions = {
      image: options.image,
      name,
      labels: options.labels,
      args: ['serve'],
      env: environment,
      mounts,
      network,
      publish: hostNetwork ? undefined : [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: SAGEMAKER_SERVING_PORT }],
    };
    const logTail: string[] = [];
    const onLine = (line: string) => {
      lastLogAt = Date.now();
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      options.onLog?.(line);
    };
    let lastLogAt = 0;
    let container: RunningContainer;
    let port: number;
    try {
      container = await startDetachedContainer(docker, runOptions, onLine);
      port = placement ? placement.claim.port : await publishedLoopbackPort(docker, name);
    } catch (e) {
      await cleanupRegistry.cleanup({ containers: [name] });
      placement?.claim.release();
      throw new LocalModeError(`Could not start serving container from image '${options.image}': ${(e as Error).message}`);
    }
    const serving = new ServingContainer(container, port, logTail, () => lastLogAt, options, placement);
    try {
      await serving.waitUntilHealthy();
    } catch (e) {
      await serving.stop(0);
      throw e;
    }
    return serving;
  }

  /** The keep-alive client every request to this container goes through. */
  private readonly client: LoopbackClient;
  private exitCode: number | undefined;
  private stopped = false;

  private constructor(
    private readonly container: RunningContainer,
    /** The loopback port the container answers on. */
    public readonly port: number,
    private readonly logTail: string[],
    /** When the container last printed a line (ms since the epoch; 0: never). */
    private readonly lastLogAt: () => number,
    private readonly options: ServingContainerOptions,
    /** Host networking: the claimed port, and whether 8080 was taken by someone else. */
    private readonly placement: HostPortPlacement | undefined,
  ) {
    this.client = new LoopbackClient(port, Math.max(1, options.maxSockets ?? 1));
    container.exited.then((code) => { this.exitCode = code; }, () => { this.exitCode = -1; });
  }

  /** The container name. */
  public get name(): string {
    return this.container.name;
  }

  /** `http://127.0.0.1:<port>`. */
  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The container's exit code once it has exited, else undefined. */
  public get exited(): number | undefined {
    return this.exitCode;
  }

  /** Resolves with the exit code when the container exits (-1 when it cannot be known). */
  public get whenExited(): Promise<number> {
    return this.container.exited.catch(() => -1);
  }

  /** The last lines the container printed. */
  public recentLogs(): string {
    return this.logTail.join('\n');
  }

  /**
   * The last lines the container printed, once it has printed nothing for
   * {@link LOG_QUIET_MS} (at most {@link LOG_SETTLE_MAX_MS} from now): a
   * server prints the traceback of a failed request around its answer, and
   * its lines reach us through `docker logs` a little later.
   */
  public async settledLogs(): Promise<string> {
    const until = Date.now() + LOG_SETTLE_MAX_MS;
    do {
      await sleep(LOG_QUIET_MS);
    } while (Date.now() - this.lastLogAt() < LOG_QUIET_MS && Date.now() < until);
    return this.recentLogs();
  }

  /** One request to the container over its keep-alive connections; `allocate`: see {@link LoopbackClient.request}. */
  public request(
    method: 'GET' | 'POST', path: string, timeoutMs: number, body?: Buffer, headers?: http.OutgoingHttpHeaders, allocate?: BodyAllocator,
  ): Promise<HttpAnswer> {
    return this.client.request(method, path, timeoutMs, body, headers, allocate);
  }

  /**
   * SIGTERM, SIGKILL after `stopGraceSeconds` (default: the options'), then
   * removes the container. When the container was still running at the end
   * of the grace period, says so (once per image) through `onLog`, and
   * resolves true. Idempotent; never throws.
   */
  public async stop(stopGraceSeconds?: number): Promise<boolean> {
    if (this.stopped) return false;
    this.stopped = true;
    this.client.destroy();
    let killed = false;
    if (this.exitCode === undefined) {
      const grace = stopGraceSeconds ?? this.options.stopGraceSeconds;
      await this.container.stop(grace);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        this.container.exited.catch(() => -1),
        new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), EXIT_CODE_WAIT_MS); }),
      ]);
      clearTimeout(timer);
      killed = grace > 0 && code === SIGKILL_EXIT_CODE;
      const note = killed ? sigtermIgnoredNote(this.options.image, grace) : undefined;
      if (note) this.options.onLog?.(note);
    }
    await this.container.remove();
    this.placement?.claim.release();
    return killed;
  }

  private get hostNetwork(): boolean {
    return this.placement !== undefined;
  }

  /** `http://127.0.0.1:<port>/ping`, for messages. */
  private get pingUrl(): string {
    return `${this.url}/ping`;
  }

  /** The container's main pid, while it runs (`docker inspect`); undefined when it is not running. */
  private async mainPid(): Promise<number | undefined> {
    const res = await this.options.docker.run(containerStateArgs(this.name), { check: false });
    const [pid, running] = res.stdout.trim().split(' ');
    return res.exitCode === 0 && running === 'true' && Number(pid) > 0 ? Number(pid) : undefined;
  }

  /**
   * After a 200 from /ping: whether it came from THIS container. With host
   * networking, the socket listening on the port must belong to one of the
   * container's processes (when /proc can tell), and the container must be
   * running. Throws when another program answers on the port.
   */
  private async answeredByOwnContainer(): Promise<boolean> {
    const pid = await this.mainPid();
    if (pid === undefined) return false;
    if (!this.hostNetwork) return true; // the engine's own published port
    const owner = listenerBelongsTo(this.port, pid);
    if (owner.kind === 'other') {
      throw new LocalModeError(
        `GET ${this.pingUrl} answered 200, but that port is held by another program (process ${owner.pid}${owner.command ? `: ${owner.command}` : ''}), `
        + `not by serving container '${this.name}' (image '${this.options.image}'): it answered instead of the container.` + this.describeLogs(),
      );
    }
    return true;
  }

  private describeLogs(): string {
    const logs = this.recentLogs();
    return logs ? `\n--- last container output ---\n${logs}` : '\n(the container printed nothing)';
  }

  private async waitUntilHealthy(): Promise<void> {
    const started = Date.now();
    const deadline = started + this.options.startupTimeoutMs;
    const pingTimeout = this.options.pingTimeoutMs ?? 2000;
    let lastProblem = 'no answer yet';
    const exited = this.container.exited.then((code) => code, () => -1);
    while (true) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const ping = this.request('GET', '/ping', Math.min(pingTimeout, remaining)).then(
        (answer) => ({ answer, failure: undefined }),
        (failure: HttpFailure) => ({ answer: undefined, failure }),
      );
      const outcome = await Promise.race([ping, exited.then((code) => ({ code }))]);
      if ('code' in outcome) {
        throw new LocalModeError(
          `Serving container '${this.name}' (image '${this.options.image}') exited with code ${outcome.code} before answering GET /ping.` +
          this.portHint() + this.describeLogs(),
        );
      }
      if (outcome.answer?.status === 200 && await this.answeredByOwnContainer()) return;
      lastProblem = outcome.answer ? `it answered ${outcome.answer.status}` : `${outcome.failure?.message}`;
      if (this.hostNetwork && this.port !== SAGEMAKER_SERVING_PORT
        && outcome.failure?.code === 'ECONNREFUSED' && Date.now() - started > 1000
        && await this.listensOnDefaultPort()) {
        throw new LocalModeError(
          `Serving container '${this.name}' (image '${this.options.image}') listens on port ${SAGEMAKER_SERVING_PORT} instead of ` +
          `SAGEMAKER_BIND_TO_PORT=${this.port}. This Docker engine has no bridge network, so serving containers share the host's ` +
          'network and each must listen on the port given in SAGEMAKER_BIND_TO_PORT (SageMaker sets this variable for ' +
          'inference-pipeline containers). Make the image\'s server read it (default 8080).' + this.describeLogs(),
        );
      }
      const pause = Math.min(250, deadline - Date.now());
      if (pause > 0) await Promise.race([sleep(pause), exited]);
    }
    throw new LocalModeError(
      `Serving container '${this.name}' (image '${this.options.image}') did not become healthy within ${this.options.startupTimeoutMs / 1000} s: ` +
      `GET ${this.pingUrl} (tried every 250 ms, ${pingTimeout} ms each) last got: ${lastProblem}. ` +
      `Its server must answer GET /ping with 200 on ${this.hostNetwork
        ? (this.port === SAGEMAKER_SERVING_PORT ? `port ${SAGEMAKER_SERVING_PORT} (host network)` : `SAGEMAKER_BIND_TO_PORT (${this.port}, host network)`)
        : `container port ${SAGEMAKER_SERVING_PORT}, published on 127.0.0.1:${this.port}`}; ` +
      'raise the startup health-check timeout if it needs longer.' + this.describeLogs(),
    );
  }

  /**
   * Whether THIS container listens on 8080 (so it ignored
   * SAGEMAKER_BIND_TO_PORT). Where /proc cannot tell: whether 8080 listens
   * although nobody held it when the port was chosen.
   */
  private async listensOnDefaultPort(): Promise<boolean> {
    if (!await isListening(SAGEMAKER_SERVING_PORT)) return false;
    const pid = await this.mainPid();
    const owner = pid === undefined ? undefined : listenerBelongsTo(SAGEMAKER_SERVING_PORT, pid);
    if (owner && owner.kind !== 'unknown') return owner.kind === 'own';
    return !this.placement!.defaultPortBusy;
  }

  private portHint(): string {
    if (!/address already in use|EADDRINUSE|errno 98/i.test(this.recentLogs())) return '';
    return this.hostNetwork
      ? ` Its port was already in use: this Docker engine has no bridge network, so serving containers share the host's network; the image must listen on SAGEMAKER_BIND_TO_PORT (${this.port}), not always on ${SAGEMAKER_SERVING_PORT}.`
      : ' Its port was already in use.';
  }
}

/** The port a host-network container gets, claimed across processes. */
interface HostPortPlacement {
  readonly claim: PortClaim;
  /** 8080 was claimed by another process or listened already. */
  readonly defaultPortBusy: boolean;
}

/** Claims 8080 when it is free and unclaimed, else another free loopback port. */
async function claimHostPort(): Promise<HostPortPlacement> {
  const preferred = tryClaimPort(SAGEMAKER_SERVING_PORT);
  if (preferred) {
    if (!await isListening(SAGEMAKER_SERVING_PORT)) return { claim: preferred, defaultPortBusy: false };
    preferred.release();
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const claim = tryClaimPort(await freeLoopbackPort());
    if (claim && !await isListening(claim.port)) return { claim, defaultPortBusy: true };
    claim?.release();
  }
  throw new LocalModeError(`Could not claim a free loopback port for a serving container (claims are files in ${portClaimDir()}).`);
}

/** The loopback port the engine published container port 8080 on (`docker port`). */
async function publishedLoopbackPort(docker: DockerCli, name: string): Promise<number> {
  const res = await docker.run(publishedPortArgs(name, SAGEMAKER_SERVING_PORT), { check: false });
  const m = /^127\.0\.0\.1:(\d+)$/m.exec(res.stdout);
  if (res.exitCode !== 0 || !m) {
    throw new LocalModeError(`the engine has a default bridge network, but did not publish container port ${SAGEMAKER_SERVING_PORT} `
      + `of '${name}' on 127.0.0.1 (docker port: ${(res.stdout + res.stderr).trim() || 'no mapping'}).`);
  }
  return Number(m[1]);
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
