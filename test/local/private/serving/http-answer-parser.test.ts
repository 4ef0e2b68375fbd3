import { AnswerParser, AnswerSyntaxError, MAX_HEAD_BYTES, ParsedAnswer } from '../../../../src/local/private/serving/http-answer-parser';

/** Feeds `bytes` in pieces of `step` bytes (Infinity: at once); returns the answer and where it ended. */
function parse(bytes: Buffer | string, step = Infinity, method = 'POST'): { answer?: ParsedAnswer; end: number; parser: AnswerParser } {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  const parser = new AnswerParser(method);
  let at = 0;
  while (at < data.length && !parser.done) {
    // Each piece is its own buffer, as reads into a reused buffer are.
    const piece = Buffer.from(data.subarray(at, Math.min(data.length, at + step)));
    const used = parser.feed(piece, 0, piece.length);
    at += used;
  }
  return { answer: parser.done ? parser.answer() : undefined, end: at, parser };
}

const STEPS = [Infinity, 1, 2, 3, 7];

describe('AnswerParser', () => {
  test.each(STEPS)('GIVEN a Content-Length answer fed %p bytes at a time THEN the same status, headers and body', (step) => {
    const { answer, end } = parse('HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 12\r\n\r\n1,2,3\n4,5,6\n', step);
    expect(answer).toMatchObject({ status: 200, keepAlive: true });
    expect(answer!.headers).toEqual({ 'content-type': 'text/csv', 'content-length': '12' });
    expect(answer!.body.toString()).toBe('1,2,3\n4,5,6\n');
    expect(end).toBe(Buffer.byteLength('HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 12\r\n\r\n1,2,3\n4,5,6\n'));
  });

  test.each(STEPS)('GIVEN a chunked answer with extensions and trailers fed %p bytes at a time THEN the joined body, and it ends after the trailers', (step) => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n';
    const { answer, end } = parse(text + 'EXTRA', step);
    expect(answer!.body.toString()).toBe('hello 0123456789');
    expect(end).toBe(text.length);
  });

  test('GIVEN bytes after a complete answer THEN feed returns where the answer ended', () => {
    const head = 'HTTP/1.1 204 No Content\r\n\r\n';
    const { answer, end } = parse(head + 'HTTP/1.1 200 OK\r\n');
    expect(answer!.status).toBe(204);
    expect(answer!.body.length).toBe(0);
    expect(end).toBe(head.length);
  });

  test('GIVEN a HEAD request, a 304 THEN no body is read even with a Content-Length', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', Infinity, 'HEAD').answer!.body.length).toBe(0);
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n').answer!.body.length).toBe(0);
  });

  test('GIVEN interim 100 and 103 answers THEN they are skipped and the final answer is returned', () => {
    const { answer } = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', 4);
    expect(answer!.status).toBe(201);
    expect(answer!.headers.link).toBeUndefined();
    expect(answer!.body.toString()).toBe('ok');
  });

  test('GIVEN no Content-Length and no chunking THEN the body runs to the end of the connection, which is not kept', () => {
    const { parser, answer } = parse('HTTP/1.0 200 OK\r\n\r\nall of it');
    expect(answer).toBeUndefined();
    expect(parser.end()).toBe(true);
    expect(parser.answer()).toMatchObject({ status: 200, keepAlive: false });
    expect(parser.answer().body.toString()).toBe('all of it');
  });

  test('GIVEN the connection ends inside a Content-Length body THEN the answer is not complete', () => {
    const { parser } = parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    expect(parser.end()).toBe(false);
    expect(() => parser.answer()).toThrow(/not complete/);
  });

  test('GIVEN the Connection header and the version THEN whether the connection is kept', () => {
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').answer!.keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').answer!.keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n').answer!.keepAlive).toBe(true);
    expect(parse('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n').answer!.keepAliveSeconds).toBe(5);
  });

  test('GIVEN repeated and folded header lines THEN repeats are joined (set-cookie kept apart) and folds continue the line before', () => {
    const { answer } = parse('HTTP/1.1 200 OK\r\nX-A: one\r\nx-a: two\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Long: first\r\n  second\r\nContent-Length: 0\r\n\r\n', 5);
    expect(answer!.headers['x-a']).toBe('one, two');
    expect(answer!.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(answer!.headers['x-long']).toBe('first second');
  });

  test('GIVEN a body of 1 MiB fed in 64 KiB reads THEN the body is the bytes sent', () => {
    const body = Buffer.alloc(1024 * 1024, 'abcdefghij');
    const { answer } = parse(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]), 64 * 1024);
    expect(answer!.body.equals(body)).toBe(true);
  });

  test.each([
    ['not HTTP', 'HELLO\r\n\r\n', /does not start with an HTTP\/1.0 or HTTP\/1.1 status line: "HELLO"/],
    ['HTTP/2', 'HTTP/2 200\r\n\r\n', /status line/],
    ['a bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n', /Content-Length is not a number: "12abc"/],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', /Content-Length is not a number: "1, 2"/],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /bad chunk size line: "zz"/],
    ['a chunk longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n', /chunk longer than its size/],
    ['a header line without a name', 'HTTP/1.1 200 OK\r\n: x\r\n\r\n', /header line without a name/],
    ['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', /switched protocols \(101\)/],
  ])('GIVEN %s THEN an AnswerSyntaxError that says what is wrong', (_, text, message) => {
    for (const step of [Infinity, 1]) {
      let error: unknown;
      try {
        parse(text, step);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AnswerSyntaxError);
      expect((error as Error).message).toMatch(message);
    }
  });

  test('GIVEN a header block over the limit THEN an error names the limit', () => {
    const text = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
    expect(() => parse(text, 4096)).toThrow(/header block is larger than 64 KiB/);
  });
});
