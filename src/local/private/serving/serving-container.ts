/**
 * INTERNAL (not exported from the barrel): one `IMAGE serve` container, as
 * used by both the real-time endpoint and batch transform. It
 *
 * - picks a free loopback port: with host networking (engines without a
 *   bridge network) the container gets `SAGEMAKER_BIND_TO_PORT=<port>` (the
 *   variable SageMaker sets for inference-pipeline containers), so several
 *   containers run side by side; with a bridge network it publishes
 *   `127.0.0.1:<port>:8080` instead;
 * - waits for `GET /ping` to answer 200 (2 s per ping) within the startup
 *   timeout, and fails AT ONCE with the container's last log lines if it
 *   exits meanwhile, or with a clear message when it ignores
 *   `SAGEMAKER_BIND_TO_PORT` and binds 8080;
 * - mounts the model folder read-only as `/opt/ml/model`;
 * - talks only to 127.0.0.1, over one keep-alive agent;
 * - stops with SIGTERM, then SIGKILL after the grace period, and removes
 *   the container.
 */
import * as crypto from 'crypto';
import type * as http from 'http';
import * as net from 'net';
import { LocalModeError } from '../../errors';
import {
  BindMount, cleanupRegistry, ContainerRunOptions, ensureDockerEngine, freeLoopbackPort, networkModeFor,
  RunningContainer, startDetachedContainer,
} from '../docker';
import { HttpAnswer, HttpFailure, keepAliveAgent, loopbackRequest } from './loopback-http';

/** The port a SageMaker serving container listens on. */
export const SAGEMAKER_SERVING_PORT = 8080;

/** Lines of container output kept for error messages. */
const LOG_TAIL_LINES = 40;

export interface ServingContainerOptions {
  readonly image: string;
  /** Container environment (the model's, plus batch settings). */
  readonly environment?: { [key: string]: string };
  /**
   * Host folder mounted READ-ONLY as `/opt/ml/model` (SageMaker extracts the
   * model there for the server to read; serving must not change it).
   * @default - none
   */
  readonly modelDir?: string;
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

/** Whether a serving container of this process listens on the host's port 8080 (host networking). */
let defaultPortClaimed = false;

/** A started, healthy serving container. */
export class ServingContainer {
  /**
   * Starts the container and waits until it is healthy. On any failure the
   * container is stopped and removed before the error is thrown.
   */
  public static async start(options: ServingContainerOptions): Promise<ServingContainer> {
    const engine = await ensureDockerEngine();
    const network = networkModeFor(engine, false);
    const hostNetwork = network === 'host';
    // With host networking the container shares the host's ports. While
    // 8080 is free it listens there, exactly as on SageMaker, and its
    // environment is the model's alone. When 8080 is taken (another local
    // endpoint), it gets a free port in SAGEMAKER_BIND_TO_PORT, the variable
    // SageMaker sets for inference-pipeline containers: only images that read
    // it can run beside another endpoint on such an engine.
    // The claim is taken synchronously, so endpoints started at once in this
    // process never both pick 8080.
    const claimed = hostNetwork && !defaultPortClaimed;
    if (claimed) defaultPortClaimed = true;
    const defaultPortBusyBefore = hostNetwork ? (!claimed || await isListening(SAGEMAKER_SERVING_PORT)) : false;
    if (claimed && defaultPortBusyBefore) defaultPortClaimed = false;
    const port = hostNetwork && !defaultPortBusyBefore ? SAGEMAKER_SERVING_PORT : await freeLoopbackPort();
    const environment: { [key: string]: string } = { ...options.environment };
    if (hostNetwork && port !== SAGEMAKER_SERVING_PORT) {
      environment.SAGEMAKER_BIND_TO_PORT = String(port);
      options.onLog?.(`byoa: port ${SAGEMAKER_SERVING_PORT} is in use and this Docker engine has no bridge network: `
        + `the container is asked to listen on ${port} (SAGEMAKER_BIND_TO_PORT).`);
    }
    const mounts: BindMount[] = options.modelDir ? [{ hostPath: options.modelDir, containerPath: '/opt/ml/model', readOnly: true }] : [];
    const name = `${options.namePrefix}-${crypto.randomBytes(4).toString('hex')}`;
    const runOptions: ContainerRunOptions = {
      image: options.image,
      name,
      labels: options.labels,
      args: ['serve'],
      env: environment,
      mounts,
      network,
      publish: hostNetwork ? undefined : [{ hostIp: '127.0.0.1', hostPort: port, containerPort: SAGEMAKER_SERVING_PORT }],
    };
    const logTail: string[] = [];
    const onLine = (line: string) => {
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      options.onLog?.(line);
    };
    let container: RunningContainer;
    try {
      container = await startDetachedContainer(runOptions, onLine);
    } catch (e) {
      await cleanupRegistry.cleanup({ containers: [name] });
      if (port === SAGEMAKER_SERVING_PORT && hostNetwork) defaultPortClaimed = false;
      throw new LocalModeError(`Could not start serving container from image '${options.image}': ${(e as Error).message}`);
    }
    const serving = new ServingContainer(container, port, logTail, options, hostNetwork, defaultPortBusyBefore);
    try {
      await serving.waitUntilHealthy();
    } catch (e) {
      await serving.stop(0);
      throw e;
    }
    return serving;
  }

