/**
 * Local mode's HTTP client (`LoopbackClient`) against Node's `http.request`
 * with a keep-alive `http.Agent`, on the same serving container (the echo
 * fixture): `requests` small POSTs to /invocations, `concurrency` in flight,
 * each answer checked to be its request's body. Per side, the median round
 * of: requests/s, the client's CPU per request (`process.cpuUsage()`), and
 * the container's CPU per request (utime + stime of its process, from
 * `/proc/<pid>/stat`).
 *
 *   ts-node --transpile-only --project test/tsconfig.json bench/loopback-client.ts [requests] [concurrency] [rounds]
 *
 * The container is pinned to one CPU unless BENCH_SERVER_CPUS=all (see
 * bench/serving-cpus.ts); run both ways to see why the transform benchmark
 * pins it: unpinned, the threaded Python fixture spends more CPU per request
 * when the client is faster.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { benchDocker, describeServerCpus } from './serving-cpus';
import { ServingContainer } from '../src/local/private/serving/serving-container';
import { LoopbackClient } from '../src/local/private/serving/loopback-http';

const IMAGE = 'byoa-test-serving:latest';
const FIXTURE_DIR = path.join(__dirname, '..', 'test', 'local', 'fixtures', 'serving');
const docker = benchDocker();

type Post = (body: Buffer) => Promise<Buffer>;

interface Round {
  readonly perSecond: number;
  readonly clientMicros: number;
  readonly containerMicros: number;
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 20000);
  const concurrency = Number(process.argv[3] ?? 4);
  const rounds = Number(process.argv[4] ?? 5);
  await docker.engine();
  await docker.run(['build', '--network', 'host', '-q', '-t', IMAGE, FIXTURE_DIR]);
  const serving = await ServingContainer.start({
    docker, image: IMAGE, environment: { FIXTURE_MODE: 'echo', FIXTURE_BIND_HOST: '127.0.0.1' }, namePrefix: 'byoa-bench-client', startupTimeoutMs: 30_000, stopGraceSeconds: 1,
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const client = new LoopbackClient(serving.port, concurrency);
  try {
    const pid = (await docker.run(['inspect', '-f', '{{.State.Pid}}', serving.name])).stdout.trim();
    const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const containerCpuMicros = () => {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
    };
    const viaAgent: Post = (body) => new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: serving.port, method: 'POST', path: '/invocations', agent, headers: { 'Content-Type': 'text/csv', 'Content-Length': body.length },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      });
      req.on('error', reject);
      req.end(body);
    });
    const viaClient: Post = (body) => client.request('POST', '/invocations', 60_000, body, { 'Content-Type': 'text/csv' }).then((a) => a.body);

    const measure = async (post: Post): Promise<Round> => {
      let next = 0;
      const container0 = containerCpuMicros();
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const body = Buffer.from(`${next++},5.1,3.5,1.4,0.2,setosa`);
          const answer = await post(body);
          if (!answer.equals(body)) throw new Error(`the answer ${JSON.stringify(answer.toString())} is not the request ${JSON.stringify(body.toString())}`);
        }
      }));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      return {
        perSecond: requests / seconds,
        clientMicros: (cpu.user + cpu.system) / requests,
        containerMicros: (containerCpuMicros() - container0) / requests,
      };
    };

    const sides: Array<[string, Post, Round[]]> = [['http.Agent', viaAgent, []], ['LoopbackClient', viaClient, []]];
    await measure(viaAgent); // warm-up of both
    await measure(viaClient);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const [, post, results] of order) results.push(await measure(post));
    }
    console.log(`${requests} requests per round, ${concurrency} in flight, container ${describeServerCpus()}; medians of ${rounds} rounds`);
    console.log(`${'client'.padEnd(16)}${'requests/s'.padStart(12)}${'client CPU/request'.padStart(20)}${'container CPU/request'.padStart(23)}`);
    for (const [name, , results] of sides) {
      const median = (pick: (r: Round) => number) => [...results.map(pick)].sort((a, b) => a - b)[Math.floor((results.length - 1) / 2)];
      console.log(`${name.padEnd(16)}${median((r) => r.perSecond).toFixed(0).padStart(12)}`
        + `${`${median((r) => r.clientMicros).toFixed(0)} us`.padStart(20)}${`${median((r) => r.containerMicros).toFixed(0)} us`.padStart(23)}`);
    }
  } finally {
    agent.destroy();
    client.destroy();
    await serving.stop(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
