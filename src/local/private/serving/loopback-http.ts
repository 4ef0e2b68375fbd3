import type * as http from 'http';
import * as net from 'net';
import { performance } from 'perf_hooks';
import { AnswerParser, BodyAllocator, ParsedAnswer } from './http-answer-parser';

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

/** A request waiting for its answer, in the deadline queue of its timeout. */
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

/** What a connection reads into; one per connection, reused for every read. */
const READ_BUFFER_BYTES = 64 * 1024;
/** Bodies up to this size are sent in one buffer with the head, larger ones after it. */
const SMALL_BODY_BYTES = 16 * 1024;
/** RFC 9110 `token`: a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What a header value may hold (as Node's `http` checks it): tab, visible ASCII, space, obs-text. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the client writes itself. */
const OWN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

/** The header lines of a request, checked. Throws a TypeError naming a bad header. */
function headerLines(headers: http.OutgoingHttpHeaders | undefined): string {
  let lines = '';
  if (!headers) return lines;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (!TOKEN.test(name)) throw new TypeError(`Invalid HTTP header name ${JSON.stringify(name)}: a name is letters, digits and !#$%&'*+-.^_\`|~ only`);
    if (OWN_HEADERS.has(name.toLowerCase())) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      const text = String(one);
      if (!FIELD_VALUE.test(text)) {
        throw new TypeError(`Invalid value for HTTP header '${name}': ${JSON.stringify(text.slice(0, 80))} holds a control character (such as a line break) `
          + 'or a character beyond U+00FF; allowed are tab, space, visible ASCII and U+0080 to U+00FF');
      }
      lines += `${name}: ${text}\r\n`;
    }
  }
  return lines;
}

/** One request of a {@link LoopbackClient}, from the call until it settles. */
class Exchange {
  public settled = false;
  public connection: Connection | undefined;
  public readonly parser: AnswerParser;
  private readonly pending: PendingRequest;

  constructor(
    method: string,
    public readonly head: string,
    public readonly body: Buffer | undefined,
    private readonly timeoutMs: number,
    private readonly resolve: (answer: HttpAnswer) => void,
    private readonly reject: (e: Error) => void,
    allocate: BodyAllocator | undefined,
  ) {
    this.parser = new AnswerParser(method, allocate);
    this.pending = deadlines.add(timeoutMs, () => {
      this.fail(new HttpFailure('timeout', `no answer within ${timeoutMs} ms`));
      this.connection?.destroy();
    });
  }

  public succeed(answer: ParsedAnswer): void {
    if (this.settled) return;
    this.settled = true;
    deadlines.remove(this.timeoutMs, this.pending);
    this.resolve({ status: answer.status, headers: answer.headers, body: answer.body });
  }

  public fail(failure: Error): void {
    if (this.settled) return;
    this.settled = true;
    deadlines.remove(this.timeoutMs, this.pending);
    this.reject(failure);
  }
}

/** One TCP connection of a {@link LoopbackClient}: one request at a time. */
class Connection {
  public exchange: Exchange | undefined;
  /** When the server's `Keep-Alive: timeout` says it may close the idle connection ({@link monotonicMs} clock). */
  public reusableUntil = Infinity;
  public dead = false;
  private readonly socket: net.Socket;

  constructor(private readonly client: LoopbackClient, port: number) {
    this.socket = net.connect({
      host: '127.0.0.1',
      port,
      onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: (n: number, buffer: Uint8Array) => this.onRead(buffer as Buffer, n) },
    });
    this.socket.setNoDelay(true);
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.lose(new HttpFailure('connection', err.message, err.code)));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.lose(this.closedFailure()));
  }

  /** Sends the exchange's request; the connection is idle. */
  public send(exchange: Exchange): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.socket.ref();
    const { head, body } = exchange;
    if (!body || body.length === 0) {
      this.socket.write(head, 'latin1');
    } else if (body.length <= SMALL_BODY_BYTES) {
      // Latin-1: one byte per character of the head.
      const bytes = Buffer.allocUnsafe(head.length + body.length);
      bytes.write(head, 0, 'latin1');
      body.copy(bytes, head.length);
      this.socket.write(bytes);
    } else {
      this.socket.cork();
      this.socket.write(head, 'latin1');
      this.socket.write(body);
      this.socket.uncork();
    }
  }

  /** Closes the connection; its request, if any, fails. */
  public destroy(): void {
    this.lose(new HttpFailure('connection', 'the connection was closed', 'ECONNRESET'));
  }

  /** Reads `buffer[0, n)`; true: go on reading. */
  private onRead(buffer: Buffer, n: number): boolean {
    const exchange = this.exchange;
    if (!exchange) {
      // Bytes that answer no request: the connection cannot be trusted.
      this.destroy();
      return false;
    }
    let end: number;
    try {
      end = exchange.parser.feed(buffer, 0, n);
    } catch (e) {
      this.lose(new HttpFailure('connection', `the container's answer is not HTTP/1.x: ${(e as Error).message}`, 'HPE_INVALID'));
      return false;
    }
    if (exchange.parser.done) this.complete(exchange, end === n);
    return true;
  }

  private onEnd(): void {
    const exchange = this.exchange;
    if (exchange && exchange.parser.end()) this.complete(exchange, false);
    else this.lose(this.closedFailure());
  }

  /** The failure of a request whose connection the container closed. */
  private closedFailure(): HttpFailure {
    const partway = this.exchange && !this.exchange.parser.untouched;
    return new HttpFailure('connection', partway
      ? 'the container closed the connection in the middle of its answer'
      : 'the container closed the connection before it answered', 'ECONNRESET');
  }

  /** The answer is read; `clean`: no byte followed it. */
  private complete(exchange: Exchange, clean: boolean): void {
    const answer = exchange.parser.answer();
    this.exchange = undefined;
    exchange.connection = undefined;
    if (answer.keepAliveSeconds !== undefined) {
      this.reusableUntil = monotonicMs() + Math.max(0, answer.keepAliveSeconds * 1000 - 1000);
    }
    // Reusable only when the server keeps it open and our request was sent whole (it may answer early).
    if (clean && answer.keepAlive && this.client.keepAlive && this.socket.writableLength === 0 && !this.dead) {
      this.socket.unref();
      this.client.released(this);
    } else {
      this.lose(undefined);
    }
    exchange.succeed(answer);
  }

  /** The connection is gone (or must go): fails its request with `failure`, if any. Idempotent. */
  private lose(failure: HttpFailure | undefined): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    if (exchange && failure) exchange.fail(failure);
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    this.client.lost(this);
  }
}

