/**
 * Batch transform throughput: the local runner (`runTransformJob`) against
 * the same serving container (fixture image, `FIXTURE_MODE=echo`) driven
 * directly by a plain Node HTTP client at the same concurrency, for
 * SingleRecord and MultiRecord, on the same input file (CSV lines,
 * SplitType Line, AssembleWith Line). Targets: runner >= 0.95x direct for
 * SingleRecord, >= 0.9x for MultiRecord.
 *
 *   ts-node --transpile-only --project test/tsconfig.json bench/local-transform.ts [records] [concurrency] [rounds]
 *
 * Each case runs `rounds` times (default 7) per side, alternating which
 * side goes first; the table shows the MEDIAN of each side (the same
 * statistic for both) and, for reference, each side's best round. The
 * machine is shared, so single runs are noisy.
 *
 * Both sides start their container BEFORE their timer and stop it AFTER it:
 * container start-up and shutdown are not measured on either side.
 *
 * Inside the RUNNER's timer (from `result.startTime`, set once the container
 * answered /ping, to the job's last progress event, which the engine emits
 * once every `.out` file is written and closed, before the container is
 * stopped): everything `runTransformJob` does for the job: GET
 * /execution-parameters, reading the input file in chunks, splitting it into
 * records, packing payloads (MultiRecord: at most MaxPayloadInMB), POSTing
 * them with MaxConcurrentTransforms requests in flight, reading the answers,
 * assembling them (AssembleWith Line) and writing the `.out` file in input
 * order.
 *
 * Inside the DIRECT client's timer: what any real client of the container
 * has to do with the same input file: read it from disk (`readFile`), cut it
 * into payloads (SingleRecord: one non-empty line each; MultiRecord: the
 * longest run of whole lines of at most MaxPayloadInMB, cut at the last
 * `\n` that fits), POST them with the same number of requests in flight over
 * a keep-alive `http.Agent`, read every answer, and write the answers in
 * input order to an output file (adding a `\n` after an answer that does not
 * end with one, as AssembleWith Line does). Nothing is pre-split or
 * pre-packed before the timer starts. It does not count records (it does
 * not need to): its records/s use the known record count of the file.
 *
 * After timing, the two output files are compared byte for byte (a
 * mismatch fails the benchmark), so both sides did the same work.
 *
 * Where the container runs: by default both sides' containers are pinned
 * to the last CPU, so that the threaded Python fixture's own cost per
 * request does not depend on the client (see bench/serving-cpus.ts,
 * BENCH_SERVER_CPUS).
 *
 *   BENCH_BUSY=N            N busy-looping processes run throughout (a loaded machine)
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { describeServerCpus, benchDocker } from './serving-cpus';
import { cleanupRegistry } from '../src/local/private/docker';
import { ServingContainer } from '../src/local/private/serving/serving-container';
import { runTransformJob } from '../src/local/private/transform/runner';

const IMAGE = 'byoa-test-serving:latest';
/** The Docker CLI of every call of the benchmark (`$CDK_DOCKER`, else `docker`), pinning as set. */
const docker = benchDocker();
const FIXTURE_DIR = path.join(__dirname, '..', 'test', 'local', 'fixtures', 'serving');
const ENV = { FIXTURE_MODE: 'echo', FIXTURE_BIND_HOST: '127.0.0.1' };
const MB = 1024 * 1024;
const LF = 0x0a;
const NEWLINE = Buffer.from('\n');

interface Case {
  readonly name: string;
  readonly strategy: 'SingleRecord' | 'MultiRecord';
  readonly records: number;
  readonly maxPayloadInMB: number;
}

interface Measure {
  readonly recordsPerSecond: number;
  readonly seconds: number;
  readonly output: string;
}

