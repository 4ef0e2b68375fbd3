import { execFileSync, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/byoa';
import { formatProgress, TransformProgressDisplay } from '../../src/cli/transform-progress';
import { ClientFactory, defaultClientFactory } from '../../src/cloud/clients';
import type { TransformProgress } from '../../src/local/local-types';
import { resetSigtermNotes } from '../../src/local/private/docker';
import { modelTempDirs } from '../local/fixtures/serving/fixture';
import { FIXTURES, leftoverContainers, lineTransformRequest, makeAssembly, requireDocker, tarMember, TestAssembly, trainingRequest } from '../local/local-test-helpers';
import { startS3Server } from '../support/s3-server';

const REPO = path.join(__dirname, '..', '..');
const CLI = path.join(REPO, 'src', 'cli', 'byoa.ts');

interface CliRun { code: number | null; signal: string | null; stdout: string; stderr: string }

/** The pids of the CLI processes {@link runCli} started (their containers carry `byoa.pid=<pid>`). */
const cliPids: number[] = [];

/** Runs the CLI as its own process (ts-node), like a user would. */
function runCli(args: string[], options: {
  onStdout?: (text: string, kill: (sig: NodeJS.Signals) => void) => void;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
} = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CLI, ...args], { cwd: REPO, env: { ...process.env, ...options.env } });
    if (child.pid) cliPids.push(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      options.onStdout?.(stdout, (sig) => child.kill(sig));
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * The job folders in a work dir (none when it does not exist): every entry
 * but `image-builds`, which holds the logs of the fixture images' builds when
 * this run of the tests built them.
 */
function jobFolders(workdir: string): string[] {
  return fs.existsSync(workdir) ? fs.readdirSync(workdir).filter((e) => e !== 'image-builds') : [];
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

let work: string;
const assemblies: TestAssembly[] = [];

beforeAll(() => {
  requireDocker();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-test-cli-'));
});

afterAll(() => {
  assemblies.forEach((a) => a.dispose());
  fs.rmSync(work, { recursive: true, force: true });
});

/**
 * Containers of this test process (`main` in process) and of the CLI
 * processes it started that still exist, by their `byoa.pid` label: other
 * sessions may run their own local-mode containers on the same engine.
 */
function ourContainers(): string[] {
  return [process.pid, ...cliPids].flatMap((pid) => leftoverContainers(pid));
}

/** The `/opt/ml/model` temp folders of this process and of the CLI processes it started that still exist. */
function ourModelTempDirs(): string[] {
  return [process.pid, ...cliPids].flatMap((pid) => modelTempDirs(pid));
}

afterEach(() => {
  expect(ourContainers()).toEqual([]);
  expect(ourModelTempDirs()).toEqual([]);
});

function assembly(mode: string, overrides = {}): TestAssembly {
  const a = makeAssembly(trainingRequest(mode, overrides));
  assemblies.push(a);
  return a;
}

describe('byoa local train', () => {
  test('streams prefixed logs and metrics and exits 0 when the job completes', async () => {
    // GIVEN a cloud assembly with a pipeline whose algorithm succeeds
    const a = assembly('ok');
    // WHEN
    const res = await runCli(['local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', work]);
    // THEN
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^\[fixture-train-\d{17}-[0-9a-z]+\] starting ok on algo-1$/m);
    expect(res.stdout).toMatch(/^\[fixture-train-\d{17}-[0-9a-z]+\] metric train:loss = 0\.8$/m);
    expect(res.stdout).toMatch(/^\[fixture-train-\d{17}-[0-9a-z]+\] final accuracy = 0\.9$/m);
    expect(res.stderr).toMatch(/^\[fixture-train-\d{17}-[0-9a-z]+\] to stderr$/m);
    expect(res.stdout).toMatch(/Training job fixture-train-\d{17}-[0-9a-z]+ Completed/);
    const jobName = /Training job (\S+) Completed/.exec(res.stdout)![1];
    expect(fs.existsSync(path.join(work, jobName, 'output', 'model.tar.gz'))).toBe(true);
  });

  test('exits 1 and prints the failure reason when the job fails', async () => {
    const a = assembly('fail');
    const res = await runCli(['local', 'train', 'Pipe', '--app', a.dir, '--workdir', work]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Training job fixture-train-\d{17}-[0-9a-z]+ Failed: ValueError: bad hyperparameter lr/);
  });

  test('GIVEN a running job WHEN Ctrl-C THEN it is stopped as StopTrainingJob stops it: description Stopped, what was kept said, exit 130, nothing else left', async () => {
    // GIVEN a job that runs for minutes (it handles SIGTERM)
    const a = assembly('sleep');
    const workdir = path.join(work, 'interrupted');
    // WHEN SIGINT arrives while the container runs
    let sent = false;
    const res = await runCli(['local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir], {
      onStdout: (text, kill) => {
        if (!sent && text.includes('starting sleep')) { sent = true; kill('SIGINT'); }
      },
    });
    // THEN the exit code is SIGINT's, the terminal says the job stopped and what was kept
    expect(sent).toBe(true);
    expect(res.code).toBe(130);
    expect(res.stderr).toMatch(/^byoa: received SIGINT: stopping the job \(SIGTERM to its containers, SIGKILL after the grace period\); press Ctrl-C again/m);
    expect(res.stdout).toMatch(/got SIGTERM/);
    expect(res.stderr).toMatch(/^Training job fixture-train-\d{17}-[0-9a-z]+ Stopped after [\d.]+ s\. Kept, as SageMaker keeps them:$/m);
    expect(res.stderr).toMatch(/^ {2}description: .*description\.json \(TrainingJobStatus Stopped\)$/m);
    // THEN the job folder holds the description (Stopped, no failure reason) and the model written so far, no scratch
    expect(ourContainers()).toEqual([]);
    const jobs = jobFolders(workdir);
    expect(jobs).toHaveLength(1);
    const jobDir = path.join(workdir, jobs[0]);
    expect(fs.readdirSync(jobDir).sort()).toEqual(['description.json', 'metrics.json', 'output']);
    const description = JSON.parse(fs.readFileSync(path.join(jobDir, 'description.json'), 'utf8'));
    expect(description).toMatchObject({ TrainingJobName: jobs[0], TrainingJobStatus: 'Stopped', SecondaryStatus: 'Stopped' });
    expect(description.FailureReason).toBeUndefined();
    expect(tarMember(path.join(jobDir, 'output', 'model.tar.gz'), 'host-algo-1.txt')).toBe('host algo-1\n');
  });

  test('GIVEN a metric regex that backtracks for hours on a log line WHEN Ctrl-C THEN the CLI still stops the job at once, and names the slow regex', async () => {
    // GIVEN a job that runs for minutes, and a regex that is exponential on "starting sleep on algo-1" (3 ways to match each letter, then '-')
    const a = assembly('sleep', {
      AlgorithmSpecification: {
        ...trainingRequest('sleep').AlgorithmSpecification,
        MetricDefinitions: [
          { Name: 'slow', Regex: '^(?:\\w|[a-z]|[a-z ])*$' },
          { Name: 'train:loss', Regex: 'train_loss=([0-9.]+)' },
        ],
      },
    });
    const workdir = path.join(work, 'slow-regex');
    // WHEN SIGINT arrives once that line is out
    let sentAt = 0;
    const res = await runCli(['local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir], {
      onStdout: (text, kill) => {
        if (!sentAt && text.includes('starting sleep')) { sentAt = Date.now(); kill('SIGINT'); }
      },
    });
    // THEN the signal was handled at once (the regex ran off the CLI's event loop), and the job stopped
    expect(sentAt).toBeGreaterThan(0);
    expect(res.code).toBe(130);
    expect(Date.now() - sentAt).toBeLessThan(20_000);
    expect(res.stderr).toMatch(/^byoa: received SIGINT: stopping the job/m);
    expect(res.stderr).toMatch(/^byoa: Warning: The regex of metric 'slow' \(\^\(\?:\\w\|\[a-z\]\|\[a-z \]\)\*\$\) took more than 1 s on one log line of algo-1 \("starting sleep on algo-1"\), so it is no longer applied/m);
    // and the other metric kept being collected
    expect(res.stdout).toMatch(/^\[fixture-train-\d{17}-[0-9a-z]+\] metric train:loss = 0\.6$/m);
  });

  test('GIVEN a job whose container ignores SIGTERM WHEN SIGTERM twice THEN the second kills it at once, the job is Stopped, exit 143', async () => {
    const a = assembly('ignore-term');
    const workdir = path.join(work, 'interrupted-twice');
    let sent = 0;
    const started = Date.now();
    const res = await runCli(['local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir], {
      onStdout: (text, kill) => {
        if (sent === 0 && text.includes('starting ignore-term')) { sent = 1; kill('SIGTERM'); }
        if (sent === 1 && text.includes('ignoring SIGTERM')) { sent = 2; kill('SIGTERM'); }
      },
    });
    expect(sent).toBe(2);
    expect(res.code).toBe(143);
    // the grace period is 120 s: only the second signal can have ended it this soon
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(res.stderr).toMatch(/^byoa: received SIGTERM again: killing the job's containers now/m);
    const jobs = jobFolders(workdir);
    expect(JSON.parse(fs.readFileSync(path.join(workdir, jobs[0], 'description.json'), 'utf8')).TrainingJobStatus).toBe('Stopped');
    expect(ourContainers()).toEqual([]);
  });
});

describe('a job that never starts leaves nothing in the work dir', () => {
  test('GIVEN missing staged data WHEN train THEN a clear error, exit 1, and no job folder', async () => {
    const a = assembly('ok');
    fs.rmSync(path.join(a.dir, 'asset.data-train'), { recursive: true });
    const workdir = path.join(work, 'never-started-train');
    const res = await runCli(['local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/asset\.data-train/);
    expect(jobFolders(workdir)).toEqual([]);
  });

  test.each([
    ['a corrupt model archive', (dir: string) => { fs.writeFileSync(path.join(dir, 'model.tar.gz'), 'not a tar file at all'); }],
    ['a truncated model archive', (dir: string) => {
      const good = modelArchive(path.join(dir, 'good'), 'x'.repeat(100_000));
      const bytes = fs.readFileSync(good);
      fs.writeFileSync(path.join(dir, 'model.tar.gz'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    }],
    ['a model holding a symlink', (dir: string) => {
      const src = path.join(dir, 'src');
      fs.mkdirSync(src, { recursive: true });
      fs.symlinkSync('/etc/passwd', path.join(src, 'link'));
      execFileSync('tar', ['-czf', path.join(dir, 'model.tar.gz'), '-C', src, '.']);
    }],
  ])('GIVEN %s WHEN transform THEN a clear error, exit 1, and no job folder', async (_what, makeModel) => {
    const a = servingPipeline({ transformInput: { 'in.csv': 'x\n' }, transformEnv: { FIXTURE_MODE: 'model' } });
    const dir = fs.mkdtempSync(path.join(work, 'bad-model-'));
    makeModel(dir);
    const workdir = path.join(dir, 'work');
    const res = await runCli(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir, '--model', path.join(dir, 'model.tar.gz')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/model/i);
    expect(jobFolders(workdir)).toEqual([]);
  });

  test('GIVEN a TMPDIR that does not exist WHEN train THEN the error names it, and there is no job folder', async () => {
    const a = assembly('ok');
    const workdir = path.join(work, 'no-tmpdir');
    // under a file, so that nothing (not even ts-node's compile cache) can create it
    const file = path.join(work, 'a-file');
    fs.writeFileSync(file, '');
    const tmpdir = path.join(file, 'tmp');
    const res = await runCli(['local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir], { env: { TMPDIR: tmpdir } });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`needs a temporary folder, but ${tmpdir} does not exist or is not a folder (TMPDIR=${tmpdir})`);
    expect(jobFolders(workdir)).toEqual([]);
  });
});

describe('a work dir that cannot take the job says why', () => {
  const mounts: string[] = [];
  afterAll(() => { for (const m of mounts) { spawnSync('umount', [m]); } });
  /** A tmpfs mounted at a new folder (the tests run as root, so a read-only or tiny file system is a mount away). */
  function tmpfs(options: string): string {
    const dir = fs.mkdtempSync(path.join(work, 'tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
    mounts.push(dir);
    return dir;
  }

  test('GIVEN a read-only work dir WHEN train THEN the error names the folder and the cause (exit 1)', async () => {
    const a = assembly('ok');
    const workdir = tmpfs('ro,size=1m');
    const res = await runCli(['local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`Creating the job folder ${workdir}/fixture-train-\\S+ failed: the file system is read-only \\(EROFS\\)\\. Choose a writable folder`));
  });

  test('GIVEN a work dir on a full disk WHEN train THEN "no space left on device" with the folder, exit 1, and no half-written job', async () => {
    const a = assembly('ok');
    const workdir = tmpfs('size=40k');
    const res = await runCli(['local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/failed: no space left on device \(ENOSPC\)\. Free some space/);
    expect(res.stderr).toContain(workdir);
    expect(jobFolders(workdir)).toEqual([]);
  });

  test('GIVEN a transform whose outputs do not fit WHEN transform THEN "no space left on device" (not "short write") and no half-written output', async () => {
    const a = servingPipeline({ transformInput: { 'in.csv': 'y'.repeat(200) + '\n' }, transformEnv: { FIXTURE_MODE: 'echo' } });
    // 200 KB of records, echoed back, into a 64 KB file system
    fs.writeFileSync(path.join(a.dir, 'asset.transform-input', 'in.csv'), ('y'.repeat(199) + '\n').repeat(1000));
    const model = modelArchive(path.join(work, 'full-model'), 'm');
    const workdir = tmpfs('size=64k');
    const res = await runCli(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir, '--model', model]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no space left on device/i);
    expect(res.stderr).not.toMatch(/short write/);
    const outs = jobFolders(workdir).flatMap((j) => fs.readdirSync(path.join(workdir, j)).filter((f) => f.endsWith('.out')));
    expect(outs).toEqual([]);
  });
});

describe('usage', () => {
  test.each([
    [['--help'], /Usage: byoa <command>/],
    [['local', '--help'], /Usage: byoa local <train\|transform\|serve\|run> PIPELINE/],
    [['local', 'train', '--help'], /Usage: byoa local train PIPELINE/],
    // File mode gives the algorithm a writable copy (only FastFile is read-only)
    [['local', 'train', '--help'], /as a writable copy in File mode .* read-only in\nFastFile mode/s],
    [['local', 'transform', '-h'], /Usage: byoa local transform PIPELINE/],
    [['local', 'serve', '--help'], /Usage: byoa local serve PIPELINE/],
    [['local', 'run', '--help'], /--keep-serving/],
  ])('%j prints help and exits 0', async (args, expected) => {
    const c = capture();
    expect(await main(args, c.output)).toBe(0);
    expect(c.out.join('\n')).toMatch(expected);
  });

  test.each([
    [['nope'], /unknown command 'nope'/],
    [['local', 'fly', 'X'], /unknown subcommand 'local fly'/],
    [['local', 'train'], /expected exactly one PIPELINE argument, got 0/],
    [['local', 'train', 'X', '--bogus'], /Unknown option '--bogus'/],
    [['local', 'train', 'X', '--keep-serving'], /--keep-serving only applies to 'byoa local run'/],
  ])('%j is a usage error (exit 2)', async (args, expected) => {
    const c = capture();
    expect(await main(args, c.output)).toBe(2);
    expect(c.err.join('\n')).toMatch(expected);
  });

  test('an unknown pipeline lists the pipelines that exist (exit 1)', async () => {
    const a = assembly('ok');
    const c = capture();
    expect(await main(['local', 'train', 'Nope/Missing', '--app', a.dir], c.output)).toBe(1);
    expect(c.err.join('\n')).toMatch(/No pipeline 'Nope\/Missing' in the cloud assembly .*Pipelines: TestStack\/Pipe\./);
  });

  test('a missing cloud assembly says to run cdk synth (exit 1)', async () => {
    const c = capture();
    expect(await main(['local', 'train', 'X', '--app', path.join(work, 'no-such-dir')], c.output)).toBe(1);
    expect(c.err.join('\n')).toMatch(/No cloud assembly at .*no-such-dir.*Run 'cdk synth' first/);
  });

  test('transform on a pipeline without a transform says so (exit 1)', async () => {
    const a = assembly('ok');
    const c = capture();
    expect(await main(['local', 'transform', 'TestStack/Pipe', '--app', a.dir], c.output)).toBe(1);
    expect(c.err.join('\n')).toMatch(/pipeline TestStack\/Pipe has no batch transform/);
  });
});

// ---------------------------------------------------------------------------
// transform, serve and run: one image (the serving fixture, whose `train`
// behaviour writes model.txt) trains and serves.
// ---------------------------------------------------------------------------

const SERVING_DIR = path.join(FIXTURES, 'serving');
/** Staged like CDK stages an image asset: `asset.<hash of the content>`. */
const SERVING_ASSET = `asset.${createHash('sha256').update(fs.readdirSync(SERVING_DIR).sort()
  .map((f) => f + fs.readFileSync(path.join(SERVING_DIR, f), 'utf8')).join('\0')).digest('hex')}`;

interface PipelineSetup {
  /** Environment of the model (transform and endpoint containers). */
  readonly modelEnv?: { [key: string]: string };
  /** Environment of the transform job only. @default - none */
  readonly transformEnv?: { [key: string]: string };
  /** Transform input files (relative path → content). @default - none: no transform step */
  readonly transformInput?: { [rel: string]: string };
  /** Whether the pipeline has an endpoint. @default false */
  readonly endpoint?: boolean;
}

/** A cloud assembly whose pipeline TestStack/Pipe trains and serves with the serving fixture. */
function servingPipeline(setup: PipelineSetup): TestAssembly {
  const transform = setup.transformInput ? lineTransformRequest({
    TransformJobName: 'cli-transform',
    ModelName: 'cli-model',
    MaxPayloadInMB: 1,
    Environment: setup.transformEnv,
  }) : undefined;
  const a = makeAssembly(trainingRequest('ignored'), {
    image: { kind: 'asset', directory: SERVING_ASSET },
    model: {
      ModelName: 'cli-model',
      PrimaryContainer: { Image: 'ignored', Environment: { FIXTURE_BIND_HOST: '127.0.0.1', ...setup.modelEnv } },
    },
    transform,
    ...(setup.endpoint ? {
      endpointConfig: {
        EndpointConfigName: 'cli-endpoint-config',
        ProductionVariants: [{
          VariantName: 'AllTraffic',
          ModelName: 'cli-model',
          InitialInstanceCount: 1,
          InstanceType: 'ml.m5.large',
          ContainerStartupHealthCheckTimeoutInSeconds: 20,
        }],
      },
      endpointName: 'cli-endpoint',
    } : {}),
  });
  assemblies.push(a);
  fs.cpSync(SERVING_DIR, path.join(a.dir, SERVING_ASSET), { recursive: true });
  for (const [rel, content] of Object.entries(setup.transformInput ?? {})) {
    const file = path.join(a.dir, 'asset.transform-input', rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return a;
}

/** A model.tar.gz holding model.txt = `text`. */
function modelArchive(dir: string, text: string): string {
  const src = path.join(dir, 'src');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'model.txt'), text);
  const archive = path.join(dir, 'model.tar.gz');
  const res = spawnSync('tar', ['-czf', archive, '-C', src, 'model.txt']);
  if (res.status !== 0) throw new Error(`tar failed: ${res.stderr}`);
  return archive;
}

/** A fake training job in `workDir` with the given status and model.txt. */
function fakeTrainingJob(workDir: string, jobName: string, status: string, modelText: string): string {
  const jobDir = path.join(workDir, jobName);
  fs.mkdirSync(path.join(jobDir, 'output'), { recursive: true });
  fs.writeFileSync(path.join(jobDir, 'description.json'), JSON.stringify({ TrainingJobName: jobName, TrainingJobStatus: status }));
  const archive = modelArchive(path.join(jobDir, 'tmp'), modelText);
  fs.renameSync(archive, path.join(jobDir, 'output', 'model.tar.gz'));
  fs.rmSync(path.join(jobDir, 'tmp'), { recursive: true });
  return path.join(jobDir, 'output', 'model.tar.gz');
}

function httpRequest(method: string, url: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { 'Content-Type': 'text/csv' } : {} }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const csvLines = (n: number) => Array.from({ length: n }, (_, i) => `${i},1,2`).join('\n') + '\n';

describe('byoa local run', () => {
  test('GIVEN training + transform + endpoint WHEN run THEN every step succeeds, outputs exist, the URL is printed and nothing is left', async () => {
    // GIVEN
    const a = servingPipeline({
      transformInput: { 'a.csv': csvLines(300), 'sub/b.csv': csvLines(20) },
      transformEnv: { FIXTURE_MODE: 'sum' },
      endpoint: true,
    });
    const workdir = path.join(work, 'run-all');
    // WHEN
    const res = await runCli(['local', 'run', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir]);
    // THEN
    expect(res.stderr).not.toMatch(/failed/);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Running pipeline TestStack\/Pipe: train, transform, endpoint$/m);
    expect(res.stdout).toMatch(/^\[fixture-train-\d{17}-[0-9a-z]+\] fixture: training with \{"epochs": "3", "learning-rate": "0.1"\}$/m);
    const trainingJob = /Training job (fixture-train-\d{17}-[0-9a-z]+) Completed/.exec(res.stdout)![1];
    expect(tarMember(path.join(workdir, trainingJob, 'output', 'model.tar.gz'), 'model.txt')).toBe('trained 3');
    // the transform showed progress (not a TTY: whole lines), the container's logs, and where the outputs are
    expect(res.stdout).toMatch(/^Transform cli-transform-\d{17}-[0-9a-z]+: \[#{24}\] 100% 320 records, [0-9.]+ records\/s, 2\/2 files, [0-9.]+ s$/m);
    expect(res.stdout).toMatch(/^\[cli-transform(-\d{17}-[0-9a-z]+)?\] fixture: serving mode sum on port \d+$/m);
    const [, transformJob, outDir] = /Transform job (cli-transform-\d{17}-[0-9a-z]+) Completed: 320 records in [0-9.]+ s\n {2}outputs: {5}(\S+) \(2 \.out files\)/.exec(res.stdout)!;
    expect(outDir).toBe(path.join(workdir, transformJob));
    expect(fs.readFileSync(path.join(outDir, 'a.csv.out'), 'utf8').split('\n').slice(0, 3)).toEqual(['3', '4', '5']);
    expect(fs.existsSync(path.join(outDir, 'sub', 'b.csv.out'))).toBe(true);
    // the endpoint got healthy, its URL was printed, and it was stopped
    expect(res.stdout).toMatch(/^Endpoint cli-endpoint is healthy: SageMaker Runtime API at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(res.stdout).toMatch(/^ {2}invoke: aws sagemaker-runtime invoke-endpoint --endpoint-url http:\/\/127\.0\.0\.1:\d+ --endpoint-name cli-endpoint --content-type text\/csv --body fileb:\/\/INPUT_FILE OUTPUT_FILE$/m);
    expect(res.stdout).toMatch(/curl -s -X POST -H 'Content-Type: text\/csv' --data-binary @INPUT_FILE http:\/\/127\.0\.0\.1:\d+\/endpoints\/cli-endpoint\/invocations$/m);
    expect(res.stdout).toMatch(/^Pipeline TestStack\/Pipe completed locally: train, transform, endpoint\.$/m);
    expect(ourContainers()).toEqual([]);
    expect(ourModelTempDirs()).toEqual([]);
  });

  test('GIVEN --keep-serving WHEN run THEN the endpoint serves until SIGTERM, then stops (exit 0)', async () => {
    // GIVEN a pipeline with training and an endpoint only
    const a = servingPipeline({ modelEnv: { FIXTURE_MODE: 'model' }, endpoint: true });
    // WHEN SIGTERM arrives while it serves
    let answer: Promise<string> | undefined;
    const res = await runCli(['local', 'run', 'TestStack/Pipe', '--app', a.dir, '--workdir', path.join(work, 'run-keep'), '--keep-serving'], {
      onStdout: (text, kill) => {
        const url = /SageMaker Runtime API at (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
        if (url && !answer && /Serving cli-endpoint until Ctrl-C/.test(text)) {
          answer = httpRequest('POST', `${url}/endpoints/cli-endpoint/invocations`, '1').then((r) => r.body).finally(() => kill('SIGTERM'));
        }
      },
    });
    // THEN the endpoint served the model just trained, and was stopped
    expect(JSON.parse(await answer!)).toEqual({ 'model.txt': 'trained 3' });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Running pipeline TestStack\/Pipe: train, endpoint$/m);
    expect(res.stdout).toMatch(/^Received SIGTERM: stopping endpoint cli-endpoint/m);
    expect(res.stdout).toMatch(/^Pipeline TestStack\/Pipe completed locally: train, endpoint\.$/m);
    expect(ourContainers()).toEqual([]);
  });

  test('GIVEN a training job that fails WHEN run THEN it stops there, names the step and exits 1', async () => {
    const a = servingPipeline({ transformInput: { 'a.csv': csvLines(3) }, endpoint: true });
    const manifest = path.join(a.dir, 'manifest.json');
    fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace('"MODE": "ignored"', '"FIXTURE_TRAIN_FAIL": "1"'));
    const res = await runCli(['local', 'run', 'TestStack/Pipe', '--app', a.dir, '--workdir', path.join(work, 'run-fail')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Training job fixture-train-\d{17}-[0-9a-z]+ Failed: fixture: training failed on purpose/);
    expect(res.stderr).toMatch(/step 'train' of pipeline TestStack\/Pipe failed/);
    expect(res.stdout).not.toMatch(/=== Step transform ===/);
  });
});

describe('byoa local transform', () => {
  test('GIVEN --model WHEN transform THEN that model is served and the job completes (exit 0)', async () => {
    // GIVEN
    const a = servingPipeline({ transformInput: { 'in.csv': 'x\n' }, transformEnv: { FIXTURE_MODE: 'model' } });
    const model = modelArchive(path.join(work, 'given-model'), 'given by --model');
    // WHEN
    const c = capture();
    const code = await main(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', path.join(work, 'tf-model'), '--model', model], c.output);
    // THEN
    expect(code).toBe(0);
    const out = c.out.join('\n');
    expect(out).toContain(`Using model ${model}`);
    const outDir = /outputs: {5}(\S+) \(1 \.out file\)/.exec(out)![1];
    expect(JSON.parse(fs.readFileSync(path.join(outDir, 'in.csv.out'), 'utf8'))).toEqual({ 'model.txt': 'given by --model' });
  });

  test('GIVEN a container that ignores SIGTERM WHEN transform THEN the job is reported Completed before its container is killed after 3 s, with the fix said once', async () => {
    // GIVEN
    resetSigtermNotes();
    const a = servingPipeline({ transformInput: { 'in.csv': 'x\n' }, transformEnv: { FIXTURE_MODE: 'model', FIXTURE_IGNORE_SIGTERM: '1' } });
    const model = modelArchive(path.join(work, 'stubborn-model'), 'm');
    // WHEN
    const lines: string[] = [];
    const code = await main(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', path.join(work, 'tf-stubborn'), '--model', model],
      { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    // THEN: in this order: Completed with outputs written, the container killed after the default 3 s grace (said once), the summary
    expect(code).toBe(0);
    const completed = lines.findIndex((l) => /^byoa: Transform job cli-transform-\S+ Completed: outputs and description\.json written; stopping its container$/.test(l));
    const notes = lines.map((l, i) => [l, i] as const).filter(([l]) => /ignored SIGTERM/.test(l));
    const summary = lines.findIndex((l) => /^Transform job cli-transform-\S+ Completed: 1 records in/.test(l));
    expect(completed).toBeGreaterThanOrEqual(0);
    expect(notes).toHaveLength(1);
    expect(notes[0][0]).toMatch(/^\[cli-transform-\S+\] byoa: the container of image '.+' ignored SIGTERM: it was still running 3 s later and was killed/);
    expect(completed).toBeLessThan(notes[0][1]);
    expect(notes[0][1]).toBeLessThan(summary);
  });

  test('GIVEN --model s3://... of a real S3-compatible server WHEN transform THEN the model is downloaded into the work dir and served (exit 0)', async () => {
    // GIVEN
    const a = servingPipeline({ transformInput: { 'in.csv': 'x\n' }, transformEnv: { FIXTURE_MODE: 'model' } });
    const s3 = await startS3Server();
    try {
      await s3.createBucket('cloud-models');
      await s3.put('cloud-models', 'training/job-1/output/model.tar.gz', fs.readFileSync(modelArchive(path.join(work, 's3-model'), 'trained in the cloud')));
      const workdir = path.join(work, 'tf-s3');
      const regions: string[] = [];
      const clientFactory: ClientFactory = (target) => {
        regions.push(target.region);
        return { ...defaultClientFactory(target), s3: s3.client(target.region) };
      };
      // WHEN
      const c = capture();
      const code = await main(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir, '--region', 'eu-central-1',
        '--model', 's3://cloud-models/training/job-1/output/model.tar.gz'], c.output, { clientFactory });
      // THEN
      expect(c.err.filter(l => !l.startsWith('byoa: '))).toEqual([]);
      expect(code).toBe(0);
      expect(regions).toEqual(['eu-central-1']);
      const downloaded = path.join(workdir, 'models', 'cloud-models', 'training', 'job-1', 'output', 'model.tar.gz');
      expect(c.out).toContain(`Using model ${downloaded} (from s3://cloud-models/training/job-1/output/model.tar.gz)`);
      const outDir = /outputs: {5}(\S+) \(1 \.out file\)/.exec(c.out.join('\n'))![1];
      expect(JSON.parse(fs.readFileSync(path.join(outDir, 'in.csv.out'), 'utf8'))).toEqual({ 'model.txt': 'trained in the cloud' });
      // and a missing object is a clear error (exit 1)
      const missing = capture();
      expect(await main(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir, '--region', 'eu-central-1',
        '--model', 's3://cloud-models/nope/model.tar.gz'], missing.output, { clientFactory })).toBe(1);
      expect(missing.err.join('\n')).toMatch(/--model s3:\/\/cloud-models\/nope\/model.tar.gz: no such object in bucket cloud-models/);
    } finally {
      await s3.close();
    }
  });

  test('GIVEN several training jobs in the work dir WHEN transform without --model THEN the newest completed one of this pipeline is used', async () => {
    // GIVEN
    const a = servingPipeline({ transformInput: { 'in.csv': 'x\n' }, transformEnv: { FIXTURE_MODE: 'model' } });
    const workdir = path.join(work, 'tf-newest');
    fakeTrainingJob(workdir, 'fixture-train-20240101000000000', 'Completed', 'old');
    const newest = fakeTrainingJob(workdir, 'fixture-train-20240102000000000', 'Completed', 'newest completed');
    fakeTrainingJob(workdir, 'fixture-train-20240103000000000', 'Failed', 'failed');
    fakeTrainingJob(workdir, 'other-train-20240104000000000', 'Completed', 'another pipeline');
    // WHEN
    const res = await runCli(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir]);
    // THEN
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Using the newest trained model: ${newest} (training job fixture-train-20240102000000000;`);
    const outDir = /outputs: {5}(\S+) \(1 \.out file\)/.exec(res.stdout)![1];
    expect(JSON.parse(fs.readFileSync(path.join(outDir, 'in.csv.out'), 'utf8'))).toEqual({ 'model.txt': 'newest completed' });
  });

  test('GIVEN no trained model WHEN transform without --model THEN it says to train first (exit 1)', async () => {
    const a = servingPipeline({ transformInput: { 'in.csv': 'x\n' } });
    const c = capture();
    expect(await main(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', path.join(work, 'empty')], c.output)).toBe(1);
    expect(c.err.join('\n')).toMatch(/No trained model of pipeline TestStack\/Pipe in .*empty.*Run 'byoa local train TestStack\/Pipe' first/);
  });

  test('GIVEN a --model that does not exist WHEN transform THEN it says so (exit 1)', async () => {
    const a = servingPipeline({ transformInput: { 'in.csv': 'x\n' } });
    const c = capture();
    expect(await main(['local', 'transform', 'Pipe', '--app', a.dir, '--model', path.join(work, 'nope.tar.gz')], c.output)).toBe(1);
    expect(c.err.join('\n')).toMatch(/--model .*nope\.tar\.gz: no such file/);
  });

  test('GIVEN a running transform WHEN SIGTERM THEN it is stopped as StopTransformJob stops it: description Stopped, the finished .out kept, exit 143', async () => {
    // GIVEN two inputs: one answered at once, one whose record the model takes 60 s to answer
    const a = servingPipeline({ transformInput: { 'a.csv': 'quick\n', 'b.csv': 'SLOW\n' }, transformEnv: { FIXTURE_SLEEP_ON: 'SLOW', FIXTURE_SLEEP_SECONDS: '60' } });
    const model = modelArchive(path.join(work, 'stop-model'), 'm');
    const workdir = path.join(work, 'tf-stopped');
    // WHEN SIGTERM arrives once a.csv is done
    let sent = false;
    let poll: NodeJS.Timeout | undefined;
    const started = Date.now();
    const res = await runCli(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir, '--model', model], {
      onStdout: (_text, kill) => {
        if (sent) { return; }
        sent = true;
        poll = setInterval(() => {
          const job = fs.existsSync(workdir) ? jobFolders(workdir)[0] : undefined;
          if (job && fs.existsSync(path.join(workdir, job, 'a.csv.out'))) { clearInterval(poll); kill('SIGTERM'); }
        }, 100);
      },
    });
    clearInterval(poll);
    // THEN
    expect(sent).toBe(true);
    expect(res.code).toBe(143);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(res.stderr).toMatch(/^Transform job cli-transform-\d{17}-[0-9a-z]+ Stopped after [\d.]+ s/m);
    expect(res.stderr).toMatch(/kept: .*tf-stopped\/cli-transform-\S+ \(1 \.out file of the inputs that finished; SageMaker keeps none of a stopped job\)/);
    const job = jobFolders(workdir)[0];
    expect(fs.readdirSync(path.join(workdir, job)).sort()).toEqual(['a.csv.out', 'description.json']);
    const description = JSON.parse(fs.readFileSync(path.join(workdir, job, 'description.json'), 'utf8'));
    expect(description).toMatchObject({ TransformJobName: job, TransformJobStatus: 'Stopped' });
    expect(description.FailureReason).toBeUndefined();
  });

  test('GIVEN a record the model rejects WHEN transform THEN the failure reason is printed (exit 1)', async () => {
    // GIVEN
    const a = servingPipeline({ transformInput: { 'in.csv': 'fine\nBAD record\n' }, transformEnv: { FIXTURE_FAIL_ON: 'BAD' } });
    const model = modelArchive(path.join(work, 'fail-model'), 'm');
    // WHEN
    const res = await runCli(['local', 'transform', 'TestStack/Pipe', '--app', a.dir, '--workdir', path.join(work, 'tf-fail'), '--model', model]);
    // THEN
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Transform job cli-transform-\d{17}-[0-9a-z]+ Failed: .*in\.csv.*cannot predict a record containing BAD/);
    expect(res.stderr).toMatch(/description: .*tf-fail\/cli-transform-\d{17}-[0-9a-z]+\/description\.json/);
  });
});

describe('byoa local serve', () => {
  test('GIVEN a model WHEN serve runs THEN its URL answers /ping and /invocations, and SIGINT stops it (exit 0, nothing left)', async () => {
    // GIVEN
    const a = servingPipeline({ modelEnv: { FIXTURE_MODE: 'model' }, endpoint: true });
    const model = modelArchive(path.join(work, 'serve-model'), 'served');
    // WHEN the CLI prints the URL, call it, then press Ctrl-C
    const since = Math.floor(Date.now() / 1000) - 1;
    let checks: Promise<{ ping: number; answer: string; running: string[] }> | undefined;
    const res = await runCli(['local', 'serve', 'TestStack/Pipe', '--app', a.dir, '--model', model], {
      onStdout: (text, kill) => {
        const url = /SageMaker Runtime API at (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
        if (url && !checks && /Serving cli-endpoint until Ctrl-C/.test(text)) {
          checks = (async () => {
            try {
              // the container's own paths are not exposed: only InvokeEndpoint
              const ping = await httpRequest('GET', `${url}/ping`);
              const answer = await httpRequest('POST', `${url}/endpoints/cli-endpoint/invocations`, '1,2');
              return { ping: ping.status, answer: answer.body, running: ourContainers() };
            } finally {
              kill('SIGINT');
            }
          })();
        }
      },
    });
    // THEN
    expect(checks).toBeDefined();
    const seen = await checks!;
    expect(seen.ping).toBe(404);
    expect(JSON.parse(seen.answer)).toEqual({ 'model.txt': 'served' });
    expect(seen.running).toEqual([expect.stringMatching(/^byoa-endpoint-cli-endpoint-/)]);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Received SIGINT: stopping endpoint cli-endpoint/m);
    expect(res.stdout).toMatch(/^Endpoint cli-endpoint stopped\.$/m);
    expect(res.stdout).not.toMatch(/ignored SIGTERM/);
    // a graceful stop, as SageMaker does: the container got SIGTERM first
    const signals = execFileSync('docker', ['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1),
      '--filter', 'event=kill', '--filter', `container=${seen.running[0]}`, '--format', '{{.Actor.Attributes.signal}}'], { encoding: 'utf8' });
    expect(signals.trim().split('\n')[0]).toBe('15');
    expect(ourContainers()).toEqual([]);
    expect(ourModelTempDirs()).toEqual([]);
  });

  test('GIVEN a container that ignores SIGTERM WHEN Ctrl-C THEN it says it is waiting and how to force it, and a second Ctrl-C removes it at once (exit 130)', async () => {
    // GIVEN
    const a = servingPipeline({ modelEnv: { FIXTURE_MODE: 'model', FIXTURE_IGNORE_SIGTERM: '1' }, endpoint: true });
    const model = modelArchive(path.join(work, 'stubborn-serve-model'), 'm');
    // WHEN Ctrl-C once it serves, and again once it says it waits
    let first = false;
    let second = false;
    const res = await runCli(['local', 'serve', 'TestStack/Pipe', '--app', a.dir, '--model', model], {
      onStdout: (text, kill) => {
        if (!first && /Serving cli-endpoint until Ctrl-C/.test(text)) { first = true; kill('SIGINT'); }
        if (first && !second && /press Ctrl-C again/.test(text)) { second = true; kill('SIGINT'); }
      },
    });
    // THEN
    expect(res.stdout).toMatch(/^Received SIGINT: stopping endpoint cli-endpoint: waiting for its container to exit after SIGTERM \(SIGKILL after 30 s\); press Ctrl-C again to remove it at once\.$/m);
    expect(res.stdout).not.toMatch(/Endpoint cli-endpoint stopped/);
    expect(res.code).toBe(130);
    expect(ourContainers()).toEqual([]);
    expect(ourModelTempDirs()).toEqual([]);
  });

  test('GIVEN a container that exits at start WHEN serve THEN the reason and its last log lines are printed (exit 1)', async () => {
    const a = servingPipeline({ modelEnv: { FIXTURE_EXIT_AT_START: '1' }, endpoint: true });
    const model = modelArchive(path.join(work, 'broken-model'), 'm');
    const c = capture();
    expect(await main(['local', 'serve', 'TestStack/Pipe', '--app', a.dir, '--model', model], c.output)).toBe(1);
    const err = c.err.join('\n');
    expect(err).toMatch(/the endpoint of TestStack\/Pipe failed to start: .*exited with code 3 before answering GET \/ping/);
    expect(err).toMatch(/last container output[\s\S]*loading the model failed: no such file model\.bin/);
    expect(ourModelTempDirs()).toEqual([]);
  });

  test('GIVEN --port WHEN the serving container is killed while it serves THEN the exit is reported with its last log lines (exit 1, nothing left)', async () => {
    // GIVEN a free port for the local SageMaker Runtime API
    const a = servingPipeline({ modelEnv: { FIXTURE_MODE: 'model' }, endpoint: true });
    const model = modelArchive(path.join(work, 'killed-serve-model'), 'm');
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const free = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(free));
      });
    });
    // WHEN the container is killed once it serves
    let killed = false;
    const res = await runCli(['local', 'serve', 'TestStack/Pipe', '--app', a.dir, '--model', model, '--port', String(port)], {
      onStdout: (text) => {
        if (!killed && /Serving cli-endpoint until Ctrl-C/.test(text)) {
          killed = true;
          for (const name of ourContainers()) execFileSync('docker', ['kill', name]);
        }
      },
    });
    // THEN it served on the port asked for, then said the container is gone, and why
    expect(killed).toBe(true);
    expect(res.stdout).toContain(`Endpoint cli-endpoint is healthy: SageMaker Runtime API at http://127.0.0.1:${port}\n`);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^byoa: the container of endpoint cli-endpoint exited with code 137 while serving; the endpoint no longer answers\.\n--- last container output ---\n[^]*fixture: serving mode model on port \d+/m);
    expect(ourContainers()).toEqual([]);
    expect(ourModelTempDirs()).toEqual([]);
  });

  test.each([
    [['local', 'train', 'X', '--port', '9000'], /--port only applies to 'byoa local serve' and 'byoa local run'/],
    [['local', 'serve', 'X', '--port', '70000'], /--port must be a port number from 1 to 65535; got '70000'/],
    [['local', 'serve', 'X', '--port', 'abc'], /--port must be a port number from 1 to 65535; got 'abc'/],
  ])('%j is a usage error (exit 2)', async (args, expected) => {
    const c = capture();
    expect(await main(args as string[], c.output)).toBe(2);
    expect(c.err.join('\n')).toMatch(expected as RegExp);
  });

  test('GIVEN a pipeline without an endpoint WHEN serve THEN it says so (exit 1)', async () => {
    const a = servingPipeline({});
    const c = capture();
    expect(await main(['local', 'serve', 'TestStack/Pipe', '--app', a.dir, '--model', __filename], c.output)).toBe(1);
    expect(c.err.join('\n')).toMatch(/pipeline TestStack\/Pipe has no endpoint/);
  });
});

describe('help of the new options', () => {
  test.each([
    ['transform', [/--model PATH/, /newest/, /progress bar/, /Exit codes: 0 success, 1 .*, 2 usage error/]],
    ['serve', [/--model PATH/, /--port N/, /POST \/endpoints\/<EndpointName>\/invocations/, /until Ctrl-C \(SIGINT or\s+SIGTERM\)/, /Exit codes/]],
    ['run', [/--keep-serving +Keep the endpoint serving/, /Exit code 0 only when every step succeeded/]],
    ['train', [/--workdir DIR/, /Exit codes/]],
  ])('byoa local %s --help documents its options', async (sub, expected) => {
    const c = capture();
    expect(await main(['local', sub as string, '--help'], c.output)).toBe(0);
    for (const e of expected as RegExp[]) expect(c.out.join('\n')).toMatch(e);
  });

  test.each(['train', 'run'])('--model on %s is a usage error (exit 2)', async (sub) => {
    const c = capture();
    expect(await main(['local', sub, 'X', '--model', 'm.tar.gz'], c.output)).toBe(2);
    expect(c.err.join('\n')).toMatch(/--model only applies to 'byoa local transform' and 'byoa local serve'/);
  });
});

describe('transform progress display', () => {
  const event = (done: number, extra: Partial<TransformProgress> = {}): TransformProgress => ({
    jobName: 'tj',
    recordsDone: done,
    recordsRead: 100,
    bytesRead: 1000,
    bytesTotal: 1000,
    filesDone: 0,
    filesTotal: 1,
    requests: done,
    recordsPerSecond: 50,
    elapsedSeconds: done / 50,
    finished: false,
    ...extra,
  });

  test('the line shows a bar, the share done and records/s', () => {
    expect(formatProgress(event(50), 10)).toBe('Transform tj: [#####-----]  50% 50 records, 50.0 records/s, 0/1 files, 1.0 s');
  });

  test('on a terminal it redraws in place with \\r and keeps the bar below log lines', () => {
    // GIVEN
    const written: string[] = [];
    const display = new TransformProgressDisplay({ write: (t) => written.push(t) }, { tty: true, width: 4 });
    // WHEN
    display.onProgress(event(25));
    display.around(() => written.push('log line\n'));
    display.onProgress(event(100, { finished: true, filesDone: 1 }));
    // THEN
    expect(written).toEqual([
      '\rTransform tj: [#---]  25% 25 records, 50.0 records/s, 0/1 files, 0.5 s\x1b[K',
      '\r\x1b[K', 'log line\n', 'Transform tj: [#---]  25% 25 records, 50.0 records/s, 0/1 files, 0.5 s\x1b[K',
      '\rTransform tj: [####] 100% 100 records, 50.0 records/s, 1/1 files, 2.0 s\x1b[K\n',
    ]);
  });

  test('elsewhere it prints at most one line per second, plus the final line', () => {
    // GIVEN
    let now = 0;
    const written: string[] = [];
    const display = new TransformProgressDisplay({ write: (t) => written.push(t) }, { tty: false, now: () => now });
    // WHEN events arrive every 200 ms for 2.1 s
    for (let i = 0; i <= 10; i++) {
      now = i * 210;
      display.onProgress(event(i * 9, { finished: i === 10 }));
    }
    // THEN lines at 0 ms, 1050 ms, 2100 ms (final)
    expect(written.map((l) => /(\d+) records,/.exec(l)![1])).toEqual(['0', '45', '90']);
    expect(written.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });
});
