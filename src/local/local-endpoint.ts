import type * as http from 'http';
import { Duration } from 'aws-cdk-lib';
import { LocalModeError, ModelError } from './errors';
import { cleanupRegistry, DockerCli } from './private/docker';
import { MAX_INVOKE_PAYLOAD_BYTES } from '../private/sagemaker-limits';
import { FORWARDED_HEADERS, forwardedHeaders, InvocationOutcome } from './private/serving/invocation';
import { HttpFailure } from './private/serving/loopback-http';
import { createModelDir, extractCodeArchive, extractModelArchive } from './private/serving/model-archive';
import { FrontRequest, RuntimeFront } from './private/serving/runtime-front';
import { ServingContainer } from './private/serving/serving-container';

/** Receives the log lines of a local container, one at a time. */
export interface ILocalLogSink {
  /** Called once per line the container printed, already prefixed. */
  writeLine(line: string): void;
}

/** Options of {@link LocalEndpoint.start}. */
export interface LocalEndpointProps {
  /** Local image reference to run with `serve` (already built or pulled). */
  readonly image: string;
  /**
   * Container environment: the model's `PrimaryContainer.Environment`.
   * @default - none
   */
  readonly environment?: { [key: string]: string };
  /**
   * Path of the model archive (`model.tar.gz`). It is extracted into a fresh
   * temp folder mounted as `/opt/ml/model`, which holds only the archive's
   * contents and is removed by `stop()`.
   * @default - `/opt/ml/model` is an empty folder
   */
  readonly modelArtifact?: string;
  /**
   * Script mode: path of a code archive (`sourcedir.tar.gz`). It is
   * extracted into a fresh temp folder mounted as `/opt/ml/code`, where the
   * SageMaker Python SDK's local mode mounts the code, and removed by
   * `stop()`. Point a framework container there with
   * `SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/code` in `environment`.
   * @default - nothing is mounted at `/opt/ml/code`
   */
  readonly codeArchivePath?: string;
  /**
   * Name of the endpoint, used in log prefixes, error messages and the
   * container name.
   * @default 'local-endpoint'
   */
  readonly endpointName?: string;
  /**
   * How long the container may take until `GET /ping` answers 200
   * (SageMaker's `ContainerStartupHealthCheckTimeoutInSeconds`, 60-3600 s
   * there; shorter values are allowed locally).
   * @default Duration.seconds(60)
   */
  readonly startupHealthCheckTimeout?: Duration;
  /**
   * How long one invocation may take (SageMaker: 60 s).
   * @default Duration.seconds(60)
   */
  readonly invocationTimeout?: Duration;
  /**
   * Time between SIGTERM and SIGKILL when the endpoint is stopped.
   * @default Duration.seconds(30)
   */
  readonly stopGracePeriod?: Duration;
  /**
   * Receives the container's log lines as they appear.
   * @default - logs are not shown (errors still include the last lines)
   */
  readonly logSink?: ILocalLogSink;
  /**
   * Prefix of every line given to `logSink`.
   * @default - `[<endpointName>] `
   */
  readonly logPrefix?: string;
  /**
   * Loopback port of the local SageMaker Runtime API that serves this
   * endpoint (see {@link LocalEndpoint.runtimeUrl}). The endpoints of one
   * process share a port: one that asks for none joins the one that runs.
   * @default - the port of the local SageMaker Runtime API already running in this process, else a free port
   */
  readonly runtimePort?: number;
  /**
   * The production variant it stands for, named in the
   * `x-Amzn-Invoked-Production-Variant` header of each answer.
   * @default 'AllTraffic'
   */
  readonly variantName?: string;
}

/** Options of one invocation; each maps to the InvokeEndpoint parameter of the same name. */
export interface InvokeOptions {
  /** `Content-Type` of the request body. @default - no Content-Type header */
  readonly contentType?: string;
  /** `Accept`. @default - no Accept header */
  readonly accept?: string;
  /** `X-Amzn-SageMaker-Custom-Attributes`. @default - not sent */
  readonly customAttributes?: string;
  /** `X-Amzn-SageMaker-Target-Model`. @default - not sent */
  readonly targetModel?: string;
  /** `X-Amzn-SageMaker-Target-Variant`. @default - not sent */
  readonly targetVariant?: string;
  /** `X-Amzn-SageMaker-Inference-Id`. @default - not sent */
  readonly inferenceId?: string;
}

