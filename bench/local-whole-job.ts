/**
 * Whole jobs as a user feels them: from typing the command to getting the
 * prompt back, through the real CLI (`node lib/cli/byoa.js`, compiled by
 * `npx projen compile`), beside a plain `docker run` of the same work, on
 * the serving fixture (test/local/fixtures/serving: Python's http.server)
 * in two variants: one that exits on SIGTERM, and one that ignores it (as
 * any server running as PID 1 without a handler does).
 *
 *   npx ts-node bench/local-whole-job.ts [ROUNDS]
 *
 * Rows (each side's median over ROUNDS rounds, the sides alternating):
 * - train: `byoa local train` / `docker run --rm IMAGE train` with the
 *   hyperparameters mounted;
 * - transform (1000 CSV rows, MultiRecord): `byoa local transform` /
 *   `docker run -d IMAGE serve`, GET /ping until 200, POST the file, write
 *   the answer, `docker rm -f` (the floor: no grace at all);
 * - serve, to healthy: `byoa local serve` until it prints the URL /
 *   `docker run -d` until GET /ping answers 200;
 * - serve, to stop: SIGINT to the CLI until it exits / `docker stop -t 30`
 *   (the endpoint's grace) and `docker rm`.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { FIXTURES, lineTransformRequest, makeAssembly, trainingRequest } from '../test/local/local-test-helpers';

const ROUNDS = Number(process.argv[2] ?? 3);
const REPO = path.join(__dirname, '..');
const CLI = path.join(REPO, 'lib', 'cli', 'byoa.js');
const DOCKER = process.env.CDK_DOCKER || 'docker';
const SERVING_DIR = path.join(FIXTURES, 'serving');
const SERVING_ASSET = `asset.${createHash('sha256').update(fs.readdirSync(SERVING_DIR).sort()
  .map((f) => f + fs.readFileSync(path.join(SERVING_DIR, f), 'utf8')).join('\0')).digest('hex')}`;
const ROWS = 1000;
const STOP_GRACE = 30;

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function docker(args: string[]): string {
  const r = spawnSync(DOCKER, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${DOCKER} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function request(method: string, url: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { 'Content-Type': 'text/csv' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function untilHealthy(url: string): Promise<void> {
  for (;;) {
    const ok = await request('GET', `${url}/ping`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await sleep(50);
  }
}

interface Variant {
  readonly name: string;
  readonly env: { [key: string]: string };
}
const VARIANTS: Variant[] = [
  { name: 'handles SIGTERM', env: {} },
  { name: 'ignores SIGTERM', env: { FIXTURE_IGNORE_SIGTERM: '1' } },
];

/** A cloud assembly whose pipeline trains, transforms and serves with the serving fixture. */
function assembly(variant: Variant, root: string): { dir: string; dispose: () => void } {
  const env = { FIXTURE_BIND_HOST: '127.0.0.1', FIXTURE_MODE: 'echo', ...variant.env };
  const transform = lineTransformRequest({ TransformJobName: 'bench-transform', ModelName: 'bench-model', MaxPayloadInMB: 6 });
  const a = makeAssembly(trainingRequest('ignored', { Environment: variant.env }), {
    image: { kind: 'asset', directory: SERVING_ASSET },
    model: { ModelName: 'bench-model', PrimaryContainer: { Image: 'ignored', Environment: env } },
    transform,
    endpointConfig: {
      EndpointConfigName: 'bench-endpoint-config',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'bench-model', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    },
    endpointName: 'bench-endpoint',
  });
  fs.cpSync(SERVING_DIR, path.join(a.dir, SERVING_ASSET), { recursive: true });
  fs.mkdirSync(path.join(a.dir, 'asset.transform-input'));
  fs.copyFileSync(path.join(root, 'in.csv'), path.join(a.dir, 'asset.transform-input', 'in.csv'));
  return a;
}

/** Runs the CLI to its end; resolves with its wall time in ms (throws unless it exits 0). */
function cli(args: string[], onStdout?: (text: string, child: ChildProcess, t0: number) => void): Promise<{ ms: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; onStdout?.(stdout, child, t0); });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => {
      const ms = now() - t0;
      if (code !== 0) reject(new Error(`byoa ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`));
      else resolve({ ms, stdout, stderr });
    });
  });
}

/** Alternates `a` and `b` ROUNDS times (after one warm-up of each); each resolves with named figures in ms. */
async function alternate(a: () => Promise<{ [k: string]: number }>, b: () => Promise<{ [k: string]: number }>) {
  await a();
  await b();
  const as: { [k: string]: number }[] = [];
  const bs: { [k: string]: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    as.push(await a());
    bs.push(await b());
  }
  const med = (rows: { [k: string]: number }[], k: string) => median(rows.map((r) => r[k]));
  return { a: (k: string) => med(as, k), b: (k: string) => med(bs, k) };
}

interface Row { what: string; variant: string; byoa: number; plain: number }

