/**
 * Reads one HTTP/1.x answer from the bytes of a connection, fed as they
 * arrive, in pieces of any size. Used by the loopback client
 * (`loopback-http.ts`), which reads every connection into one reused buffer:
 * the parser copies what it keeps, so nothing it is given must outlive the
 * call.
 *
 * What it takes (RFC 9112): a status line and header fields (obsolete line
 * folding joined to the field before it), `1xx` interim answers skipped, a
 * body delimited by `Transfer-Encoding: chunked` (chunk extensions and
 * trailer fields read and dropped), by `Content-Length`, or by the end of
 * the connection; no body for `HEAD`, `204` and `304`. It says whether the
 * connection can carry another request (HTTP/1.1 unless `Connection: close`,
 * HTTP/1.0 only with `Connection: keep-alive`) and how long the server keeps
 * it open (`Keep-Alive: timeout=N`).
 *
 * A body of known length is copied once into a buffer of that length (the
 * caller's, if it gives an allocator): no list of chunks to join, so a 6 MB
 * answer costs 6 MB.
 */
import type { IncomingHttpHeaders } from 'http';

/** Header block size limit (Node's `http` default is 16 KiB). */
export const MAX_HEAD_BYTES = 64 * 1024;

const CRLF2 = Buffer.from('\r\n\r\n');
const CR = 0x0d;
const LF = 0x0a;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/;

/** Bytes that are not an HTTP/1.x answer. */
export class AnswerSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnswerSyntaxError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Where a body of known length goes: a buffer of exactly `length` bytes. */
export type BodyAllocator = (length: number) => Buffer;

/** One parsed answer. */
export interface ParsedAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The connection may carry another request. */
  readonly keepAlive: boolean;
  /** The server's `Keep-Alive: timeout` in seconds, if it gave one. */
  readonly keepAliveSeconds?: number;
}

type Framing =
  | 'head'
  | 'length'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-data-end'
  | 'trailer'
  | 'until-close'
  | 'done';

/** See the module comment. One instance per answer. */
export class AnswerParser {
  private framing: Framing = 'head';
  /** Head bytes of an unfinished header block (copied). */
  private headParts: Buffer[] = [];
  private headLength = 0;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private keepAlive = false;
  private keepAliveSeconds: number | undefined;
  /** Known-length body, filled up to `filled`. */
  private body: Buffer | undefined;
  private filled = 0;
  /** Bytes left in the current chunk, or of the `length` body. */
  private remaining = 0;
  /** Copies of the body's pieces (chunked and close-delimited bodies). */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** An unfinished chunk-size or trailer line (latin1). */
  private line = '';

  /** @param allocate where a body of known length goes @default Buffer.allocUnsafe */
  constructor(private readonly method: string, private readonly allocate: BodyAllocator = Buffer.allocUnsafe) {}

  /** The answer is complete. */
  public get done(): boolean {
    return this.framing === 'done';
  }

  /** No byte of the answer has been read yet. */
  public get untouched(): boolean {
    return this.framing === 'head' && this.headLength === 0;
  }

  /**
   * Reads `data[start, end)`. Returns the offset where the answer ended
   * (bytes after it belong to no answer of ours), or `end` when it wants
   * more. Throws {@link AnswerSyntaxError}.
   */
  public feed(data: Buffer, start: number, end: number): number {
    let at = start;
    while (at < end && this.framing !== 'done') {
      switch (this.framing) {
        case 'head': at = this.readHead(data, at, end); break;
        case 'length': at = this.readLength(data, at, end); break;
        case 'chunk-size': at = this.readChunkSize(data, at, end); break;
        case 'chunk-data': at = this.readChunkData(data, at, end); break;
        case 'chunk-data-end': at = this.readChunkDataEnd(data, at, end); break;
        case 'trailer': at = this.readTrailer(data, at, end); break;
        case 'until-close': {
          this.keep(data, at, end);
          at = end;
          break;
        }
      }
    }
    return at;
  }

  /** The connection ended: true when that completes the answer (a close-delimited body). */
  public end(): boolean {
    if (this.framing === 'until-close') {
      this.framing = 'done';
      return true;
    }
    return this.framing === 'done';
  }

