/**
 * `npm run bench:synth`: `cdk synth` wall time and peak memory for apps with
 * 1, 10 and 50 iris pipelines written with this library, against the same
 * resources written by hand with aws-cdk-lib's stepfunctions-tasks SageMaker
 * tasks (bench/synth-app.js), in the same run, alternating A B A B.
 *
 *   npm run bench:synth [-- --runs 3 --sizes 1,10,50 --mix script|iris]
 *
 * `--mix script` (the default) makes every second pipeline the scikit-learn
 * lab in script mode (one pipeline alone: the lab), on both sides; `--mix iris`
 * is iris custom-image pipelines only.
 *
 * Each run takes every size in turn, the two sides alternating. Figures:
 * median wall seconds and peak RSS (GNU time's %M: the largest process of
 * the command, here the app) per size; the app's main-thread CPU time (on
 * Linux), a steadier view of the same work; per-pipeline cost as the slope
 * between the medians of the first and last size, as the least-squares
 * slope over all samples, and as the ratio within each run (its spread says
 * how far one run's figure can be trusted); the ratio library / hand-written. Targets: synth and
 * per-pipeline cost at most 1.25x the baseline, and growth linear in the
 * pipeline count.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';

const root = path.resolve(__dirname, '..');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, sizes: { type: 'string', default: '1,10,50' }, mix: { type: 'string', default: 'script' } },
});
const mix = values.mix!;
if (!['script', 'iris'].includes(mix)) throw new Error(`--mix ${mix}: allowed: script, iris`);
const runs = Number(values.runs);
const sizes = values.sizes!.split(',').map(Number);
const variants = ['byoa', 'baseline'] as const;
type Variant = typeof variants[number];

/** wall: the whole `cdk synth`, s; appCpu: the app's main thread on a CPU, s (NaN where the OS does not tell). */
interface Sample { wall: number; rssMiB: number; appRssMiB: number; appCpu: number }

function ensureCompiled(): void {
  if (!fs.existsSync(path.join(root, 'lib', 'index.js'))) {
    console.log('lib/ is missing: compiling with jsii first (npx projen compile)...');
    execFileSync('npx', ['projen', 'compile'], { cwd: root, stdio: 'inherit' });
  }
}

function synth(variant: Variant, count: number): Sample {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-bench-synth-'));
  try {
    const cdk = path.join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');
    const result = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, cdk, 'synth', '--quiet', '--no-notices', '--no-version-reporting',
      '--app', `node ${path.join(root, 'bench', 'synth-app.js')} ${variant} ${count} ${mix}`, '--output', out], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_EC2_METADATA_DISABLED: 'true', BENCH_APP_RSS_FILE: path.join(out, 'app-rss'), BENCH_APP_CPU_FILE: path.join(out, 'app-cpu'),
        BENCH_SOURCEDIR: sourceDirForBaseline(),
      },
    });
    const last = result.stderr.trim().split('\n').pop() ?? '';
    const match = last.match(/^([\d.]+) (\d+)$/);
    if (result.status !== 0 || !match) {
      throw new Error(`cdk synth of ${count} ${variant} pipelines failed (exit ${result.status}):\n${result.stderr.slice(-2000)}`);
    }
    const appRssKiB = Number(fs.readFileSync(path.join(out, 'app-rss'), 'utf8'));
    const cpuFile = path.join(out, 'app-cpu');
    const appCpu = fs.existsSync(cpuFile) ? Number(fs.readFileSync(cpuFile, 'utf8')) : NaN;
    return { wall: Number(match[1]), rssMiB: Number(match[2]) / 1024, appRssMiB: appRssKiB / 1024, appCpu };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

