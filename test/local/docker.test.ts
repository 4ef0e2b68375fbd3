import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireDocker } from './local-test-helpers';
import {
  buildRunArgs, CommandError, dockerExecutable, ensureDockerEngine, freeLoopbackPort, LineSplitter, runProcess,
  setDockerExecutable, startDetachedContainer, cleanupRegistry,
} from '../../src/local/docker';

afterEach(() => setDockerExecutable(undefined));

describe('buildRunArgs', () => {
  test('builds every option into one argument list', () => {
    // WHEN
    const args = buildRunArgs({
      image: 'img:1',
      name: 'c1',
      autoRemove: true,
      labels: { 'byoa.job': 'j' },
      entrypoint: '/bin/sh',
      args: ['-c', 'echo hi'],
      env: { A: '1', B: 'x=y' },
      mounts: [{ hostPath: '/h/a', containerPath: '/c/a', readOnly: true }, { hostPath: '/h/with,comma', containerPath: '/c/b' }],
      network: 'host',
      hostname: 'algo-1',
      addHosts: [{ name: 'algo-2', ip: '127.0.1.2' }],
      user: '0:0',
      publish: [{ hostPort: 4000, containerPort: 8080 }],
      stopTimeoutSeconds: 30,
    });
    // THEN
    expect(args).toEqual([
      'run', '--rm', '--name', 'c1', '--label', 'byoa.local=true', '--label', 'byoa.job=j',
      '--network', 'host', '--hostname', 'algo-1', '--add-host', 'algo-2:127.0.1.2', '--user', '0:0',
      '--stop-timeout', '30', '-p', '127.0.0.1:4000:8080',
      '--mount', 'type=bind,source=/h/a,target=/c/a,readonly',
      '--mount', 'type=bind,"source=/h/with,comma",target=/c/b',
      '-e', 'A=1', '-e', 'B=x=y', '--entrypoint', '/bin/sh', 'img:1', '-c', 'echo hi',
    ]);
  });

  test('detach and a minimal container', () => {
    expect(buildRunArgs({ image: 'i', detach: true })).toEqual(['run', '-d', '--label', 'byoa.local=true', 'i']);
  });
});

describe('process helper', () => {
  test('a failing command throws with the command, exit code and stderr tail', async () => {
    const err = await runProcess('sh', ['-c', 'echo out; echo first >&2; echo last >&2; exit 4']).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err.exitCode).toBe(4);
    expect(err.command).toBe('sh -c \'echo out; echo first >&2; echo last >&2; exit 4\'');
    expect(err.stderrTail).toBe('first\nlast');
    expect(err.message).toMatch(/Command failed \(exit code 4\): sh -c/);
  });

  test('a missing executable is a CommandError too', async () => {
    await expect(runProcess('/no/such/binary', [])).rejects.toThrow(/could not be started/);
  });

  test('streams lines of both streams and passes stdin', async () => {
    const lines: string[] = [];
    const res = await runProcess('sh', ['-c', 'cat; printf "a\\r\\nb"; echo err >&2'], { input: 'in\n', onLine: (l, s) => lines.push(`${s}:${l}`) });
    expect(res.exitCode).toBe(0);
    expect(lines.sort()).toEqual(['stderr:err', 'stdout:a', 'stdout:b', 'stdout:in']);
  });

  test('LineSplitter joins lines split across chunks, UTF-8 safe', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('héllo\nwor');
    s.push(bytes.subarray(0, 2));
    s.push(bytes.subarray(2));
    s.push(Buffer.from('ld\n'));
    s.end();
    expect(lines).toEqual(['héllo', 'world']);
  });
});

describe('engine detection', () => {
  test('honours CDK_DOCKER', () => {
    const saved = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/opt/podman/bin/podman';
    setDockerExecutable(undefined);
    try {
      expect(dockerExecutable()).toBe('/opt/podman/bin/podman');
    } finally {
      if (saved === undefined) { delete process.env.CDK_DOCKER; } else { process.env.CDK_DOCKER = saved; }
      setDockerExecutable(undefined);
    }
    expect(dockerExecutable()).toBe(saved || 'docker');
  });

  test('a CLI whose engine does not answer gives a clear error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-test-fakedocker-'));
    const fake = path.join(dir, 'docker');
    fs.writeFileSync(fake, '#!/bin/sh\necho "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2\nexit 1\n', { mode: 0o755 });
    try {
      setDockerExecutable(fake);
      await expect(ensureDockerEngine()).rejects.toThrow(/needs a running Docker engine.*Cannot connect to the Docker daemon/s);
      setDockerExecutable('/no/such/docker');
      await expect(ensureDockerEngine()).rejects.toThrow(/Docker CLI '\/no\/such\/docker' could not be started.*CDK_DOCKER/s);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the real engine answers and reports its networks', async () => {
    requireDocker();
    const info = await ensureDockerEngine();
    expect(info.serverVersion).toMatch(/^\d+\./);
    expect(typeof info.hasBridge).toBe('boolean');
  });
});

describe('containers', () => {
  beforeAll(requireDocker);

  test('a detached container streams logs, reports its exit code and is removed', async () => {
    // GIVEN
    const lines: string[] = [];
    const name = `byoa-test-detached-${process.pid}`;
    // WHEN
    const c = await startDetachedContainer({ image: 'debian:bookworm-slim', name, network: 'none', args: ['sh', '-c', 'echo one; echo two >&2; exit 3'] },
      (l, s) => lines.push(`${s}:${l}`));
    const code = await c.exited;
    await c.remove();
    // THEN
    expect(code).toBe(3);
    expect(lines.sort()).toEqual(['stderr:two', 'stdout:one']);
    expect(cleanupRegistry.pending().containers).not.toContain(name);
  });

  test('stop sends SIGTERM, then SIGKILL after the grace period', async () => {
    const name = `byoa-test-stop-${process.pid}`;
    const c = await startDetachedContainer({ image: 'debian:bookworm-slim', name, network: 'none', args: ['sh', '-c', 'trap "" TERM; sleep 60'] });
    const started = Date.now();
    await c.stop(1);
    const code = await c.exited;
    await c.remove();
    expect(code).toBe(137);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  test('freeLoopbackPort returns a bindable port', async () => {
    const port = await freeLoopbackPort();
    expect(port).toBeGreaterThan(1023);
  });
});
