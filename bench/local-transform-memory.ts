/**
 * Peak memory of a MultiRecord batch transform against the size of its
 * input: the same job (CSV lines, SplitType Line, AssembleWith Line,
 * MaxPayloadInMB 6, MaxConcurrentTransforms 4) on the echo serving fixture,
 * on inputs of 10 MB (the baseline), 100 MB and 1 GB. Each job runs in a
 * fresh Node process (ts-node, like the other benchmarks), which prints its
 * peak resident set size (`process.resourceUsage().maxRSS`) when the job is
 * over; the table gives each size's peak and its ratio to the 10 MB one.
 * Target: at most 1.2x at 1 GB, so that what the runner keeps queued
 * (payloads in flight, answers waiting to be written) does not grow with
 * the input.
 *
 *   ts-node --transpile-only --project test/tsconfig.json bench/local-transform-memory.ts [ROUNDS]
 *
 * Each size runs ROUNDS times (default 3), the sizes taking turns; the
 * table shows the medians. The inputs are generated once, in a temp folder
 * removed at the end. The 10 MB input makes only two payloads, so it never
 * has the four requests in flight that the larger ones have: the ratio to
 * 100 MB shows whether memory still grows once the pipeline is full.
 * With BENCH_MEMORY_DETAIL=1 each job also prints the peaks of
 * `process.memoryUsage()` (heap, external, array buffers) to stderr.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DockerCli } from '../src/local/private/docker';
import { runTransformJob } from '../src/local/private/transform/runner';

const IMAGE = 'byoa-test-serving:latest';
const FIXTURE_DIR = path.join(__dirname, '..', 'test', 'local', 'fixtures', 'serving');
const MB = 1024 * 1024;
const SIZES_MB = [10, 100, 1024];

/** In the child: run the job on `input`, then print `<records> <maxRSS KiB> <seconds>`. */
async function child(input: string, workDir: string): Promise<void> {
  const started = Date.now();
  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sampler = process.env.BENCH_MEMORY_DETAIL ? setInterval(() => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k]);
  }, 20) : undefined;
  const result = await runTransformJob({
    docker: DockerCli.fromEnvironment(),
    request: {
      TransformJobName: 'bench-memory',
      ModelName: 'bench',
      BatchStrategy: 'MultiRecord',
      MaxConcurrentTransforms: 4,
      MaxPayloadInMB: 6,
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `file://${input}` } }, SplitType: 'Line', ContentType: 'text/csv' },
      TransformOutput: { S3OutputPath: 's3://unused/out', AssembleWith: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    },
    model: { ModelName: 'bench', PrimaryContainer: { Image: IMAGE, Environment: { FIXTURE_MODE: 'echo', FIXTURE_BIND_HOST: '127.0.0.1' } } },
    image: IMAGE,
    region: 'eu-west-1',
    account: '123456789012',
    assemblyDir: path.dirname(input),
    workDir,
    stopGraceSeconds: 1,
  });
  if (sampler) {
    clearInterval(sampler);
    console.error(`detail (MiB): ${Object.entries(peak).map(([k, v]) => `${k} ${(v / MB).toFixed(0)}`).join(', ')}`);
  }
  if (result.status !== 'Completed') throw new Error(`the job ${result.status}: ${result.failureReason}`);
  const outBytes = fs.statSync(result.files[0].output!).size;
  if (outBytes !== fs.statSync(input).size) throw new Error(`the output has ${outBytes} bytes, the input ${fs.statSync(input).size}`);
  console.log(`${result.records} ${process.resourceUsage().maxRSS} ${((Date.now() - started) / 1000).toFixed(1)}`);
}

/** Writes CSV lines (about 50 bytes each) up to `megabytes`. */
function writeInput(file: string, megabytes: number): void {
  const fd = fs.openSync(file, 'w');
  const target = megabytes * MB;
  let written = 0;
  let i = 0;
  while (written < target) {
    const lines: string[] = [];
    for (let k = 0; k < 20000; k++, i++) lines.push(`${i},5.1,3.5,1.4,0.2,setosa-record-${i % 97}`);
    const chunk = Buffer.from(lines.join('\n') + '\n');
    fs.writeSync(fd, chunk);
    written += chunk.length;
  }
  fs.closeSync(fd);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const docker = DockerCli.fromEnvironment();
  await docker.engine();
  await docker.run(['build', '--network', 'host', '-q', '-t', IMAGE, FIXTURE_DIR]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-bench-memory-'));
  try {
    const inputs = SIZES_MB.map((mb) => {
      const file = path.join(root, `${mb}mb`, 'input.csv');
      fs.mkdirSync(path.dirname(file));
      writeInput(file, mb);
      return file;
    });
    const peaks: number[][] = SIZES_MB.map(() => []);
    const seconds: number[][] = SIZES_MB.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < SIZES_MB.length; k++) {
        const i = (k + round) % SIZES_MB.length;
        const workDir = path.join(root, `work-${i}-${round}`);
        const res = spawnSync(process.execPath, [
          require.resolve('ts-node/dist/bin.js'), '--transpile-only', '--project', path.join(__dirname, '..', 'test', 'tsconfig.json'),
          __filename, '--child', inputs[i], workDir,
        ], { encoding: 'utf8' });
        const line = res.stdout.trim().split('\n').pop() ?? '';
        const m = /^(\d+) (\d+) ([\d.]+)$/.exec(line);
        if (res.status !== 0 || !m) throw new Error(`the ${SIZES_MB[i]} MB job failed (exit ${res.status}): ${res.stderr || res.stdout}`);
        peaks[i].push(Number(m[2]) / 1024);
        seconds[i].push(Number(m[3]));
        console.log(`  ${String(SIZES_MB[i]).padStart(4)} MB, round ${round + 1}/${rounds}: ${m[1]} records, peak RSS ${(Number(m[2]) / 1024).toFixed(0)} MiB, ${m[3]} s`);
        const detail = res.stderr.split('\n').find((l) => l.startsWith('detail'));
        if (detail) console.log(`        ${detail}`);
        fs.rmSync(workDir, { recursive: true, force: true });
      }
    }
    const base = median(peaks[0]);
    console.log(`\nMultiRecord, MaxPayloadInMB 6, concurrency 4: peak RSS of the runner's process (median of ${rounds})`);
    console.log('input      peak RSS   ratio to 10 MB   ratio to 100 MB   job time');
    const full = median(peaks[1]);
    SIZES_MB.forEach((mb, i) => {
      const peak = median(peaks[i]);
      console.log(`${`${mb} MB`.padEnd(9)}  ${`${peak.toFixed(0)} MiB`.padStart(8)}   ${(peak / base).toFixed(2).padStart(14)}   `
        + `${(peak / full).toFixed(2).padStart(15)}   ${median(seconds[i]).toFixed(1).padStart(6)} s`);
    });
    console.log('target: at most 1.2x at 1 GB');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