let sourceDir: string | undefined;
/** The hand-written side's sourcedir.tar.gz, packed with GNU tar once, before any timed synth. */
function sourceDirForBaseline(): string {
  if (!sourceDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-bench-code-'));
    sourceDir = path.join(dir, 'sourcedir.tar.gz');
    execFileSync('tar', ['-czf', sourceDir, '-C', path.join(root, 'test', 'code', 'fixtures', 'sklearn-code'), '.']);
  }
  return sourceDir;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The least-squares slope of `key` (wall time by default) over the pipeline count, in seconds per pipeline. */
function leastSquaresSlope(bySize: Record<number, Sample[]>, key: 'wall' | 'appCpu' = 'wall'): number {
  const points = Object.entries(bySize).flatMap(([size, samples]) => samples.map(s => [Number(size), s[key]] as const));
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return sxy / sxx;
}

function main(): void {
  if (!fs.existsSync('/usr/bin/time')) {
    throw new Error('GNU time is needed for peak memory: apt-get install time');
  }
  ensureCompiled();
  const results: Record<Variant, Record<number, Sample[]>> = { byoa: {}, baseline: {} };
  // Every run takes all sizes in turn, so that a drift of the machine's speed
  // between the start and the end of the benchmark does not bend the slopes.
  for (let run = 0; run < runs; run++) {
    for (const size of sizes) {
      for (const variant of variants) {
        const sample = synth(variant, size);
        (results[variant][size] ??= []).push(sample);
        console.log(`  ${variant.padEnd(8)} ${String(size).padStart(3)} pipelines, run ${run + 1}/${runs}: ${sample.wall.toFixed(2)} s (app main thread ${sample.appCpu.toFixed(2)} s CPU), peak ${sample.rssMiB.toFixed(0)} MiB (app ${sample.appRssMiB.toFixed(0)} MiB)`);
      }
    }
  }
  const med = (v: Variant, size: number, key: keyof Sample) => median(results[v][size].map(s => s[key]));
  console.log(`\ncdk synth, median of ${runs} runs, ${mix === 'script' ? 'every second pipeline in script mode (the scikit-learn lab)' : 'iris pipelines only'}; load average at the end: ${os.loadavg().map(l => l.toFixed(2)).join(' ')}`);
  console.log('| pipelines | library s | hand-written s | ratio | library app MiB | hand-written app MiB | ratio | peak MiB (with CLI) library / hand-written |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const size of sizes) {
    const [a, b] = [med('byoa', size, 'wall'), med('baseline', size, 'wall')];
    const [ma, mb] = [med('byoa', size, 'appRssMiB'), med('baseline', size, 'appRssMiB')];
    const [pa, pb] = [med('byoa', size, 'rssMiB'), med('baseline', size, 'rssMiB')];
    console.log(`| ${size} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(2)} | ${ma.toFixed(0)} | ${mb.toFixed(0)} | ${(ma / mb).toFixed(2)} | ${pa.toFixed(0)} / ${pb.toFixed(0)} |`);
  }
  if (sizes.length >= 2) {
    const first = sizes[0];
    const last = sizes[sizes.length - 1];
    const slope = (v: Variant, from: number, to: number) => (med(v, to, 'wall') - med(v, from, 'wall')) / (to - from);
    const perA = slope('byoa', first, last);
    const perB = slope('baseline', first, last);
    console.log(`\nper-pipeline cost (${first} -> ${last}, medians): library ${(perA * 1000).toFixed(0)} ms, hand-written ${(perB * 1000).toFixed(0)} ms, ratio ${(perA / perB).toFixed(2)} (target <= 1.25)`);
    const [fitA, fitB] = [leastSquaresSlope(results.byoa), leastSquaresSlope(results.baseline)];
    console.log(`per-pipeline cost (least-squares slope over all ${runs * sizes.length} samples of each side): library ${(fitA * 1000).toFixed(0)} ms, hand-written ${(fitB * 1000).toFixed(0)} ms, ratio ${(fitA / fitB).toFixed(2)}`);
    // The two sides of one run ran one right after the other: their ratio is paired.
    const perRun = Array.from({ length: runs }, (_, run) => {
      const runSlope = (v: Variant) => (results[v][last][run].wall - results[v][first][run].wall) / (last - first);
      return runSlope('byoa') / runSlope('baseline');
    });
    const sorted = [...perRun].sort((x, y) => x - y);
    console.log(`per-pipeline cost ratio of each run (${first} -> ${last}): median ${median(perRun).toFixed(2)}, from ${sorted[0].toFixed(2)} to ${sorted[sorted.length - 1].toFixed(2)} (${sorted.map(r => r.toFixed(2)).join(' ')})`);
    if (!Number.isNaN(med('byoa', first, 'appCpu'))) {
      // The same slopes on the app's main-thread CPU time: not what a user
      // waits for, but the app's own work, much less moved by the machine.
      const cpuSlope = (v: Variant) => (med(v, last, 'appCpu') - med(v, first, 'appCpu')) / (last - first);
      const [cpuA, cpuB] = [cpuSlope('byoa'), cpuSlope('baseline')];
      const [cpuFitA, cpuFitB] = [leastSquaresSlope(results.byoa, 'appCpu'), leastSquaresSlope(results.baseline, 'appCpu')];
      console.log(`app main-thread CPU by size (medians, library / hand-written s): ${sizes.map(size => `${size}: ${med('byoa', size, 'appCpu').toFixed(2)} / ${med('baseline', size, 'appCpu').toFixed(2)} (${(med('byoa', size, 'appCpu') / med('baseline', size, 'appCpu')).toFixed(2)})`).join('; ')}`);
      console.log(`per-pipeline app main-thread CPU (${first} -> ${last}, medians): library ${(cpuA * 1000).toFixed(1)} ms, hand-written ${(cpuB * 1000).toFixed(1)} ms, ratio ${(cpuA / cpuB).toFixed(2)}; least squares: ${(cpuFitA * 1000).toFixed(1)} / ${(cpuFitB * 1000).toFixed(1)} ms, ratio ${(cpuFitA / cpuFitB).toFixed(2)}`);
    }
    const memA = (med('byoa', last, 'appRssMiB') - med('byoa', first, 'appRssMiB')) / (last - first);
    const memB = (med('baseline', last, 'appRssMiB') - med('baseline', first, 'appRssMiB')) / (last - first);
    console.log(`per-pipeline app memory (${first} -> ${last}): library ${memA.toFixed(1)} MiB, hand-written ${memB.toFixed(1)} MiB, ratio ${(memA / memB).toFixed(2)}`);
    if (sizes.length >= 3) {
      const mid = sizes[1];
      const early = slope('byoa', first, mid);
      const late = slope('byoa', mid, last);
      console.log(`linearity: library per-pipeline ${(early * 1000).toFixed(0)} ms (${first} -> ${mid}) vs ${(late * 1000).toFixed(0)} ms (${mid} -> ${last}), ratio ${(late / early).toFixed(2)} (1.0 = linear)`);
      const segment = (from: number, to: number) => {
        const [a, b] = [slope('byoa', from, to), slope('baseline', from, to)];
        return `${from} -> ${to}: library ${(a * 1000).toFixed(0)} ms, hand-written ${(b * 1000).toFixed(0)} ms, ratio ${(a / b).toFixed(2)}`;
      };
      console.log(`per-pipeline cost by segment (medians): ${segment(first, mid)}; ${segment(mid, last)}`);
    }
  }
}

main();
