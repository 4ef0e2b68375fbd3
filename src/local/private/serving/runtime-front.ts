/**
 * INTERNAL: SageMaker Runtime's InvokeEndpoint HTTP API on a loopback port,
 * in front of the local endpoints of this process. Any SageMaker Runtime
 * client pointed at it (`@aws-sdk/client-sagemaker-runtime` with `endpoint`,
 * boto3 with `endpoint_url`, `aws sagemaker-runtime invoke-endpoint
 * --endpoint-url`) works unchanged:
 *
 * - `POST /endpoints/<EndpointName>/invocations`, the endpoint chosen by
 *   name among those registered; several endpoints share one front;
 * - the request headers of InvokeEndpoint reach the container
 *   (`./invocation.ts`); the answer carries the container's `Content-Type`
 *   and custom attributes, and `x-Amzn-Invoked-Production-Variant`;
 * - errors in SageMaker's restJson shapes: `x-amzn-ErrorType` and a JSON
 *   body with `Message` (and `OriginalStatusCode`, `OriginalMessage` for a
 *   `ModelError`, status 424); an unknown endpoint is a `ValidationError`
 *   (400); a body over 6 MB is answered 413 "HTTP content length exceeded
 *   6291456 bytes." without an error type, as SageMaker does, and never
 *   reaches the container.
 *
 * Requests are not authenticated: signatures are accepted unchecked, and
 * the server listens on 127.0.0.1 only.
 */
import * as crypto from 'crypto';
import * as http from 'http';
import type { InvocationOutcome } from './invocation';
import { MAX_INVOKE_PAYLOAD_BYTES } from '../../../private/sagemaker-limits';
import { LocalModeError } from '../../errors';

/** One InvokeEndpoint request, as the front received it. */
export interface FrontRequest {
  readonly body: Buffer;
  readonly headers: http.IncomingHttpHeaders;
}

/** What an endpoint registered on the front does with a request. */
export interface FrontEndpoint {
  /** The production variant named in `x-Amzn-Invoked-Production-Variant`. */
  readonly variantName: string;
  invoke(request: FrontRequest): Promise<InvocationOutcome>;
}

/** A reply on the wire. */
interface WireReply {
  readonly status: number;
  readonly headers: http.OutgoingHttpHeaders;
  readonly body: Buffer;
}

const INVOCATIONS_PATH = /^\/endpoints\/([^/?]+)\/invocations(?:\?.*)?$/;
/** A body that grows past this while the front discards it gets the connection closed. */
const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

/** The InvokeEndpoint front of one loopback port, shared by the endpoints of this process. */
export class RuntimeFront {
  /**
   * A front for one more endpoint: the one already listening on `port`
   * (with no port: any that runs), else a new one on `port` (else a free
   * port). Give it back with {@link release}.
   */
  public static async acquire(port?: number): Promise<RuntimeFront> {
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new LocalModeError(`The local SageMaker Runtime port must be an integer from 1 to 65535; got ${port}.`);
    }
    while (true) {
      const key = port ?? (RuntimeFront.fronts.size > 0 ? [...RuntimeFront.fronts.keys()][0] : 0);
      let pending = RuntimeFront.fronts.get(key);
      if (!pending) {
        pending = RuntimeFront.listen(key);
        RuntimeFront.fronts.set(key, pending);
        pending.catch(() => RuntimeFront.fronts.delete(key));
      }
      const front = await pending;
      if (front.closed) continue; // its last endpoint released it meanwhile
      if (!RuntimeFront.fronts.has(front.port)) RuntimeFront.fronts.set(front.port, pending);
      front.users++;
      return front;
    }
  }

  /** The fronts of this process, by the port asked for (0: any port) and, once listening, by their port. */
  private static readonly fronts = new Map<number, Promise<RuntimeFront>>();

  private static listen(port: number): Promise<RuntimeFront> {
    return new Promise((resolve, reject) => {
      const server = http.createServer();
      server.once('error', (e: NodeJS.ErrnoException) => {
        reject(new LocalModeError(e.code === 'EADDRINUSE'
          ? `Cannot serve the local SageMaker Runtime API on 127.0.0.1:${port}: the port is in use. Choose another port, or none to get a free one.`
          : `Cannot serve the local SageMaker Runtime API on 127.0.0.1:${port}: ${e.message}`));
      });
      server.listen(port, '127.0.0.1', () => resolve(new RuntimeFront(server, port)));
    });
  }

  /** The port it listens on. */
  public readonly port: number;
  private readonly endpoints = new Map<string, FrontEndpoint>();
  private users = 0;
  private closed = false;

  private constructor(private readonly server: http.Server, private readonly key: number) {
    this.port = (server.address() as { port: number }).port;
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req).then((reply) => send(res, reply), (e) => send(res, errorReply(500, 'InternalFailure', (e as Error).message)));
    });
  }

  /** `http://127.0.0.1:<port>`: the endpoint URL to give a SageMaker Runtime client. */
  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The URL of one endpoint's invocations. */
  public invocationsUrl(endpointName: string): string {
    return `${this.url}/endpoints/${encodeURIComponent(endpointName)}/invocations`;
  }

  /** Serves `endpoint` under `name` until the returned function is called. */
  public register(name: string, endpoint: FrontEndpoint): () => void {
    if (this.endpoints.has(name)) {
      throw new LocalModeError(`A local endpoint named '${name}' already serves on ${this.url} in this process: endpoint names are unique `
        + '(as in one account and region on SageMaker). Stop it first, or give the new endpoint another name.');
    }
    this.endpoints.set(name, endpoint);
    let registered = true;
    return () => {
      if (!registered) return;
      registered = false;
      this.endpoints.delete(name);
    };
  }

  /** Gives back what {@link acquire} gave; the last user closes the server. */
  public release(): void {
    this.users--;
    if (this.users > 0 || this.closed) return;
    this.closed = true;
    RuntimeFront.fronts.delete(this.key);
    RuntimeFront.fronts.delete(this.port);
    this.server.close();
    this.server.closeAllConnections();
  }

  private async handle(req: http.IncomingMessage): Promise<WireReply> {
    const route = req.method === 'POST' ? INVOCATIONS_PATH.exec(req.url ?? '') : null;
    if (!route) {
      await discard(req);
      return errorReply(404, 'UnknownOperationException', `${req.method} ${req.url} is not an operation of the local SageMaker Runtime API; `
        + 'it serves InvokeEndpoint only: POST /endpoints/<EndpointName>/invocations.');
    }
    const name = safeDecode(route[1]);
    const endpoint = name === undefined ? undefined : this.endpoints.get(name);
    if (!endpoint) {
      await discard(req);
      const serving = [...this.endpoints.keys()].sort();
      return errorReply(400, 'ValidationError', `Endpoint ${name ?? route[1]} of account local not found. `
        + (serving.length ? `This local SageMaker Runtime serves: ${serving.join(', ')}.` : 'No local endpoint serves here now.'));
    }
    const body = await readBody(req, MAX_INVOKE_PAYLOAD_BYTES);
    if (body === undefined) return tooLarge();
    return outcomeReply(await endpoint.invoke({ body, headers: req.headers }), endpoint.variantName);
  }
}

