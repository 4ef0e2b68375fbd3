import * as http from 'http';
import * as net from 'net';
import { AddressInfo } from 'net';
import { HttpFailure, LoopbackClient } from '../../../../src/local/private/serving/loopback-http';

/**
 * A loopback server: `/never` never answers, `/after/<ms>` answers after ms,
 * `/echo` answers the request body, `/chunked/<n>` answers n chunks,
 * `/close` answers with `Connection: close`, `/hint` with
 * `Keep-Alive: timeout=1`. It counts connections and requests in flight.
 */
let server: http.Server;
let port: number;
const open = new Set<net.Socket>();
let connections = 0;
let inFlight = 0;
let maxInFlight = 0;
let requests: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers['x-request'] ?? ''}`.trim());
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => { inFlight--; });
    const url = req.url ?? '';
    const after = /^\/after\/(\d+)$/.exec(url);
    const chunked = /^\/chunked\/(\d+)$/.exec(url);
    if (after) {
      setTimeout(() => res.end('ok'), Number(after[1]));
    } else if (url === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => setTimeout(() => res.end(Buffer.concat(chunks)), 5));
    } else if (chunked) {
      let i = 0;
      const next = (): void => {
        if (i === Number(chunked[1])) {
          res.end();
          return;
        }
        res.write(`chunk-${i++};`);
        setImmediate(next);
      };
      next();
    } else if (url === '/close') {
      res.setHeader('Connection', 'close');
      res.end('bye');
    } else if (url === '/hint') {
      res.setHeader('Keep-Alive', 'timeout=1');
      res.end('hint');
    } else if (url !== '/never') {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    connections++;
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

beforeEach(() => {
  connections = 0;
  maxInFlight = 0;
  requests = [];
});

afterAll(async () => {
  open.forEach((s) => s.destroy());
  await new Promise((resolve) => server.close(resolve));
});

/** Settles to [outcome, ms after start]. */
async function timed(client: LoopbackClient, path: string, timeoutMs: number): Promise<[string, number]> {
  const t0 = Date.now();
  try {
    const answer = await client.request('GET', path, timeoutMs);
    return [`${answer.status} ${answer.body.toString()}`, Date.now() - t0];
  } catch (e) {
    return [e instanceof HttpFailure ? `${e.kind}: ${e.message}` : String(e), Date.now() - t0];
  }
}

interface RawServer {
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

/** Runs `body` with a client of the Node server with `maxSockets` connections; closes it after. */
async function withClient(maxSockets: number, body: (client: LoopbackClient) => Promise<void>): Promise<void> {
  const client = new LoopbackClient(port, maxSockets);
  try {
    await body(client);
  } finally {
    client.destroy();
  }
}

/** A raw TCP server: `answer` gets the bytes of every read, and the connection's number (from 1). */
async function rawServer(answer: (socket: net.Socket, data: string, connection: number) => void): Promise<RawServer> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const raw = net.createServer((socket) => {
    const connection = ++count;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (d) => answer(socket, d.toString('latin1'), connection));
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  return {
    port: (raw.address() as AddressInfo).port,
    connections: () => count,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => raw.close(resolve));
    },
  };
}

/** Runs `body` with a {@link rawServer} and a one-connection client of it; closes both after. */
async function withRawServer(
  answer: Parameters<typeof rawServer>[0],
  body: (client: LoopbackClient, raw: RawServer) => Promise<void>,
): Promise<void> {
  const raw = await rawServer(answer);
  const client = new LoopbackClient(raw.port, 1);
  try {
    await body(client, raw);
  } finally {
    client.destroy();
    await raw.close();
  }
}

describe('LoopbackClient deadlines (one shared timer)', () => {
  test('GIVEN requests with different timeouts in flight together WHEN none answers THEN each times out at its own deadline, not earlier, not much later', async () => {
    await withClient(4, async (client) => {
      // WHEN a long timeout starts first, shorter ones after it
      const long = timed(client, '/never', 600);
      await new Promise((r) => setTimeout(r, 50));
      const short = timed(client, '/never', 150);
      const alsoShort = timed(client, '/never', 150);
      const answered = timed(client, '/after/100', 600);
      const results = await Promise.all([long, short, alsoShort, answered]);
      // THEN
      expect(results.map(([o]) => o)).toEqual([
        'timeout: no answer within 600 ms', 'timeout: no answer within 150 ms', 'timeout: no answer within 150 ms', '200 ok',
      ]);
      const [[, longMs], [, shortMs], [, alsoShortMs], [, answeredMs]] = results;
      expect(longMs).toBeGreaterThanOrEqual(599);
      expect(longMs).toBeLessThan(600 + 250);
      for (const ms of [shortMs, alsoShortMs]) {
        expect(ms).toBeGreaterThanOrEqual(149);
        expect(ms).toBeLessThan(150 + 250);
      }
      expect(answeredMs).toBeLessThan(600);
    });
  });

  test('GIVEN one connection WHEN a request times out THEN its connection is closed and the next request still gets its own full deadline', async () => {
    await withClient(1, async (client) => {
      // WHEN
      const first = await timed(client, '/never', 200);
      const second = await timed(client, '/after/250', 400);
      // THEN the second one was not cut short by the first one's timer, and went over a new connection
      expect(first[0]).toBe('timeout: no answer within 200 ms');
      expect(second[0]).toBe('200 ok');
      expect(second[1]).toBeGreaterThanOrEqual(249);
      expect(connections).toBe(2);
    });
  });

  test('GIVEN a request waiting for a connection WHEN its deadline passes THEN it times out without ever being sent', async () => {
    await withClient(1, async (client) => {
      const busy = timed(client, '/after/300', 1000);
      const waiting = timed(client, '/after/0', 100);
      expect((await waiting)[0]).toBe('timeout: no answer within 100 ms');
      expect((await busy)[0]).toBe('200 ok');
      expect(requests).toEqual(['GET /after/300']);
    });
  });

  test('GIVEN no server on the port WHEN requested THEN a connection failure, not a timeout', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(new LoopbackClient(freePort).request('GET', '/', 1000)).rejects.toMatchObject({ kind: 'connection', code: 'ECONNREFUSED' });
  });
});

describe('LoopbackClient connections', () => {
  test('GIVEN one connection WHEN five requests are made one after another THEN they all go over it', async () => {
    await withClient(1, async (client) => {
      for (let i = 0; i < 5; i++) {
        const answer = await client.request('POST', '/echo', 1000, Buffer.from(`body ${i}`), { 'Content-Type': 'text/plain' });
        expect(answer.body.toString()).toBe(`body ${i}`);
      }
      expect(connections).toBe(1);
    });
  });

  test('GIVEN two connections WHEN twenty requests are made at once THEN at most two are in flight, each gets its own answer, and they are sent in call order', async () => {
    await withClient(2, async (client) => {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => client.request('POST', '/echo', 5000, Buffer.from(`#${i}`), { 'X-Request': String(i) })));
      expect(answers.map((a) => a.body.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `#${i}`));
      expect(connections).toBe(2);
      expect(maxInFlight).toBe(2);
      expect(requests).toEqual(Array.from({ length: 20 }, (_, i) => `POST /echo ${i}`));
    });
  });

  test('GIVEN bodies of 0 B, 16 KiB (one write with the head) and 8 MiB (written after it) THEN each is echoed whole', async () => {
    await withClient(1, async (client) => {
      for (const size of [0, 16 * 1024, 16 * 1024 + 1, 8 * 1024 * 1024]) {
        const body = Buffer.alloc(size);
        for (let i = 0; i < size; i++) body[i] = (i * 31) % 251;
        const answer = await client.request('POST', '/echo', 10_000, body);
        expect(answer.body.length).toBe(size);
        expect(answer.body.equals(body)).toBe(true);
      }
    });
  });

  test('GIVEN an allocator THEN a body of known length is read into the buffer it gives, and an empty one is not asked for', async () => {
    const client = new LoopbackClient(port, 1);
    const given = Buffer.alloc(64);
    const asked: number[] = [];
    const allocate = (length: number) => { asked.push(length); return given.subarray(0, length); };
    try {
      const answer = await client.request('POST', '/echo', 1000, Buffer.from('into the given buffer'), undefined, allocate);
      expect(answer.body.toString()).toBe('into the given buffer');
      expect(answer.body.buffer).toBe(given.buffer);
      const empty = await client.request('POST', '/echo', 1000, Buffer.alloc(0), undefined, allocate);
      expect(empty.body.length).toBe(0);
      expect(asked).toEqual([21]);
    } finally {
      client.destroy();
    }
  });

  test('GIVEN a chunked answer of 2000 writes THEN the joined body, and the connection is reused', async () => {
    await withClient(1, async (client) => {
      const first = await client.request('GET', '/chunked/2000', 10_000);
      const second = await client.request('GET', '/chunked/2', 10_000);
      expect(first.body.toString()).toBe(Array.from({ length: 2000 }, (_, i) => `chunk-${i};`).join(''));
      expect(second.body.toString()).toBe('chunk-0;chunk-1;');
      expect(connections).toBe(1);
    });
  });

  test('GIVEN an answer with Connection: close, or a Keep-Alive timeout of 1 s THEN the next request opens a new connection', async () => {
    await withClient(1, async (client) => {
      expect((await client.request('GET', '/close', 1000)).body.toString()).toBe('bye');
      expect((await client.request('GET', '/hint', 1000)).body.toString()).toBe('hint');
      // timeout=1 less Node's one second of margin: not reused
      expect((await client.request('GET', '/after/0', 1000)).status).toBe(200);
      expect(connections).toBe(3);
    });
  });

  test('GIVEN keepAlive false THEN every request has its own connection, sent with Connection: close', async () => {
    const client = new LoopbackClient(port, 1, false);
    const seen: string[] = [];
    server.once('request', (req: http.IncomingMessage) => seen.push(String(req.headers.connection)));
    await client.request('GET', '/after/0', 1000);
    await client.request('GET', '/after/0', 1000);
    expect(seen).toEqual(['close']);
    expect(connections).toBe(2);
  });

  test('GIVEN the server closes an idle connection THEN the next request goes over a new one and succeeds', async () => {
    await withClient(1, async (client) => {
      await client.request('GET', '/after/0', 1000);
      open.forEach((s) => s.end());
      await new Promise((r) => setTimeout(r, 100));
      const answer = await client.request('GET', '/after/0', 1000);
      expect(answer.body.toString()).toBe('ok');
      expect(connections).toBe(2);
    });
  });

  test('GIVEN destroy() while a request is in flight and one waits THEN both fail as connection failures, the waiting one unsent, and the client still works after', async () => {
    const client = new LoopbackClient(port, 1);
    const pending = client.request('GET', '/never', 5000);
    const waiting = client.request('GET', '/after/0', 5000);
    await new Promise((r) => setTimeout(r, 50));
    client.destroy();
    await expect(pending).rejects.toMatchObject({ kind: 'connection' });
    await expect(waiting).rejects.toMatchObject({ kind: 'connection', message: 'the client was closed' });
    await new Promise((r) => setTimeout(r, 50));
    expect(requests).toEqual(['GET /never']);
    expect((await client.request('GET', '/after/0', 1000)).body.toString()).toBe('ok');
    client.destroy();
  });
});