/** A successful (2xx/3xx) answer of the model container. */
export interface InvokeResult {
  /** HTTP status. */
  readonly statusCode: number;
  /** The answer's `Content-Type`, if any. */
  readonly contentType?: string;
  /** The answer body decoded as UTF-8. */
  readonly body: string;
  /** The answer body, base64-encoded (for binary answers). */
  readonly bodyBase64: string;
  /** `X-Amzn-SageMaker-Custom-Attributes` of the answer, if any. */
  readonly customAttributes?: string;
  /** Every answer header (lower-case names; repeated headers joined with `, `). */
  readonly headers: { [name: string]: string };
}

/**
 * A SageMaker real-time endpoint served locally by one `IMAGE serve`
 * container, reproducing the hosting contract: model archive extracted
 * before start, `GET /ping` health check (2 s per ping) within the startup
 * timeout, `POST /invocations` with the forwarded headers, 6 MB request limit,
 * 60 s invocation timeout, 4xx/5xx answers thrown as {@link ModelError}, and
 * SIGTERM then SIGKILL 30 s later on stop.
 *
 * Several endpoints can run at once: each container listens on its own
 * loopback port (`SAGEMAKER_BIND_TO_PORT` without a bridge network, a
 * published `127.0.0.1` port with one). Always call `stop()`.
 */
export class LocalEndpoint {
  /** The largest request body SageMaker's InvokeEndpoint accepts: 6 MB (6,291,456 bytes). */
  public static readonly MAX_PAYLOAD_BYTES = MAX_INVOKE_PAYLOAD_BYTES;

  /**
   * Starts the container and resolves once `GET /ping` answers 200.
   *
   * The Docker CLI is `$CDK_DOCKER`, else `docker`.
   */
  public static async start(props: LocalEndpointProps): Promise<LocalEndpoint> {
    return LocalEndpoint._start(props, DockerCli.fromEnvironment());
  }

  /**
   * {@link start} with the given Docker CLI (a `DockerRunner`'s).
   * @internal
   */
  public static async _start(props: LocalEndpointProps, docker: DockerCli): Promise<LocalEndpoint> {
    const endpointName = props.endpointName ?? 'local-endpoint';
    const prefix = props.logPrefix ?? `[${endpointName}] `;
    const front = await RuntimeFront.acquire(props.runtimePort);
    let endpoint: LocalEndpoint;
    try {
      endpoint = await LocalEndpoint.startContainer(props, docker, endpointName, prefix, front);
    } catch (e) {
      front.release();
      throw e;
    }
    return endpoint;
  }

  private static async startContainer(props: LocalEndpointProps, docker: DockerCli, endpointName: string, prefix: string,
    front: RuntimeFront): Promise<LocalEndpoint> {
    const modelDir = props.modelArtifact ? await extractModelArchive(props.modelArtifact) : await createModelDir();
    const dirs = [modelDir];
    let container: ServingContainer;
    try {
      const codeDir = props.codeArchivePath
        ? await extractCodeArchive(props.codeArchivePath, { containers: { image: props.image, docker } })
        : undefined;
      if (codeDir) dirs.push(codeDir);
      container = await ServingContainer.start({
        docker,
        image: props.image,
        environment: props.environment,
        modelDir,
        codeDir,
        namePrefix: `byoa-endpoint-${endpointName.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 40)}`,
        labels: { 'byoa.endpoint': endpointName },
        startupTimeoutMs: (props.startupHealthCheckTimeout ?? Duration.seconds(60)).toMilliseconds(),
        stopGraceSeconds: (props.stopGracePeriod ?? Duration.seconds(30)).toSeconds(),
        onLog: props.logSink ? (line) => props.logSink!.writeLine(prefix + line) : undefined,
        maxSockets: 16,
      });
    } catch (e) {
      await cleanupRegistry.cleanup({ dirs });
      throw e;
    }
    const endpoint = new LocalEndpoint(endpointName, container, dirs, (props.invocationTimeout ?? Duration.seconds(60)).toMilliseconds(),
      props.stopGracePeriod ?? Duration.seconds(30), front, props.logSink !== undefined);
    try {
      endpoint.unregister = front.register(endpointName, {
        variantName: props.variantName ?? 'AllTraffic',
        invoke: (request: FrontRequest) => endpoint.invocation(request.body, forwardedHeaders(request.headers)),
      });
    } catch (e) {
      await container.stop(0);
      await cleanupRegistry.cleanup({ dirs });
      throw e;
    }
    return endpoint;
  }