/**
 * An HTTP/1.1 client for one serving container on 127.0.0.1 (local mode
 * never talks to any other address), with up to `maxSockets` keep-alive
 * connections; requests beyond that wait for a connection, first come first
 * served. It replaces Node's `http.request` and `http.Agent` on the hot path
 * of batch transform: a request is one write of its head and body, and an
 * answer is read into the connection's one reused buffer and copied once
 * into a body of its `Content-Length` (see `http-answer-parser.ts`), which
 * makes a small request several times cheaper and keeps a 6 MB answer at
 * 6 MB of memory.
 *
 * A request resolves with any status, and rejects with {@link HttpFailure}
 * when there is no answer within its timeout (from the call to the end of
 * the answer, waiting for a connection included), the connection fails, or
 * the answer is not HTTP/1.x; and with a TypeError, before anything is
 * sent, for a header that HTTP cannot carry. Idle connections do not keep
 * the process alive. A connection is not reused past the server's
 * `Keep-Alive: timeout` (less one second, as Node's agent does).
 */
export class LoopbackClient {
  private readonly connections = new Set<Connection>();
  /** Idle connections, the most recently used last. */
  private readonly idle: Connection[] = [];
  private readonly waiting: Exchange[] = [];

  /**
   * @param port the loopback port of the container
   * @param maxSockets connections open at most at once
   * @param keepAlive reuse connections (false: `Connection: close`, one connection per request)
   */
  constructor(public readonly port: number, private readonly maxSockets = 1, public readonly keepAlive = true) {}

  /**
   * One request; see the class comment. `allocate` gives the buffer of an
   * answer body of known length (default: a new one).
   */
  public request(
    method: 'GET' | 'POST', path: string, timeoutMs: number, body?: Buffer, headers?: http.OutgoingHttpHeaders, allocate?: BodyAllocator,
  ): Promise<HttpAnswer> {
    let head: string;
    try {
      if (!/^\/[\x21-\x7e]*$/.test(path)) throw new TypeError(`Invalid request path ${JSON.stringify(path)}: it must start with '/' and hold visible ASCII only`);
      const length = body ? body.length : method === 'POST' ? 0 : undefined;
      head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nConnection: ${this.keepAlive ? 'keep-alive' : 'close'}\r\n${headerLines(headers)}`
        + `${length === undefined ? '' : `Content-Length: ${length}\r\n`}\r\n`;
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.dispatch(new Exchange(method, head, body, timeoutMs, resolve, reject, allocate));
    });
  }

  /** Closes every connection; requests in flight fail. The client can still be used: it opens new connections. */
  public destroy(): void {
    // The waiting ones first: a connection that goes would hand them a new one.
    for (const exchange of this.waiting.splice(0)) exchange.fail(new HttpFailure('connection', 'the client was closed', 'ECONNRESET'));
    for (const connection of [...this.connections]) connection.destroy();
  }

  /** @internal A connection finished its request and can take another. */
  public released(connection: Connection): void {
    const next = this.nextWaiting();
    if (next) connection.send(next);
    else this.idle.push(connection);
  }

  /** @internal A connection is gone. */
  public lost(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    const next = this.nextWaiting();
    if (next) this.open().send(next);
  }

  private dispatch(exchange: Exchange): void {
    const now = monotonicMs();
    let connection: Connection | undefined;
    while ((connection = this.idle.pop())) {
      if (!connection.dead && connection.reusableUntil > now) {
        connection.send(exchange);
        return;
      }
      connection.destroy();
    }
    if (this.connections.size < this.maxSockets) this.open().send(exchange);
    else this.waiting.push(exchange);
  }

  private open(): Connection {
    const connection = new Connection(this, this.port);
    this.connections.add(connection);
    return connection;
  }

  private nextWaiting(): Exchange | undefined {
    let next: Exchange | undefined;
    while ((next = this.waiting.shift())) {
      if (!next.settled) return next;
    }
    return undefined;
  }
}
