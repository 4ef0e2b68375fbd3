/**
 * `byoa local tidy` and the reaping every run does, against the real engine:
 * a SIGKILLed CLI's container, scratch folder and temp folder are removed,
 * while what a live process or another host owns is kept.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeAssembly, requireDocker, TestAssembly, trainingRequest } from './local-test-helpers';
import { main } from '../../src/cli/byoa';
import { DockerRunner } from '../../src/local';

const REPO = path.join(__dirname, '..', '..');
const CLI = path.join(REPO, 'src', 'cli', 'byoa.ts');
const BASE_IMAGE = 'debian:bookworm-slim';

let work: string;
const assemblies: TestAssembly[] = [];
const extraContainers: string[] = [];

beforeAll(() => {
  requireDocker();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-test-tidy-'));
});

afterAll(() => {
  assemblies.forEach((a) => a.dispose());
  if (extraContainers.length) { spawnSync('docker', ['rm', '-f', ...extraContainers]); }
  fs.rmSync(work, { recursive: true, force: true });
});

function docker(...args: string[]): string {
  const res = spawnSync('docker', args, { encoding: 'utf8' });
  if (res.status !== 0) { throw new Error(`docker ${args.join(' ')}: ${res.stderr}`); }
  return res.stdout.trim();
}

/** The byoa-run-<pid>- temp folders of one process. */
function runTempDirs(pid: number): string[] {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`byoa-run-${pid}-`));
}

function containerExists(name: string): boolean {
  return spawnSync('docker', ['inspect', name], { stdio: 'ignore' }).status === 0;
}

/** The pid of a process that has exited (and so is free), as a SIGKILLed run's is. */
function deadPid(): number {
  const res = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(res.stdout);
}

/** A sleeping container labelled as local mode's, owned by `pid` on `host`. */
function labelledContainer(name: string, pid: number, host: string = os.hostname()): string {
  extraContainers.push(name);
  docker('run', '-d', '--name', name, '--network', 'none', '--label', 'byoa.local=true', '--label', `byoa.pid=${pid}`,
    '--label', `byoa.host=${host}`, BASE_IMAGE, 'sleep', '300');
  return name;
}

/** Starts `byoa local train` on a job that sleeps, and SIGKILLs it once the container runs: what a crash leaves. */
function killedTraining(workdir: string): Promise<{ pid: number; jobName: string }> {
  const a = makeAssembly(trainingRequest('sleep'));
  assemblies.push(a);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CLI, 'local', 'train', 'TestStack/Pipe', '--app', a.dir, '--workdir', workdir],
      { cwd: REPO });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /^\[(\S+)\] starting sleep/m.exec(stdout);
      if (m) { child.kill('SIGKILL'); resolve({ pid: child.pid!, jobName: m[1] }); }
    });
    child.on('close', () => reject(new Error(`the CLI ended before its container started:\n${stdout}`)));
  });
}

describe('byoa local tidy', () => {
  test('GIVEN a SIGKILLed run WHEN tidy THEN its container, job scratch and temp folder go; a live process\'s and another host\'s containers stay', async () => {
    // GIVEN what a killed CLI left, a container of this (live) process, and one of a dead pid on another host
    const workdir = path.join(work, 'killed');
    const killed = await killedTraining(workdir);
    const leftContainer = `byoa-${killed.jobName}-algo-1`;
    const scratch = path.join(workdir, killed.jobName, '.scratch');
    expect(containerExists(leftContainer)).toBe(true);
    expect(fs.existsSync(scratch)).toBe(true);
    const tempDirs = () => runTempDirs(killed.pid);
    expect(tempDirs()).toHaveLength(1);
    const live = labelledContainer(`byoa-tidy-live-${process.pid}`, process.pid);
    const elsewhere = labelledContainer(`byoa-tidy-elsewhere-${process.pid}`, deadPid(), 'another-host');
    // WHEN a dry run, then the real one
    const dry: string[] = [];
    expect(await main(['local', 'tidy', '--workdir', workdir, '--dry-run'], { out: (l) => dry.push(l), err: (l) => dry.push(l) })).toBe(0);
    expect(dry).toContain(`Would remove container ${leftContainer}`);
    expect(containerExists(leftContainer)).toBe(true);
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['local', 'tidy', '--workdir', workdir], { out: (l) => out.push(l), err: (l) => err.push(l) });
    // THEN what the dead run left is gone, and said so
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out).toContain(`Removed container ${leftContainer}`);
    expect(out).toContain(`Removed folder ${scratch}`);
    expect(containerExists(leftContainer)).toBe(false);
    expect(fs.existsSync(scratch)).toBe(false);
    expect(tempDirs()).toEqual([]);
    // the job's other files are the user's: kept
    expect(fs.existsSync(path.join(workdir, killed.jobName))).toBe(true);
    // THEN what a live process and another host own is kept
    expect(containerExists(live)).toBe(true);
    expect(containerExists(elsewhere)).toBe(true);
    // WHEN run again THEN nothing is left to do
    const again: string[] = [];
    expect(await main(['local', 'tidy', '--workdir', workdir], { out: (l) => again.push(l), err: (l) => again.push(l) })).toBe(0);
    expect(again.join('\n')).not.toContain(leftContainer);
  }, 120_000);

  test('GIVEN a SIGKILLed run WHEN the next run starts THEN it reaps what the dead one left, and says so', async () => {
    const workdir = path.join(work, 'reaped');
    const killed = await killedTraining(workdir);
    const leftContainer = `byoa-${killed.jobName}-algo-1`;
    expect(containerExists(leftContainer)).toBe(true);
    // WHEN the next run (of the same work dir) trains
    const a = makeAssembly(trainingRequest('quick'));
    assemblies.push(a);
    const progress: string[] = [];
    const runner = DockerRunner.fromCloudAssembly(a.dir, a.pipeline, {
      workDir: workdir,
      observer: { onLogLine: () => undefined, onMetric: () => undefined, onProgress: (m) => progress.push(m) },
    });
    const result = await runner.train();
    // THEN
    expect(result.status).toBe('Completed');
    expect(progress).toContainEqual(expect.stringMatching(new RegExp(`^Removed what runs that ended without tidying up left: 1 container\\(s\\) \\(${leftContainer}\\), 2 scratch folder\\(s\\)\\.$`)));
    // the two folders: the job's .scratch and the run's byoa-run-<pid>- temp folder
    expect(containerExists(leftContainer)).toBe(false);
    expect(fs.existsSync(path.join(workdir, killed.jobName, '.scratch'))).toBe(false);
    expect(runTempDirs(killed.pid)).toEqual([]);
  }, 120_000);

  test('tidy --help, and a usage error', async () => {
    const out: string[] = [];
    expect(await main(['local', 'tidy', '--help'], { out: (l) => out.push(l), err: (l) => out.push(l) })).toBe(0);
    expect(out.join('\n')).toMatch(/^Usage: byoa local tidy \[--workdir DIR\] \[--dry-run\]/);
    const err: string[] = [];
    expect(await main(['local', 'tidy', '--nope'], { out: (l) => err.push(l), err: (l) => err.push(l) })).toBe(2);
    expect(err.join('\n')).toMatch(/Unknown option '--nope'/);
  });
});