async function main(): Promise<void> {
  const singleRecords = Number(process.argv[2] ?? 20000);
  const concurrency = Number(process.argv[3] ?? 4);
  const rounds = Number(process.argv[4] ?? 7);
  await docker.engine();
  const busy = startBusyNeighbours(Number(process.env.BENCH_BUSY ?? 0));
  console.log(`serving container: ${describeServerCpus()}; busy neighbours: ${busy.length}`);
  await docker.run(['build', '--network', 'host', '-q', '-t', IMAGE, FIXTURE_DIR]);
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

      const runnerRounds: Measure[] = [];
      const directRounds: Measure[] = [];
      for (let round = 0; round < rounds; round++) {
        const runRunner = async () => { runnerRounds.push(await measureRunner(c, input, path.join(root, `work-${round}`), concurrency)); };
        const runDirect = async () => { directRounds.push(await measureDirect(c, input, path.join(root, `${c.strategy}-direct-${round}.out`), concurrency)); };
        if (round % 2 === 0) { await runRunner(); await runDirect(); } else { await runDirect(); await runRunner(); }
        const runnerOut = runnerRounds[runnerRounds.length - 1].output;
        const directOut = directRounds[directRounds.length - 1].output;
        if (!fs.readFileSync(runnerOut).equals(fs.readFileSync(directOut))) {
          throw new Error(`${c.name}: the runner's and the direct client's outputs differ`);
        }
        fs.rmSync(path.join(root, `work-${round}`), { recursive: true, force: true });
        fs.rmSync(directOut, { force: true });
      }
      const runner = median(runnerRounds);
      const direct = median(directRounds);
      const best = (ms: Measure[]) => Math.max(...ms.map((m) => m.recordsPerSecond)).toFixed(0);
      rows.push([
        c.name, String(c.records), String(concurrency),
        runner.recordsPerSecond.toFixed(0), `${(runner.seconds * 1000).toFixed(0)} ms`, best(runnerRounds),
        direct.recordsPerSecond.toFixed(0), `${(direct.seconds * 1000).toFixed(0)} ms`, best(directRounds),
        (runner.recordsPerSecond / direct.recordsPerSecond).toFixed(2),
      ]);
    }
    console.log(`${rounds} rounds per side: medians; "(best)": that side's best round`);
    const header = ['strategy', 'records', 'concurrency', 'runner rec/s', 'runner time', '(best)', 'direct rec/s', 'direct time', '(best)', 'ratio'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((v, i) => v.padStart(widths[i])).join('  ');
    console.log(fmt(header));
    rows.forEach((r) => console.log(fmt(r)));
    console.log('target: ratio (runner rec/s / direct rec/s) >= 0.95 for SingleRecord, >= 0.90 for MultiRecord');
  } finally {
    busy.forEach((b) => b.kill());
    await cleanupRegistry.cleanup();
  }
}

/** `count` processes that spin until killed: a loaded machine. */
function startBusyNeighbours(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

/** The round with the median records/s (the lower middle one for an even count). */
function median(measures: Measure[]): Measure {
  const sorted = [...measures].sort((a, b) => a.recordsPerSecond - b.recordsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function measureRunner(c: Case, input: string, workDir: string, concurrency: number): Promise<Measure> {
  let finishedAt = 0;
  const result = await runTransformJob({
    docker,
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
    region: 'eu-west-1',
    account: '123456789012',
    assemblyDir: path.dirname(input),
    workDir,
    stopGraceSeconds: 2,
    onProgress: (p) => { if (p.finished) finishedAt = Date.now(); },
  });
  if (result.status !== 'Completed' || result.records !== c.records || !finishedAt) {
    throw new Error(`runner job ${result.status}: ${result.failureReason ?? `${result.records} records`}`);
  }
  const seconds = (finishedAt - result.startTime.getTime()) / 1000;
  return { recordsPerSecond: result.records / seconds, seconds, output: result.files[0].output! };
}

/** A plain keep-alive HTTP client: read the file, cut payloads, POST them, write the answers in order. */
async function measureDirect(c: Case, input: string, output: string, concurrency: number): Promise<Measure> {
  const serving = await ServingContainer.start({
    docker, image: IMAGE, environment: { ...ENV, SAGEMAKER_BATCH: 'true' }, namePrefix: 'byoa-bench-direct', startupTimeoutMs: 30_000, stopGraceSeconds: 2,
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (body: Buffer) => new Promise<Buffer>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: serving.port, method: 'POST', path: '/invocations', agent,
      headers: { 'Content-Type': 'text/csv', 'Content-Length': body.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  try {
    const t0 = Date.now();
    // Read and cut.
    const data = await fs.promises.readFile(input);
    const payloads: Buffer[] = [];
    if (c.strategy === 'SingleRecord') {
      let start = 0;
      while (start < data.length) {
        let end = data.indexOf(LF, start);
        if (end < 0) end = data.length;
        if (end > start) payloads.push(data.subarray(start, end));
        start = end + 1;
      }
    } else {
      const max = c.maxPayloadInMB * MB;
      let start = 0;
      while (start < data.length) {
        const end = data.length - start <= max ? data.length : data.lastIndexOf(LF, start + max - 1) + 1;
        if (end <= start) throw new Error(`a record at byte ${start} is larger than ${max} bytes`);
        payloads.push(data.subarray(start, end));
        start = end;
      }
    }
    // Send with `concurrency` requests in flight.
    const answers: Buffer[] = new Array(payloads.length);
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < payloads.length) {
        const i = next++;
        answers[i] = await post(payloads[i]);
      }
    }));
    // Write in input order.
    const parts: Buffer[] = [];
    for (const a of answers) {
      parts.push(a);
      if (a.length === 0 || a[a.length - 1] !== LF) parts.push(NEWLINE);
    }
    const file = await fs.promises.open(output, 'w');
    await file.writev(parts);
    await file.close();
    const seconds = (Date.now() - t0) / 1000;
    return { recordsPerSecond: c.records / seconds, seconds, output };
  } finally {
    agent.destroy();
    await serving.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
