import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { leftoverContainers, makeAssembly, requireDocker, TestAssembly, trainingRequest } from './local-test-helpers';
import { main } from '../../src/cli/byoa';

const REPO = path.join(__dirname, '..', '..');
const CLI = path.join(REPO, 'src', 'cli', 'byoa.ts');

interface CliRun { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Runs the CLI as its own process (ts-node), like a user would. */
function runCli(args: string[], options: { onStdout?: (text: string, kill: (sig: NodeJS.Signals) => void) => void } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CLI, ...args], { cwd: REPO });
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

afterEach(() => {
  expect(leftoverContainers()).toEqual([]);
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
    expect(res.stdout).toMatch(/^\[fixture-train-\d{17}\] starting ok on algo-1$/m);
    expect(res.stdout).toMatch(/^\[fixture-train-\d{17}\] metric train:loss = 0\.8$/m);
    expect(res.stdout).toMatch(/^\[fixture-train-\d{17}\] final accuracy = 0\.9$/m);
    expect(res.stderr).toMatch(/^\[fixture-train-\d{17}\] to stderr$/m);
    expect(res.stdout).toMatch(/Training job fixture-train-\d{17} Completed/);
    const jobName = /Training job (\S+) Completed/.exec(res.stdout)![1];
    expect(fs.existsSync(path.join(work, jobName, 'output', 'model.tar.gz'))).toBe(true);
  });

  test('exits 1 and prints the failure reason when the job fails', async () => {
    const a = assembly('fail');
    const res = await runCli(['local', 'train', 'Pipe', '--app', a.dir, '--workdir', work]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Training job fixture-train-\d{17} Failed: ValueError: bad hyperparameter lr/);
  });

  test('on Ctrl-C removes the container and the scratch folder and dies of SIGINT', async () => {
    // GIVEN a job that runs for minutes
    const a = assembly('sleep');
    const workdir = path.join(work, 'interrupted');
    // WHEN SIGINT arrives while the container runs
    let sent = false;
    const res = await runCli(['local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir], {
      onStdout: (text, kill) => {
        if (!sent && text.includes('starting sleep')) { sent = true; kill('SIGINT'); }
      },
    });
    // THEN
    expect(sent).toBe(true);
    expect(res.signal).toBe('SIGINT');
    expect(leftoverContainers()).toEqual([]);
    const jobs = fs.readdirSync(workdir);
    expect(jobs).toHaveLength(1);
    expect(fs.readdirSync(path.join(workdir, jobs[0]))).not.toContain('.scratch');
  });
});

describe('usage', () => {
  test.each([
    [['--help'], /Usage: byoa <command>/],
    [['local', '--help'], /Usage: byoa local <train\|transform\|serve\|run> PIPELINE/],
    [['local', 'train', '--help'], /Usage: byoa local train PIPELINE/],
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