/** SageMaker's answer to a body over 6 MB: status 413 and no error type. */
function tooLarge(): WireReply {
  return jsonReply(413, {}, { message: `HTTP content length exceeded ${MAX_INVOKE_PAYLOAD_BYTES} bytes.` });
}

/** The wire reply of an invocation's outcome. */
function outcomeReply(outcome: InvocationOutcome, variantName: string): WireReply {
  switch (outcome.kind) {
    case 'answer': {
      const headers: http.OutgoingHttpHeaders = { 'x-Amzn-Invoked-Production-Variant': variantName };
      const contentType = outcome.answer.headers['content-type'];
      if (contentType !== undefined) headers['Content-Type'] = contentType;
      const attributes = outcome.answer.headers['x-amzn-sagemaker-custom-attributes'];
      if (attributes !== undefined) headers['X-Amzn-SageMaker-Custom-Attributes'] = attributes;
      return { status: 200, headers, body: outcome.answer.body };
    }
    case 'model-error':
      return errorReply(424, 'ModelError', outcome.error.message, { OriginalStatusCode: outcome.status, OriginalMessage: outcome.message });
    case 'timeout':
      // SageMaker reports a container that does not answer in time as a ModelError with original status 0.
      return errorReply(424, 'ModelError', outcome.error.message, { OriginalStatusCode: 0, OriginalMessage: outcome.error.message });
    case 'too-large':
      return tooLarge();
    case 'unreachable':
      return errorReply(503, 'ServiceUnavailable', outcome.error.message);
    case 'stopped':
      return errorReply(400, 'ValidationError', outcome.error.message);
  }
}

function errorReply(status: number, type: string, message: string, extra: { [key: string]: unknown } = {}): WireReply {
  return jsonReply(status, { 'x-amzn-ErrorType': type }, { Message: message, ...extra });
}

function jsonReply(status: number, headers: http.OutgoingHttpHeaders, body: object): WireReply {
  return { status, headers: { ...headers, 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(body), 'utf8') };
}

function send(res: http.ServerResponse, reply: WireReply): void {
  if (res.headersSent) return;
  res.writeHead(reply.status, { ...reply.headers, 'x-amzn-RequestId': crypto.randomUUID(), 'Content-Length': reply.body.length });
  res.end(reply.body);
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/**
 * The request body, or undefined when it is larger than `limit` (the rest
 * is read and dropped, so that the client gets the answer; a body that goes
 * on past {@link MAX_DISCARDED_BYTES} gets the connection closed).
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > limit) return discard(req).then(() => undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
      } else {
        chunks.length = 0;
        if (size > MAX_DISCARDED_BYTES) req.destroy();
      }
    });
    req.once('end', () => resolve(size <= limit ? Buffer.concat(chunks, size) : undefined));
    req.once('close', () => resolve(undefined)); // destroyed before its end (a no-op after 'end')
    req.once('error', reject);
  });
}

/** Reads and drops the rest of a request body. */
function discard(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DISCARDED_BYTES) req.destroy();
    });
    req.once('end', () => resolve());
    req.once('close', () => resolve());
    req.once('error', () => resolve());
  });
}
