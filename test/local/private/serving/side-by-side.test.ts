/**
 * Serving containers of DIFFERENT processes started at the same time, on an
 * engine without a bridge network (host networking): each gets its own port
 * (claimed across processes), each health check talks to its own container,
 * and the job names the two processes give in the same millisecond differ.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { containerStateArgs } from '../../../../src/local/private/docker';
import { LoopbackClient } from '../../../../src/local/private/serving/loopback-http';
import { portClaimDir, processAlive, tryClaimPort } from '../../../../src/local/private/serving/port-claim';
import { listenerBelongsTo } from '../../../../src/local/private/serving/port-owner';
import { ServingContainer } from '../../../../src/local/private/serving/serving-container';
import { createJobFolder } from '../../../../src/local/private/work-dir';
import { buildServingImage, ownContainers, SERVING_IMAGE, tempDir, testDocker } from '../../fixtures/serving/fixture';
import { requireDocker } from '../../local-test-helpers';

const CHILD = path.join(__dirname, '..', '..', 'fixtures', 'serving', 'serve-child.ts');
const ROOT = path.join(__dirname, '..', '..', '..', '..');

interface Child {
  readonly proc: ChildProcess;
  /** Resolves with the child's lines up to READY or FAILED. */
  readonly ready: Promise<string[]>;
  readonly exited: Promise<number | null>;
}

function startChild(id: string, instant: string): Child {
  const proc = spawn(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', '--project', 'test/tsconfig.json', CHILD, id, instant],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const ready = new Promise<string[]>((resolve) => {
    let buffer = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (/^(READY|FAILED) /.test(line)) resolve(lines);
      }
    });
    proc.once('close', () => resolve(lines));
  });
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  return { proc, ready, exited };
}

beforeAll(async () => {
  requireDocker();
  await buildServingImage();
});