describe('LoopbackClient with servers that are not Node', () => {
  test('GIVEN an HTTP/1.0 answer without a length THEN the body runs to the close', async () => {
    await withRawServer((s) => { s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'); }, async (client, raw) => {
      const answer = await client.request('GET', '/', 1000);
      expect(answer).toMatchObject({ status: 200, headers: { 'content-type': 'text/plain' } });
      expect(answer.body.toString()).toBe('until the end');
      expect((await client.request('GET', '/', 1000)).body.toString()).toBe('until the end');
      expect(raw.connections()).toBe(2);
    });
  });

  test('GIVEN the server closes the connection without answering THEN a connection failure that says so', async () => {
    await withRawServer((s) => { s.end(); }, async (client) => {
      await expect(client.request('GET', '/', 1000)).rejects.toMatchObject({
        kind: 'connection', message: 'the container closed the connection before it answered',
      });
    });
  });

  test('GIVEN a 100 Continue before the answer THEN the answer', async () => {
    await withRawServer((s) => { s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone'); }, async (client) => {
      expect((await client.request('POST', '/', 1000, Buffer.from('x'))).body.toString()).toBe('done');
    });
  });

  test('GIVEN bytes that are not HTTP THEN a connection failure that says so', async () => {
    await withRawServer((s) => { s.write('SSH-2.0-OpenSSH\r\n\r\n'); }, async (client) => {
      await expect(client.request('GET', '/', 1000)).rejects.toMatchObject({
        kind: 'connection', message: expect.stringMatching(/answer is not HTTP\/1.x: the answer does not start with an HTTP\/1.0 or HTTP\/1.1 status line: "SSH-2.0-OpenSSH"/),
      });
    });
  });

  test('GIVEN the server resets the connection inside the body THEN a connection failure, not a short body', async () => {
    await withRawServer((s) => { s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this', () => s.destroy()); }, async (client) => {
      await expect(client.request('GET', '/', 1000)).rejects.toMatchObject({
        kind: 'connection', message: 'the container closed the connection in the middle of its answer',
      });
    });
  });

  test('GIVEN an answer before the body was read (413) THEN the connection is not reused for the next request', async () => {
    await withRawServer((s, data, connection) => {
      if (data.startsWith('POST')) s.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n\r\nbig');
      else if (data.startsWith('GET')) s.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${connection}`);
      s.pause(); // reads no more: the rest of the body stays unsent
    }, async (client) => {
      const answer = await client.request('POST', '/', 5000, Buffer.alloc(64 * 1024 * 1024));
      expect(answer.status).toBe(413);
      const next = await client.request('GET', '/', 5000);
      expect(next.body.toString()).toBe('2');
    });
  });

  test('GIVEN a header value with a line break THEN a TypeError naming the header, and nothing is sent', async () => {
    const client = new LoopbackClient(port, 1);
    await expect(client.request('POST', '/echo', 1000, Buffer.from('x'), { 'X-Amzn-SageMaker-Custom-Attributes': 'a\r\nInjected: yes' }))
      .rejects.toThrow(/Invalid value for HTTP header 'X-Amzn-SageMaker-Custom-Attributes': "a\\r\\nInjected: yes" holds a control character/);
    await expect(client.request('GET', '/after/0', 1000, undefined, { 'Bad Name': 'x' })).rejects.toThrow(/Invalid HTTP header name "Bad Name"/);
    expect(connections).toBe(0);
    expect(requests).toEqual([]);
  });
});