  /** The answer; only once {@link done}. */
  public answer(): ParsedAnswer {
    if (this.framing !== 'done') throw new Error('the answer is not complete');
    let body = this.body;
    if (!body) body = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLength);
    return { status: this.status, headers: this.headers, body, keepAlive: this.keepAlive, keepAliveSeconds: this.keepAliveSeconds };
  }

  private readHead(data: Buffer, at: number, end: number): number {
    let headEnd: number;
    let head: Buffer;
    if (this.headLength === 0) {
      // `data` may hold stale bytes after `end` (a reused read buffer).
      const found = data.indexOf(CRLF2, at);
      if (found >= 0 && found + 4 <= end) {
        headEnd = found + 4;
        head = data.subarray(at, found);
      } else {
        this.keepHead(data, at, end);
        return end;
      }
    } else {
      // Look again from just before the kept bytes' end: the terminator may straddle reads.
      const kept = this.headLength;
      this.keepHead(data, at, end);
      const joined = Buffer.concat(this.headParts, this.headLength);
      const found = joined.indexOf(CRLF2, Math.max(0, kept - 3));
      if (found < 0) {
        this.headParts = [joined];
        return end;
      }
      headEnd = at + (found + 4 - kept);
      head = joined.subarray(0, found);
      this.headParts = [];
      this.headLength = 0;
    }
    this.parseHead(head.toString('latin1'));
    return headEnd;
  }

  private keepHead(data: Buffer, at: number, end: number): void {
    this.headLength += end - at;
    if (this.headLength > MAX_HEAD_BYTES) {
      throw new AnswerSyntaxError(`the answer's header block is larger than ${MAX_HEAD_BYTES / 1024} KiB`);
    }
    this.headParts.push(Buffer.from(data.subarray(at, end)));
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    const statusLine = STATUS_LINE.exec(lines[0]);
    if (!statusLine) {
      throw new AnswerSyntaxError(`the answer does not start with an HTTP/1.0 or HTTP/1.1 status line: ${JSON.stringify(lines[0].slice(0, 80))}`);
    }
    const minor = Number(statusLine[1]);
    const status = Number(statusLine[2]);
    const headers: IncomingHttpHeaders = {};
    let last: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      if (line.length === 0) continue;
      if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
        headers[last] = `${headers[last]} ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new AnswerSyntaxError(`the answer has a header line without a name: ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === '__proto__') continue;
      const before = headers[name];
      if (name === 'set-cookie') {
        headers['set-cookie'] = [...(before ?? []), value];
      } else {
        headers[name] = before === undefined ? value : `${before}, ${value}`;
      }
      last = name;
    }
    if (status >= 100 && status < 200) {
      if (status === 101) throw new AnswerSyntaxError('the server switched protocols (101), which a model container must not do');
      return; // an interim answer: the real one follows
    }
    this.status = status;
    this.headers = headers;
    const connection = tokens(headers.connection);
    this.keepAlive = minor === 1 ? !connection.includes('close') : connection.includes('keep-alive');
    const timeout = /(?:^|[,\s])timeout=(\d+)/i.exec(String(headers['keep-alive'] ?? ''));
    if (timeout) this.keepAliveSeconds = Number(timeout[1]);

    const codings = tokens(headers['transfer-encoding']);
    if (this.method === 'HEAD' || status === 204 || status === 304) {
      this.body = Buffer.alloc(0);
      this.framing = 'done';
    } else if (codings.length > 0) {
      if (codings[codings.length - 1] !== 'chunked') {
        // RFC 9112 6.3: only the end of the connection delimits such a body.
        this.keepAlive = false;
        this.framing = 'until-close';
      } else {
        this.framing = 'chunk-size';
      }
    } else if (headers['content-length'] !== undefined) {
      const values = new Set(String(headers['content-length']).split(',').map((v) => v.trim()));
      const [only] = values;
      if (values.size !== 1 || !/^\d{1,15}$/.test(only)) {
        throw new AnswerSyntaxError(`the answer's Content-Length is not a number: ${JSON.stringify(headers['content-length'])}`);
      }
      const length = Number(only);
      this.body = length === 0 ? Buffer.alloc(0) : this.allocate(length);
      this.remaining = length;
      this.framing = length === 0 ? 'done' : 'length';
    } else {
      this.keepAlive = false;
      this.framing = 'until-close';
    }
  }

  private readLength(data: Buffer, at: number, end: number): number {
    const n = Math.min(this.remaining, end - at);
    data.copy(this.body!, this.filled, at, at + n);
    this.filled += n;
    this.remaining -= n;
    if (this.remaining === 0) this.framing = 'done';
    return at + n;
  }

  private readChunkSize(data: Buffer, at: number, end: number): number {
    const [line, next] = this.readLine(data, at, end);
    if (line === undefined) return next;
    const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
    if (!size) throw new AnswerSyntaxError(`the answer's chunked body has a bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`);
    this.remaining = parseInt(size[1], 16);
    this.framing = this.remaining === 0 ? 'trailer' : 'chunk-data';
    return next;
  }

  private readChunkData(data: Buffer, at: number, end: number): number {
    const n = Math.min(this.remaining, end - at);
    this.keep(data, at, at + n);
    this.remaining -= n;
    if (this.remaining === 0) this.framing = 'chunk-data-end';
    return at + n;
  }

  private readChunkDataEnd(data: Buffer, at: number, end: number): number {
    const [line, next] = this.readLine(data, at, end);
    if (line === undefined) return next;
    if (line !== '') throw new AnswerSyntaxError('the answer\'s chunked body has a chunk longer than its size');
    this.framing = 'chunk-size';
    return next;
  }

  private readTrailer(data: Buffer, at: number, end: number): number {
    const [line, next] = this.readLine(data, at, end);
    if (line === undefined) return next;
    if (line === '') this.framing = 'done';
    return next;
  }

  /** One CRLF-ended line (CRLF dropped), or undefined and `end` when it goes on in the next read. */
  private readLine(data: Buffer, at: number, end: number): [string | undefined, number] {
    const lf = data.indexOf(LF, at);
    if (lf < 0 || lf >= end) {
      this.line += data.toString('latin1', at, end);
      if (this.line.length > MAX_HEAD_BYTES) throw new AnswerSyntaxError(`the answer's chunked body has a line longer than ${MAX_HEAD_BYTES / 1024} KiB`);
      return [undefined, end];
    }
    let line = this.line + data.toString('latin1', at, lf);
    this.line = '';
    if (line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
    return [line, lf + 1];
  }

  private keep(data: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.parts.push(Buffer.from(data.subarray(from, to)));
    this.partsLength += to - from;
  }
}

/** The lower-cased comma-separated tokens of a header value. */
function tokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return String(value).toLowerCase().split(',').map((t) => t.trim()).filter((t) => t.length > 0);
}