describe('side by side in different processes', () => {
  test('GIVEN two processes WHEN each starts a serving container at the same time THEN each serves on its own port from its own container, and their job names differ', async () => {
    // GIVEN / WHEN
    const instant = '2034-05-06T07:08:09.010Z';
    const children = [startChild('first', instant), startChild('second', instant)];
    try {
      const outputs = await Promise.all(children.map((c) => c.ready));
      // THEN both are healthy
      const ready = outputs.map((lines) => lines.find((l) => l.startsWith('READY ')) ?? lines.join(' / '));
      expect(ready[0]).toMatch(/^READY \d+ /);
      expect(ready[1]).toMatch(/^READY \d+ /);
      const ports = ready.map((l) => Number(l.split(' ')[1]));
      expect(ports[0]).not.toBe(ports[1]);
      // each port answers from the container of its own process
      for (const [i, id] of ['first', 'second'].entries()) {
        const answer = await new LoopbackClient(ports[i], 1, false).request('POST', '/invocations', 5000, Buffer.from('x'));
        expect(JSON.parse(answer.body.toString('utf8')).MODEL_ID).toBe(id);
      }
      // the job names of the same prefix and millisecond differ (by the process id)
      const jobs = outputs.map((lines) => lines.find((l) => l.startsWith('JOB '))!.slice(4));
      expect(jobs[0]).toMatch(/^side-by-side-20340506070809010-[0-9a-z]+$/);
      expect(jobs[1]).toMatch(/^side-by-side-20340506070809010-[0-9a-z]+$/);
      expect(jobs[0]).not.toBe(jobs[1]);
    } finally {
      children.forEach((c) => c.proc.stdin!.end());
      await Promise.all(children.map((c) => c.exited));
    }
    // and each process removed its own container and gave its port claim up
    const left = await Promise.all(children.map((c) => ownContainers(undefined, c.proc.pid!)));
    expect(left).toEqual([[], []]);
    const claims = fs.existsSync(portClaimDir()) ? fs.readdirSync(portClaimDir()) : [];
    for (const c of children) {
      expect(claims.filter((f) => fs.readFileSync(path.join(portClaimDir(), f), 'utf8').startsWith(`${c.proc.pid} `))).toEqual([]);
    }
  }, 120_000);

  test('GIVEN port 8080 claimed by another live process WHEN a container starts THEN it is given another port', async () => {
    // GIVEN a claim on 8080 held by a live process (a child that just waits)
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const file = path.join(portClaimDir(), '8080.claim');
    fs.mkdirSync(portClaimDir(), { recursive: true });
    const ownClaim = tryClaimPort(8080);
    ownClaim?.release();
    expect(ownClaim).toBeDefined(); // nobody else holds 8080 while we hold the docker lock
    fs.writeFileSync(file, `${holder.pid} test-holder\n`, { flag: 'wx' });
    let serving: ServingContainer | undefined;
    try {
      // WHEN
      serving = await ServingContainer.start({
        docker: testDocker,
        image: SERVING_IMAGE,
        environment: { FIXTURE_MODE: 'env', FIXTURE_BIND_HOST: '127.0.0.1' },
        startupTimeoutMs: 30_000,
        stopGraceSeconds: 1,
        namePrefix: 'byoa-test-claimed',
      });
      // THEN
      expect(serving.port).not.toBe(8080);
      const answer = await serving.request('POST', '/invocations', 5000, Buffer.from('x'));
      expect(JSON.parse(answer.body.toString('utf8')).SAGEMAKER_BIND_TO_PORT).toBe(String(serving.port));
      expect(tryClaimPort(serving.port)).toBeUndefined(); // held by this process until it stops
    } finally {
      await serving?.stop();
      fs.rmSync(file, { force: true });
      holder.kill();
    }
    expect(await ownContainers()).toEqual([]);
  });

  test('GIVEN a claim left by a process that is gone WHEN claiming THEN it is taken over; a live claim is not', async () => {
    // GIVEN a dead pid (a child that has exited)
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => dead.once('close', resolve));
    expect(processAlive(dead.pid!)).toBe(false);
    const port = 40000 + (process.pid % 1000);
    fs.mkdirSync(portClaimDir(), { recursive: true });
    const file = path.join(portClaimDir(), `${port}.claim`);
    fs.writeFileSync(file, `${dead.pid} stale\n`);
    // WHEN
    const claim = tryClaimPort(port);
    // THEN
    expect(claim).toBeDefined();
    expect(fs.readFileSync(file, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    expect(tryClaimPort(port)).toBeUndefined();
    claim!.release();
    expect(fs.existsSync(file)).toBe(false);
  });

  test('the listener on a port is known to be the container\'s own, or another program\'s', async () => {
    // GIVEN a serving container, and a foreign HTTP server of this process
    const serving = await ServingContainer.start({
      docker: testDocker,
      image: SERVING_IMAGE,
      environment: { FIXTURE_MODE: 'env', FIXTURE_BIND_HOST: '127.0.0.1' },
      startupTimeoutMs: 30_000,
      stopGraceSeconds: 1,
      namePrefix: 'byoa-test-owner',
    });
    const foreign = http.createServer((_, res) => res.end('ok'));
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const foreignPort = (foreign.address() as { port: number }).port;
    try {
      const pid = Number((await testDocker.run(containerStateArgs(serving.name))).stdout.split(' ')[0]);
      // WHEN / THEN
      expect(listenerBelongsTo(serving.port, pid)).toEqual({ kind: 'own' });
      expect(listenerBelongsTo(foreignPort, pid)).toMatchObject({ kind: 'other', pid: process.pid });
    } finally {
      foreign.close();
      await serving.stop();
    }
  });
});

describe('job folders', () => {
  test('GIVEN a job folder another run created WHEN a run creates the same THEN it fails naming the folder and removes nothing', () => {
    const work = tempDir('byoa-jobdir-test-');
    try {
      const dir = path.join(work.dir, 'nested', 'job-1');
      createJobFolder(dir);
      fs.writeFileSync(path.join(dir, 'theirs.txt'), 'x');
      expect(() => createJobFolder(dir)).toThrow(new RegExp(`job folder ${dir.replace(/[/.]/g, '\\$&')} exists already: another run owns it`));
      expect(fs.readFileSync(path.join(dir, 'theirs.txt'), 'utf8')).toBe('x');
    } finally {
      work.remove();
    }
  });
});
