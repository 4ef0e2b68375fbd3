import * as http from 'http';
import { AddressInfo } from 'net';
import { HttpFailure, keepAliveAgent, loopbackRequest } from '../../../../src/local/private/serving/loopback-http';

/** A loopback server: `/never` never answers, `/after/<ms>` answers after ms. */
let server: http.Server;
let port: number;
const open = new Set<import('net').Socket>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const after = /^\/after\/(\d+)$/.exec(req.url ?? '');
    if (after) setTimeout(() => res.end('ok'), Number(after[1]));
  });
  server.on('connection', (s) => { open.add(s); s.on('close', () => open.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  open.forEach((s) => s.destroy());
  await new Promise((resolve) => server.close(resolve));
});

/** Settles to [outcome, ms after start]. */
async function timed(path: string, timeoutMs: number, agent?: http.Agent): Promise<[string, number]> {
  const t0 = Date.now();
  try {
    const answer = await loopbackRequest({ port, method: 'GET', path, timeoutMs, agent });
    return [`${answer.status} ${answer.body.toString()}`, Date.now() - t0];
  } catch (e) {
    return [e instanceof HttpFailure ? `${e.kind}: ${e.message}` : String(e), Date.now() - t0];
  }
}

describe('loopbackRequest deadlines (one shared timer)', () => {
  test('GIVEN requests with different timeouts in flight together WHEN none answers THEN each times out at its own deadline, not earlier, not much later', async () => {
    // WHEN a long timeout starts first, shorter ones after it
    const long = timed('/never', 600);
    await new Promise((r) => setTimeout(r, 50));
    const short = timed('/never', 150);
    const alsoShort = timed('/never', 150);
    const answered = timed('/after/100', 600);
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

  test('GIVEN a keep-alive agent WHEN a request times out THEN its connection is closed and the next request still gets its own full deadline', async () => {
    const agent = keepAliveAgent(1);
    try {
      // WHEN
      const first = await timed('/never', 200, agent);
      const second = await timed('/after/250', 400, agent);
      // THEN the second one was not cut short by the first one's timer
      expect(first[0]).toBe('timeout: no answer within 200 ms');
      expect(second[0]).toBe('200 ok');
      expect(second[1]).toBeGreaterThanOrEqual(249);
    } finally {
      agent.destroy();
    }
  });

  test('GIVEN no server on the port WHEN requested THEN a connection failure, not a timeout', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(loopbackRequest({ port: freePort, method: 'GET', path: '/', timeoutMs: 1000 })).rejects.toMatchObject({ kind: 'connection', code: 'ECONNREFUSED' });
  });
});
