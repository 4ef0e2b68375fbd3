import * as http from 'http';
import { performance } from 'perf_hooks';

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

/** A request waiting for its answer, in the {@link deadlines} queue of its timeout. */
interface PendingRequest {
  /** When it times out ({@link monotonicMs} clock). */
  readonly deadline: number;
  /** Aborts it with a timeout failure. */
  expire(): void;
}

function monotonicMs(): number {
  return performance.now();
}

/**
 * The whole-request deadlines of every request in flight, with ONE timer for
 * all of them instead of a `setTimeout`/`clearTimeout` pair per request.
 * Requests are queued per timeout value: in a queue, deadlines only grow
 * (insertion order = deadline order), so the head is the next to expire. The
 * timer is armed for the earliest head; when it fires, every request whose
 * deadline has passed expires, and it is re-armed for the next head. A
 * request that gets its answer leaves its queue (a Set: O(1)). The timer is
 * unref'd: a request in flight keeps the process alive through its socket.
 */
class DeadlineQueue {
  private readonly queues = new Map<number, Set<PendingRequest>>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  public add(timeoutMs: number, expire: () => void): PendingRequest {
    const entry: PendingRequest = { deadline: monotonicMs() + timeoutMs, expire };
    let queue = this.queues.get(timeoutMs);
    if (!queue) {
      queue = new Set();
      this.queues.set(timeoutMs, queue);
    }
    queue.add(entry);
    if (entry.deadline < this.armedFor) this.arm(entry.deadline);
    return entry;
  }

  public remove(timeoutMs: number, entry: PendingRequest): void {
    this.queues.get(timeoutMs)?.delete(entry);
  }

  private arm(deadline: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(deadline - monotonicMs())));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = monotonicMs();
    const expired: PendingRequest[] = [];
    let next = Infinity;
    for (const [timeoutMs, queue] of this.queues) {
      for (const entry of queue) {
        if (entry.deadline > now) {
          next = Math.min(next, entry.deadline);
          break;
        }
        queue.delete(entry);
        expired.push(entry);
      }
      if (queue.size === 0) this.queues.delete(timeoutMs);
    }
    if (next !== Infinity) this.arm(next);
    for (const entry of expired) entry.expire();
  }
}

const deadlines = new DeadlineQueue();

/**
 * One HTTP request to 127.0.0.1 (local mode never talks to any other
 * address). Resolves with any status; rejects with {@link HttpFailure} when
 * there is no answer within `timeoutMs` (from this call to the end of the
 * answer) or the connection fails.
 */
export function loopbackRequest(request: LoopbackRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const headers: http.OutgoingHttpHeaders = { ...request.headers };
    if (request.body) headers['Content-Length'] = request.body.length;
    const timeoutMs = request.timeoutMs;
    const pending = deadlines.add(timeoutMs, () => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new HttpFailure('timeout', `no answer within ${timeoutMs} ms`));
    });
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
        deadlines.remove(timeoutMs, pending);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length) });
      });
      res.on('error', fail);
    });
    function fail(err: NodeJS.ErrnoException) {
      if (settled) return;
      settled = true;
      deadlines.remove(timeoutMs, pending);
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
