import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  buildRunArgs, CleanupRegistry, CommandError, DockerCli, envFileEntries, freeLoopbackPort, OutputLineSplitter,
  ownershipRunArgs, restoreOwnership, runContainer, runProcess, startDetachedContainer, cleanupRegistry,
} from '../../../../src/local/private/docker';
import { requireDocker } from '../../local-test-helpers';

/** The label local mode puts on every container of this process. */
const PID = `byoa.pid=${process.pid}`;
/** The host label of every container of this process. */
const HOST = `byoa.host=${os.hostname()}`;

/** The real modules (not the import wrappers), so their functions can be spied on as the code under test calls them. */
const realFs = jest.requireActual<typeof import('fs')>('fs');
const realChildProcess = jest.requireActual<typeof import('child_process')>('child_process');

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
      'run', '--rm', '--name', 'c1', '--label', 'byoa.local=true', '--label', PID, '--label', HOST, '--label', 'byoa.job=j',
      '--network', 'host', '--hostname', 'algo-1', '--add-host', 'algo-2:127.0.1.2', '--user', '0:0',
      '--stop-timeout', '30', '-p', '127.0.0.1:4000:8080',
      '--mount', 'type=bind,source=/h/a,target=/c/a,readonly',
      '--mount', 'type=bind,"source=/h/with,comma",target=/c/b',
      '-e', 'A=1', '-e', 'B=x=y', '--entrypoint', '/bin/sh', 'img:1', '-c', 'echo hi',
    ]);
  });

  test('detach and a minimal container', () => {
    expect(buildRunArgs({ image: 'i', detach: true })).toEqual(['run', '-d', '--label', 'byoa.local=true', '--label', PID, '--label', HOST, 'i']);
  });

  test('with envFileDir the environment goes into an env-file, except what a line-based file cannot hold', () => {
    // WHEN
    const args = buildRunArgs({
      image: 'i',
      name: 'job-algo-1',
      envFileDir: '/scratch',
      env: { SECRET: 's3cr3t', MULTI: 'line1\nline2', CR: 'x\r', EMPTY: '' },
    });
    // THEN only the values with line breaks are on the command line
    expect(args).toEqual([
      'run', '--name', 'job-algo-1', '--label', 'byoa.local=true', '--label', PID, '--label', HOST,
      '--env-file', '/scratch/job-algo-1.env', '-e', 'MULTI=line1\nline2', '-e', 'CR=x\r', 'i',
    ]);
    expect(args.join(' ')).not.toContain('s3cr3t');
    expect(envFileEntries({ 'A': '1', '#B': '2', 'C D': '3', 'E': 'a\nb' })).toEqual({
      file: [['A', '1']],
      inline: [['#B', '2'], ['C D', '3'], ['E', 'a\nb']],
    });
    // AND without anything for the file, no env-file
    expect(buildRunArgs({ image: 'i', envFileDir: '/scratch', env: { M: 'a\nb' } })).toEqual(['run', '--label', 'byoa.local=true', '--label', PID, '--label', HOST, '-e', 'M=a\nb', 'i']);
  });
});

