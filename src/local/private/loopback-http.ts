import * as http from 'http';

/** The answer to one HTTP request. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Why a request got no answer. */
export type HttpFailureKind = 'timeout' | 'connection';

/** A request that got no HTTP answer (timeout, refused or reset connection). */
export class HttpFailure extends Error {
  constructor(public readonly kind: HttpFailureKind, message: string, public readonly code?: string) {
    super(message);
    this.name = 'HttpFailure';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export interface LoopbackRequest {
  readonly port: number;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: Buffer;
  /** Whole-request deadline in milliseconds (connect, send, answer). */
  readonly timeoutMs: number;
  /** Keep-alive agent; @default - a new connection for this request */
  readonly agent?: http.Agent;
}

/**
 * One HTTP request to 127.0.0.1 (local mode never talks to any other
 * address). Resolves with any status; rejects with {@link HttpFailure} when
 * there is no answer within `timeoutMs` or the connection fails.
 */
export function loopbackRequest(request: LoopbackRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const headers: http.OutgoingHttpHeaders = { ...request.headers };
    if (request.body) headers['Content-Length'] = request.body.length;
    const req = http.request({
      host: '127.0.0.1',
      port: request.port,
      method: request.method,
      path: request.path,
      headers,
      agent: request.agent ?? false,
    }, (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length) });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new HttpFailure('timeout', `no answer within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    function fail(err: NodeJS.ErrnoException) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new HttpFailure('connection', err.message, err.code));
    }
    req.on('error', fail);
    req.end(request.body);
  });
}

/** A keep-alive agent for one serving container. */
export function keepAliveAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: Math.max(1, maxSockets), keepAliveMsecs: 1000 });
}
