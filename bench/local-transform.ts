/**
 * Batch transform throughput: the local runner (`runTransformJob`) against
 * the same serving container driven directly by a plain Node HTTP client
 * (keep-alive agent) at the same concurrency, for SingleRecord and
 * MultiRecord. Target: runner >= 0.9x direct.
 *
 *   ts-node --project tsconfig.dev.json bench/local-transform.ts [records] [concurrency]
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { cleanupRegistry, docker, ensureDockerEngine } from '../src/local/docker';
import { ServingContainer } from '../src/local/hosting-container';
import { runTransformJob } from '../src/local/transform/transform-runner';

const IMAGE = 'byoa-test-serving:latest';
const FIXTURE_DIR = path.join(__dirname, '..', 'test', 'local', 'fixtures', 'serving');
const ENV = { FIXTURE_MODE: 'echo', FIXTURE_BIND_HOST: '127.0.0.1' };
const MB = 1024 * 1024;

interface Case {
  readonly name: string;
  readonly strategy: 'SingleRecord' | 'MultiRecord';
  readonly records: number;
  readonly maxPayloadInMB: number;
}

async function main(): Promise<void> {
  const singleRecords = Number(process.argv[2] ?? 20000);
  const concurrency = Number(process.argv[3] ?? 4);
  await ensureDockerEngine();
  await docker(['build', '--network', 'host', '-q', '-t', IMAGE, FIXTURE_DIR]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-bench-'));
  cleanupRegistry.trackDir(root);
  try {
    const cases: Case[] = [
      { name: 'SingleRecord', strategy: 'SingleRecord', records: singleRecords, maxPayloadInMB: 6 },
      { name: 'MultiRecord (1 MB)', strategy: 'MultiRecord', records: singleRecords * 20, maxPayloadInMB: 1 },
    ];
    const rows: string[][] = [];
    for (const c of cases) {
      const input = path.join(root, `${c.strategy}`, 'input.csv');
      fs.mkdirSync(path.dirname(input), { recursive: true });
      const lines = Array.from({ length: c.records }, (_, i) => `${i},5.1,3.5,1.4,0.2,setosa-record-${i % 97}`);
      fs.writeFileSync(input, lines.join('\n') + '\n');

      const runner = await measureRunner(c, input, root, concurrency);
      const direct = await measureDirect(c, lines, concurrency);
      rows.push([c.name, String(c.records), String(concurrency), runner.toFixed(0), direct.toFixed(0), (runner / direct).toFixed(2)]);
    }
    const header = ['strategy', 'records', 'concurrency', 'runner rec/s', 'direct rec/s', 'ratio'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((v, i) => v.padStart(widths[i])).join('  ');
    console.log(fmt(header));
    rows.forEach((r) => console.log(fmt(r)));
    console.log('target: ratio >= 0.90');
  } finally {
    await cleanupRegistry.cleanup();
  }
}

async function measureRunner(c: Case, input: string, root: string, concurrency: number): Promise<number> {
  const result = await runTransformJob({
    request: {
      TransformJobName: 'bench',
      ModelName: 'bench',
      BatchStrategy: c.strategy,
      MaxConcurrentTransforms: concurrency,
      MaxPayloadInMB: c.maxPayloadInMB,
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `file://${input}` } }, SplitType: 'Line', ContentType: 'text/csv' },
      TransformOutput: { S3OutputPath: 's3://unused/out', AssembleWith: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    },
    model: { ModelName: 'bench', PrimaryContainer: { Image: IMAGE, Environment: ENV } },
    image: IMAGE,
    assemblyDir: root,
    workDir: path.join(root, 'work'),
    stopGraceSeconds: 2,
  });
  if (result.status !== 'Completed' || result.records !== c.records) {
    throw new Error(`runner job ${result.status}: ${result.failureReason ?? `${result.records} records`}`);
  }
  return result.records / ((result.endTime.getTime() - result.startTime.getTime()) / 1000);
}

/** The same records, packed the same way, POSTed by a plain keep-alive HTTP client. */
async function measureDirect(c: Case, lines: string[], concurrency: number): Promise<number> {
  const bodies: Buffer[] = [];
  const counts: number[] = [];
  if (c.strategy === 'SingleRecord') {
    for (const l of lines) { bodies.push(Buffer.from(l)); counts.push(1); }
  } else {
    let batch: string[] = [];
    let bytes = 0;
    for (const l of lines) {
      const size = Buffer.byteLength(l) + 1;
      if (bytes + size > c.maxPayloadInMB * MB && batch.length) {
        bodies.push(Buffer.from(batch.join('\n') + '\n')); counts.push(batch.length);
        batch = []; bytes = 0;
      }
      batch.push(l); bytes += size;
    }
    if (batch.length) { bodies.push(Buffer.from(batch.join('\n') + '\n')); counts.push(batch.length); }
  }
  const serving = await ServingContainer.start({
    image: IMAGE, environment: { ...ENV, SAGEMAKER_BATCH: 'true' }, namePrefix: 'byoa-bench-direct', startupTimeoutMs: 30_000, stopGraceSeconds: 2,
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const t0 = Date.now();
    let next = 0;
    const post = (body: Buffer) => new Promise<void>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: serving.port, method: 'POST', path: '/invocations', agent,
        headers: { 'Content-Type': 'text/csv', 'Content-Length': body.length },
      }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) await post(bodies[next++]);
    }));
    const seconds = (Date.now() - t0) / 1000;
    return counts.reduce((a, b) => a + b, 0) / seconds;
  } finally {
    agent.destroy();
    await serving.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