describe('file ownership and temp-folder removal (as a non-root user; the docker CLI is a recording fake)', () => {
  let dir: string;
  let log: string;
  let fake: string;
  const warnings: string[] = [];
  const registry = new CleanupRegistry();
  registry.onWarning = (m) => warnings.push(m);

  /** Each docker call of the fake, as its argument list. */
  function fakeCalls(): string[][] {
    if (!fs.existsSync(log)) { return []; }
    return fs.readFileSync(log, 'utf8').split('---\n').filter((c) => c).map((c) => c.split('\n').filter((l) => l));
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-test-owner-'));
    log = path.join(dir, 'calls.log');
    fake = path.join(dir, 'fake-docker');
    fs.writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\necho --- >> '${log}'\nexit 0\n`, { mode: 0o755 });
    warnings.length = 0;
    jest.spyOn(process, 'getuid').mockReturnValue(1000);
    jest.spyOn(process, 'getgid').mockReturnValue(1001);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('restoreOwnership runs chown -R uid:gid as root in a throw-away container of the job image, without network', async () => {
    // GIVEN a folder a container wrote into
    const written = path.join(dir, 'scratch');
    fs.mkdirSync(written);
    // WHEN
    const problem = await restoreOwnership(new DockerCli(fake), [written, path.join(dir, 'gone')], 'algo:1');
    // THEN one docker run with exactly these arguments (the missing folder is skipped)
    expect(problem).toBeUndefined();
    expect(fakeCalls()).toEqual([[
      'run', '--rm', '--label', 'byoa.local=true', '--label', PID, '--label', HOST, '--network', 'none', '--user', '0:0',
      '--mount', `type=bind,source=${written},target=/byoa-chown/0`, '--entrypoint', 'chown', 'algo:1', '-R', '1000:1001', '/byoa-chown/0',
    ]]);
    expect(fakeCalls()[0]).toEqual(ownershipRunArgs([written], 'algo:1', 1000, 1001));
  });

  test('restoreOwnership is a no-op as root', async () => {
    jest.spyOn(process, 'getuid').mockReturnValue(0);
    await restoreOwnership(new DockerCli(fake), [dir], 'algo:1');
    expect(fakeCalls()).toEqual([]);
  });

  test('cleanup: a folder rm cannot remove is given back with the image it was registered with, then removed', async () => {
    // GIVEN a registered folder whose first removal fails as with root-owned files
    const scratch = path.join(dir, 'job-scratch');
    fs.mkdirSync(path.join(scratch, 'model'), { recursive: true });
    registry.trackDir(scratch, { image: 'algo:1', docker: new DockerCli(fake) });
    const realRm = fs.promises.rm;
    const rm = jest.spyOn(fs.promises, 'rm').mockImplementationOnce(async () => {
      throw Object.assign(new Error(`EACCES: permission denied, unlink '${scratch}/model/x'`), { code: 'EACCES' });
    }).mockImplementation(realRm);
    // WHEN (the folder remembers the CLI it was registered with)
    await registry.cleanup({ dirs: [scratch] });
    // THEN chown ran through the fake CLI, the retry removed the folder, no warning
    expect(rm).toHaveBeenCalledTimes(2);
    expect(fakeCalls()).toEqual([ownershipRunArgs([scratch], 'algo:1', 1000, 1001)]);
    expect(fs.existsSync(scratch)).toBe(false);
    expect(warnings).toEqual([]);
    expect(registry.pending().dirs).toEqual([]);
  });

  test('cleanup: a folder that still cannot be removed is a warning naming the path, never silent', async () => {
    const scratch = path.join(dir, 'stuck');
    fs.mkdirSync(scratch);
    registry.trackDir(scratch, { image: 'algo:1', docker: new DockerCli(fake) });
    jest.spyOn(fs.promises, 'rm').mockRejectedValue(new Error('EACCES: permission denied'));
    await registry.cleanup({ dirs: [scratch] });
    expect(fakeCalls()).toHaveLength(1);
    expect(warnings).toEqual([
      `could not remove the temporary folder ${scratch}: EACCES: permission denied. Remove it by hand (it may hold files a container wrote as root).`,
    ]);
  });

  test('cleanupSync (the signal path) gives a folder back with a synchronous docker run, then removes it', () => {
    // GIVEN
    const scratch = path.join(dir, 'sync-scratch');
    fs.mkdirSync(scratch);
    const syncRegistry = new CleanupRegistry();
    syncRegistry.onWarning = (m) => warnings.push(m);
    syncRegistry.trackDir(scratch, { image: 'algo:1', docker: new DockerCli(fake) });
    const realRmSync = realFs.rmSync;
    const spawned = jest.spyOn(realChildProcess, 'spawnSync');
    const rmSync = jest.spyOn(realFs, 'rmSync').mockImplementationOnce(() => {
      throw new Error('EACCES: permission denied');
    }).mockImplementation(realRmSync);
    // WHEN
    syncRegistry.cleanupSync();
    // THEN
    expect(rmSync).toHaveBeenCalledTimes(2);
    expect(spawned).toHaveBeenCalledWith(fake, ownershipRunArgs([scratch], 'algo:1', 1000, 1001), expect.anything());
    expect(fakeCalls()).toEqual([ownershipRunArgs([scratch], 'algo:1', 1000, 1001)]);
    expect(fs.existsSync(scratch)).toBe(false);
    expect(warnings).toEqual([]);
    // AND a folder registered without an image that cannot be removed is a warning
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    syncRegistry.trackDir(other);
    rmSync.mockImplementation(() => { throw new Error('EBUSY: resource busy'); });
    syncRegistry.cleanupSync();
    expect(warnings).toEqual([`could not remove the temporary folder ${other}: EBUSY: resource busy. Remove it by hand (it may hold files a container wrote as root).`]);
    rmSync.mockRestore();
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

  test('OutputLineSplitter joins lines split across chunks, UTF-8 safe', () => {
    const lines: string[] = [];
    const s = new OutputLineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('héllo\nwor');
    s.push(bytes.subarray(0, 2));
    s.push(bytes.subarray(2));
    s.push(Buffer.from('ld\n'));
    s.end();
    expect(lines).toEqual(['héllo', 'world']);
  });
});

describe('engine detection', () => {
  test('a CLI whose engine does not answer gives a clear error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-test-fakedocker-'));
    const fake = path.join(dir, 'docker');
    fs.writeFileSync(fake, '#!/bin/sh\necho "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2\nexit 1\n', { mode: 0o755 });
    try {
      await expect(new DockerCli(fake).engine()).rejects.toThrow(/needs a running Docker engine.*Cannot connect to the Docker daemon/s);
      await expect(new DockerCli('/no/such/docker').engine()).rejects.toThrow(/Docker CLI '\/no\/such\/docker' could not be started.*CDK_DOCKER/s);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the real engine answers and reports its networks', async () => {
    requireDocker();
    const info = await DockerCli.fromEnvironment().engine();
    expect(info.serverVersion).toMatch(/^\d+\./);
    expect(typeof info.hasBridge).toBe('boolean');
  });
});

describe('containers', () => {
  beforeAll(requireDocker);
  const docker = DockerCli.fromEnvironment();

  test('a detached container streams logs, reports its exit code and is removed', async () => {
    // GIVEN
    const lines: string[] = [];
    const name = `byoa-test-detached-${process.pid}`;
    // WHEN
    const c = await startDetachedContainer(docker, { image: 'debian:bookworm-slim', name, network: 'none', args: ['sh', '-c', 'echo one; echo two >&2; exit 3'] },
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
    const c = await startDetachedContainer(docker, { image: 'debian:bookworm-slim', name, network: 'none', args: ['sh', '-c', 'trap "" TERM; sleep 60'] });
    const started = Date.now();
    await c.stop(1);
    const code = await c.exited;
    await c.remove();
    expect(code).toBe(137);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  test('the environment reaches the container through a 0600 env-file that is deleted afterwards, never through the command line', async () => {
    // GIVEN values an env-file must carry exactly, and one it cannot (a line break)
    const env = {
      SECRET: 's3cr3t-value',
      SPACES: '  leading and trailing  ',
      QUOTES: '"double" \'single\' $HOME `x` \\back',
      HASH: '#not a comment',
      EQUALS: 'a=b=c',
      UNICODE: 'héllo ✓',
      EMPTY: '',
      MULTI: 'line1\nline2',
    };
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-test-envout-'));
    const envDir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-test-envdir-'));
    const name = `byoa-test-env-${process.pid}`;
    const spawned = jest.spyOn(realChildProcess, 'spawn');
    try {
      // WHEN
      const c = runContainer(docker, {
        image: 'debian:bookworm-slim',
        name,
        autoRemove: true,
        network: 'none',
        env,
        envFileDir: envDir,
        mounts: [{ hostPath: out, containerPath: '/out' }],
        entrypoint: 'sh',
        args: ['-c', 'env -0 > /out/env'],
      });
      const envFile = path.join(envDir, `${name}.env`);
      // THEN while it runs the env-file is readable by this user only
      expect((fs.statSync(envFile).mode % 0o1000).toString(8)).toBe('600');
      expect(await c.exited).toBe(0);
      // THEN the container saw every value exactly
      const seen = Object.fromEntries(fs.readFileSync(path.join(out, 'env'), 'utf8').split('\0').filter((e) => e)
        .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
      for (const [k, v] of Object.entries(env)) { expect([k, seen[k]]).toEqual([k, v]); }
      // THEN no value but the multi-line one was on docker's command line, and the env-file is gone
      const runCall = spawned.mock.calls.find(([, args]) => (args as string[])[0] === 'run')!;
      const commandLine = (runCall[1] as string[]).join(' ');
      expect(commandLine).toContain(`--env-file ${envFile}`);
      expect(commandLine).not.toContain('s3cr3t');
      expect(commandLine).toContain('-e MULTI=line1\nline2');
      expect(fs.existsSync(envFile)).toBe(false);
    } finally {
      spawned.mockRestore();
      fs.rmSync(out, { recursive: true, force: true });
      fs.rmSync(envDir, { recursive: true, force: true });
    }
  });

  test('a detached container without envFileDir uses a private env-file removed once it started', async () => {
    const name = `byoa-test-envdetached-${process.pid}`;
    const lines: string[] = [];
    const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('byoa-env-'));
    const c = await startDetachedContainer(docker, { image: 'debian:bookworm-slim', name, network: 'none', env: { TOKEN: 'abc def' }, args: ['sh', '-c', 'echo "[$TOKEN]"'] },
      (l) => lines.push(l));
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('byoa-env-'))).toEqual(before);
    expect(await c.exited).toBe(0);
    await c.remove();
    expect(lines).toEqual(['[abc def]']);
  });

  test('freeLoopbackPort returns a bindable port', async () => {
    const port = await freeLoopbackPort();
    expect(port).toBeGreaterThan(1023);
  });
});