  /** The keep-alive agent every request to this container uses. */
  public readonly agent: http.Agent;
  private exitCode: number | undefined;
  private stopped = false;

  private constructor(
    private readonly container: RunningContainer,
    /** The loopback port the container answers on. */
    public readonly port: number,
    private readonly logTail: string[],
    private readonly options: ServingContainerOptions,
    private readonly hostNetwork: boolean,
    private readonly defaultPortBusyBefore: boolean,
  ) {
    this.agent = keepAliveAgent(options.maxSockets ?? 1);
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

  /** The last lines the container printed. */
  public recentLogs(): string {
    return this.logTail.join('\n');
  }

  /** One request to the container over the keep-alive agent. */
  public request(method: 'GET' | 'POST', path: string, timeoutMs: number, body?: Buffer, headers?: http.OutgoingHttpHeaders): Promise<HttpAnswer> {
    return loopbackRequest({ port: this.port, method, path, headers, body, timeoutMs, agent: this.agent });
  }

  /**
   * SIGTERM, SIGKILL after `graceSeconds` (default: the options'), then
   * removes the container. Idempotent; never throws.
   */
  public async stop(graceSeconds?: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.agent.destroy();
    if (this.exitCode === undefined) {
      await this.container.stop(graceSeconds ?? this.options.stopGraceSeconds);
    }
    await this.container.remove();
    if (this.hostNetwork && this.port === SAGEMAKER_SERVING_PORT) defaultPortClaimed = false;
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
      if (outcome.answer?.status === 200) return;
      lastProblem = outcome.answer ? `GET /ping answered ${outcome.answer.status}` : `GET /ping failed: ${outcome.failure?.message}`;
      if (this.hostNetwork && this.port !== SAGEMAKER_SERVING_PORT && !this.defaultPortBusyBefore
        && outcome.failure?.code === 'ECONNREFUSED' && Date.now() - started > 1000
        && await isListening(SAGEMAKER_SERVING_PORT)) {
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
      `Serving container '${this.name}' (image '${this.options.image}') did not become healthy within ${this.options.startupTimeoutMs / 1000} s ` +
      `(${lastProblem}). Its server must answer GET /ping with 200 on ${this.hostNetwork ? `SAGEMAKER_BIND_TO_PORT (${this.port})` : 'port 8080'}; ` +
      'raise the startup health-check timeout if it needs longer.' + this.describeLogs(),
    );
  }

  private portHint(): string {
    if (!/address already in use|EADDRINUSE|errno 98/i.test(this.recentLogs())) return '';
    return this.hostNetwork
      ? ` Its port was already in use: this Docker engine has no bridge network, so serving containers share the host's network; the image must listen on SAGEMAKER_BIND_TO_PORT (${this.port}), not always on ${SAGEMAKER_SERVING_PORT}.`
      : ' Its port was already in use.';
  }
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