async function benchVariant(variant: Variant, root: string, model: string, image: string | undefined, rows: Row[]): Promise<string> {
  const a = assembly(variant, root);
  const work = fs.mkdtempSync(path.join(root, 'work-'));
  const common = ['TestStack/Pipe', '--app', a.dir, '--workdir', work];
  const envArgs = (env: { [k: string]: string }) => Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const modelEnv = { FIXTURE_BIND_HOST: '127.0.0.1', FIXTURE_MODE: 'echo', ...variant.env };
  try {
    // The image: built by the first CLI run.
    if (!image) {
      const first = await cli(['local', 'train', ...common]);
      image = /with (\S+)/.exec(first.stderr)?.[1];
      if (!image) throw new Error(`no image in the CLI's output:\n${first.stderr}`);
    }
    const img = image;

    // train
    const cfg = path.join(root, 'config');
    fs.mkdirSync(cfg, { recursive: true });
    fs.writeFileSync(path.join(cfg, 'hyperparameters.json'), JSON.stringify({ 'learning-rate': '0.1', 'epochs': '3' }));
    const train = await alternate(
      async () => ({ ms: (await cli(['local', 'train', ...common])).ms }),
      async () => {
        const out = fs.mkdtempSync(path.join(root, 'plain-model-'));
        const t0 = now();
        docker(['run', '--rm', '--network', 'none', ...envArgs(variant.env), '-v', `${cfg}:/opt/ml/input/config:ro`, '-v', `${out}:/opt/ml/model`, img, 'train']);
        const ms = now() - t0;
        fs.rmSync(out, { recursive: true, force: true });
        return { ms };
      },
    );
    rows.push({ what: 'train', variant: variant.name, byoa: train.a('ms'), plain: train.b('ms') });

    // transform
    const input = fs.readFileSync(path.join(root, 'in.csv'));
    const transform = await alternate(
      async () => ({ ms: (await cli(['local', 'transform', ...common, '--model', model])).ms }),
      async () => {
        const name = `byoa-bench-plain-${process.pid}`;
        const t0 = now();
        docker(['run', '-d', '--name', name, '--network', 'host', ...envArgs({ ...modelEnv, SAGEMAKER_BATCH: 'true' }), img, 'serve']);
        await untilHealthy('http://127.0.0.1:8080');
        const answer = await request('POST', 'http://127.0.0.1:8080/invocations', input);
        fs.writeFileSync(path.join(root, 'plain.out'), answer.body);
        docker(['rm', '-f', name]);
        return { ms: now() - t0 };
      },
    );
    rows.push({ what: `transform, ${ROWS} rows MultiRecord (command to prompt)`, variant: variant.name, byoa: transform.a('ms'), plain: transform.b('ms') });

    // serve
    const serve = await alternate(
      async () => {
        let healthy = 0;
        let interrupted = 0;
        const res = await cli(['local', 'serve', ...common, '--model', model], (text, child, t0) => {
          if (!healthy && /Serving bench-endpoint until Ctrl-C/.test(text)) {
            healthy = now() - t0;
            interrupted = now();
            child.kill('SIGINT');
          }
        });
        return { healthy, stop: now() - interrupted, total: res.ms };
      },
      async () => {
        const name = `byoa-bench-plain-${process.pid}`;
        const t0 = now();
        docker(['run', '-d', '--name', name, '--network', 'host', ...envArgs(modelEnv), img, 'serve']);
        await untilHealthy('http://127.0.0.1:8080');
        const healthy = now() - t0;
        const t1 = now();
        docker(['stop', '-t', String(STOP_GRACE), name]);
        docker(['rm', name]);
        return { healthy, stop: now() - t1 };
      },
    );
    rows.push({ what: 'serve: command to healthy', variant: variant.name, byoa: serve.a('healthy'), plain: serve.b('healthy') });
    rows.push({ what: `serve: Ctrl-C to prompt (plain: docker stop -t ${STOP_GRACE})`, variant: variant.name, byoa: serve.a('stop'), plain: serve.b('stop') });
    return img;
  } finally {
    a.dispose();
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npx projen compile' first.`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-bench-whole-'));
  try {
    fs.writeFileSync(path.join(root, 'in.csv'), Array.from({ length: ROWS }, (_, i) => `${i},${(i * 0.37).toFixed(2)},${(i % 7) + 0.5}`).join('\n') + '\n');
    const src = path.join(root, 'model-src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'model.txt'), 'bench');
    const model = path.join(root, 'model.tar.gz');
    spawnSync('tar', ['-czf', model, '-C', src, 'model.txt']);
    const rows: Row[] = [];
    let image: string | undefined;
    for (const variant of VARIANTS) image = await benchVariant(variant, root, model, image, rows);
    console.log(`${ROUNDS} rounds per side, medians, the sides alternating; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`${'what'.padEnd(58)} ${'container'.padEnd(16)} ${'byoa CLI'.padStart(10)} ${'plain docker'.padStart(13)} ${'difference'.padStart(11)}`);
    for (const r of rows) {
      console.log(`${r.what.padEnd(58)} ${r.variant.padEnd(16)} ${(r.byoa / 1000).toFixed(2).padStart(8)} s ${(r.plain / 1000).toFixed(2).padStart(11)} s ${((r.byoa - r.plain) / 1000).toFixed(2).padStart(9)} s`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