  /** The endpoint's name. */
  public readonly endpointName: string;
  /** Time between SIGTERM and SIGKILL when the endpoint is stopped. */
  public readonly stopGracePeriod: Duration;
  private stopping: Promise<void> | undefined;
  /** Takes the endpoint off the front. */
  private unregister?: () => void;

  private constructor(
    endpointName: string,
    private readonly container: ServingContainer,
    /** The temp folders of /opt/ml/model (and /opt/ml/code), removed by stop(). */
    private readonly tempDirs: string[],
    private readonly invocationTimeoutMs: number,
    stopGracePeriod: Duration,
    private readonly front: RuntimeFront,
    /** Whether the container's log lines are shown (else a ModelError carries the last ones). */
    private readonly logsShown: boolean,
  ) {
    this.endpointName = endpointName;
    this.stopGracePeriod = stopGracePeriod;
  }

  /**
   * Base URL of the local SageMaker Runtime API serving this endpoint
   * (`http://127.0.0.1:PORT`): give it as the endpoint of a SageMaker
   * Runtime client (`endpoint` of `@aws-sdk/client-sagemaker-runtime`,
   * `endpoint_url` of boto3, `--endpoint-url` of the AWS CLI) and invoke
   * this endpoint by its name. It answers as SageMaker Runtime does and
   * enforces the same rules as {@link invoke}; request signatures are not
   * checked.
   */
  public get runtimeUrl(): string {
    return this.front.url;
  }

  /** `POST` URL of this endpoint's invocations on the local SageMaker Runtime API (for `curl`). */
  public get invocationsUrl(): string {
    return this.front.invocationsUrl(this.endpointName);
  }

  /**
   * Base URL of the container itself (`http://127.0.0.1:PORT`). It answers
   * without SageMaker's rules (no size limit or timeout, `/ping` and
   * `/execution-parameters` exposed): use {@link runtimeUrl} to invoke.
   */
  public get url(): string {
    return this.container.url;
  }

  /**
   * The container's exit code once it has exited on its own (crashed or
   * killed) while serving, else undefined.
   */
  public get containerExitCode(): number | undefined {
    return this.stopping ? undefined : this.container.exited;
  }

  /**
   * Resolves with the container's exit code and last log lines when it
   * exits while serving (not when `stop()` stops it): for the CLI, which
   * must not go on saying that it serves.
   * @internal
   */
  public _whenContainerExits(): Promise<{ code: number; logs: string }> {
    return this.container.whenExited.then((code) => ({ code, logs: this.container.recentLogs() }));
  }

  /** Name of the Docker container. */
  public get containerName(): string {
    return this.container.name;
  }

  /**
   * Sends `body` (encoded as UTF-8) to `POST /invocations`. Throws an error
   * named `ModelError`, with `originalStatusCode` and `originalMessage`, when
   * the container answers 4xx/5xx (never a prediction), and one named
   * `LocalModeError` when the body exceeds 6 MB, the answer takes longer than
   * the invocation timeout, or the container is gone.
   */
  public async invoke(body: string, options?: InvokeOptions): Promise<InvokeResult> {
    return this.invokeBytes(Buffer.from(body, 'utf8'), options);
  }

  /** Like {@link invoke}, for a binary body given in base64. */
  public async invokeBase64(bodyBase64: string, options?: InvokeOptions): Promise<InvokeResult> {
    return this.invokeBytes(Buffer.from(bodyBase64, 'base64'), options);
  }

  /**
   * Stops the container (SIGTERM, SIGKILL after the grace period), removes
   * it and the temp model folder. A container still running at the end of
   * the grace period ignores SIGTERM: the log sink then gets a note with the
   * fix (once per image). Safe to call more than once.
   */
  public async stop(): Promise<void> {
    if (!this.stopping) {
      this.unregister?.();
      this.stopping = (async () => {
        try {
          await this.container.stop();
          await cleanupRegistry.cleanup({ dirs: this.tempDirs });
        } finally {
          this.front.release();
        }
      })();
    }
    return this.stopping;
  }

  private async invokeBytes(body: Buffer, options: InvokeOptions = {}): Promise<InvokeResult> {
    const given: { [name: string]: string | undefined } = {
      'content-type': options.contentType,
      'accept': options.accept,
      'x-amzn-sagemaker-custom-attributes': options.customAttributes,
      'x-amzn-sagemaker-target-model': options.targetModel,
      'x-amzn-sagemaker-target-variant': options.targetVariant,
      'x-amzn-sagemaker-inference-id': options.inferenceId,
    };
    const headers: http.OutgoingHttpHeaders = {};
    for (const [lower, name] of FORWARDED_HEADERS) {
      if (given[lower] !== undefined) headers[name] = given[lower];
    }
    const outcome = await this.invocation(body, headers);
    if (outcome.kind !== 'answer') throw outcome.error;
    const answer = outcome.answer;
    const flat: { [name: string]: string } = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    return {
      statusCode: answer.status,
      contentType: flat['content-type'],
      body: answer.body.toString('utf8'),
      bodyBase64: answer.body.toString('base64'),
      customAttributes: flat['x-amzn-sagemaker-custom-attributes'],
      headers: flat,
    };
  }

  /**
   * One invocation under SageMaker's rules (6 MB, the invocation timeout,
   * 4xx/5xx never a prediction), for both {@link invoke} and the local
   * SageMaker Runtime API.
   */
  private async invocation(body: Buffer, headers: http.OutgoingHttpHeaders): Promise<InvocationOutcome> {
    if (this.stopping) {
      return { kind: 'stopped', error: new LocalModeError(`Local endpoint '${this.endpointName}' is stopped.`) };
    }
    if (body.length > LocalEndpoint.MAX_PAYLOAD_BYTES) {
      return {
        kind: 'too-large',
        bytes: body.length,
        error: new LocalModeError(`The request body of endpoint '${this.endpointName}' is ${body.length} bytes; SageMaker real-time endpoints accept at most `
          + `${LocalEndpoint.MAX_PAYLOAD_BYTES} bytes (6 MB). Send smaller requests, or use batch transform for large inputs.`),
      };
    }
    let answer;
    try {
      answer = await this.container.request('POST', '/invocations', this.invocationTimeoutMs, body, headers);
    } catch (e) {
      // A header that HTTP cannot carry (a line break in customAttributes, say): nothing was sent.
      if (!(e instanceof HttpFailure)) throw new LocalModeError(`Endpoint '${this.endpointName}' cannot send this invocation: ${(e as Error).message}.`);
      const failure = e;
      if (failure.kind === 'timeout') {
        return {
          kind: 'timeout',
          timeoutMs: this.invocationTimeoutMs,
          error: new LocalModeError(`Endpoint '${this.endpointName}' did not answer the invocation within ${this.invocationTimeoutMs / 1000} s `
            + '(SageMaker allows 60 s per invocation).'),
        };
      }
      const exited = this.container.exited;
      return {
        kind: 'unreachable',
        error: new LocalModeError(`Could not reach endpoint '${this.endpointName}' (${failure.message})`
          + (exited !== undefined ? `: its container exited with code ${exited}.\n--- last container output ---\n${this.container.recentLogs()}` : '.')),
      };
    }
    if (answer.status >= 400) {
      const message = answer.body.toString('utf8').slice(0, 4096);
      const error = new ModelError(answer.status, message, this.endpointName, this.logsShown ? undefined : await this.container.settledLogs());
      return { kind: 'model-error', status: answer.status, message, error };
    }
    return { kind: 'answer', answer };
  }

}
