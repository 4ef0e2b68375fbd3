/**
 * What an image asset build shows: one progress line per step, the full
 * output in a log file, the tail in the error of a failed build. Built by
 * the real engine from a small Dockerfile on the local base image.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DockerRunner } from '../../../src/local/docker-runner';
import { LocalModeError } from '../../../src/local/errors';
import { DockerCli } from '../../../src/local/private/docker';
import { assetImageTag, forgetPresentImages, prepareImage } from '../../../src/local/private/image';
import { buildStepOf, ImageBuildLog } from '../../../src/local/private/image-build-log';
import { FIXTURES, makeAssembly, requireDocker, trainingRequest } from '../local-test-helpers';

describe('buildStepOf', () => {
  test('reads the classic builder\'s and BuildKit\'s step lines', () => {
    expect(buildStepOf('Step 3/7 : RUN apt-get update')).toEqual({ step: 3, steps: 7, instruction: 'RUN apt-get update' });
    expect(buildStepOf('#6 [3/7] RUN pip install x')).toEqual({ step: 3, steps: 7, instruction: 'RUN pip install x' });
    expect(buildStepOf('#9 [builder 2/4] COPY . /src')).toEqual({ step: 2, steps: 4, instruction: 'COPY . /src' });
  });

  test('ignores every other line', () => {
    expect(buildStepOf(' ---> Running in 0a1b2c3d')).toBeUndefined();
    expect(buildStepOf('Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]')).toBeUndefined();
    expect(buildStepOf('#6 0.512 Step 3/7 : not at the start')).toBeUndefined();
  });
});

describe('ImageBuildLog', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-build-log-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a log file that cannot be created does not stop the build: the first line says why it is not kept', () => {
    // GIVEN the log folder would be inside a file
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, '');
    const lines: string[] = [];
    // WHEN
    const log = new ImageBuildLog({ tag: 'byoa-local/x:1', logDir: path.join(file, 'image-builds'), onLine: (l) => lines.push(l) });
    log.start('/ctx');
    log.onLine('Step 1/1 : FROM scratch', 'stdout');
    log.close();
    // THEN
    expect(log.file).toBeUndefined();
    expect(lines).toEqual([
      `Building image byoa-local/x:1 from /ctx (its full log is not kept: Creating the image build log ${path.join(file, 'image-builds', 'x-1.log')} `
        + 'failed: a part of the path is a file, not a folder (ENOTDIR).)',
      'Building image byoa-local/x:1: step 1 of 1: FROM scratch',
    ]);
  });

  test('a failure without output names the cause', () => {
    const log = new ImageBuildLog({ tag: 'byoa-local/x:1' });
    const e = log.failure(new Error('spawn docker ENOENT'));
    expect(e).toBeInstanceOf(LocalModeError);
    expect(e.message).toBe('Building the image byoa-local/x:1 failed.\nspawn docker ENOENT');
  });
});

describe('building an image asset with the real engine', () => {
  const docker = new DockerCli('docker');
  let assembly: string;
  let logDir: string;
  const tags: string[] = [];

  beforeAll(() => requireDocker());
  beforeEach(() => {
    assembly = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-build-test-'));
    logDir = path.join(assembly, 'work', 'image-builds');
    forgetPresentImages();
  });
  afterEach(() => fs.rmSync(assembly, { recursive: true, force: true }));
  afterAll(() => {
    for (const tag of tags) spawnSync('docker', ['rmi', '-f', tag]);
  });

  /**
   * A staged asset `asset.<random>` whose Dockerfile runs `steps` after
   * `FROM` and an `ENV` that defeats the engine's layer cache (a cached RUN
   * prints nothing). The engine adds a last step, the `byoa.local` label.
   */
  function asset(...steps: string[]) {
    const nonce = randomBytes(8).toString('hex');
    const directory = `asset.${nonce}`;
    fs.mkdirSync(path.join(assembly, directory));
    fs.writeFileSync(path.join(assembly, directory, 'Dockerfile'), ['FROM debian:bookworm-slim', `ENV NONCE=${nonce}`, ...steps].join('\n') + '\n');
    const spec = { kind: 'asset' as const, directory };
    tags.push(assetImageTag(spec));
    return spec;
  }

  const NOISY = 'RUN for i in $(seq 1 60); do echo "installing package $i"; done';

  test('shows one line per step and keeps every line in the log file', async () => {
    // GIVEN a build whose RUN prints 60 lines
    const spec = asset(NOISY, 'ENV DONE=1');
    const lines: string[] = [];
    // WHEN
    const tag = await prepareImage(spec, assembly, { docker, buildLogDir: logDir, onLine: (l) => lines.push(l) });
    // THEN the user saw the start and the steps, nothing of the RUN's output
    const file = path.join(logDir, `${tag.slice('byoa-local/'.length).replace(':', '-')}.log`);
    expect(lines).toEqual([
      `Building image ${tag} from ${path.join(assembly, spec.directory)} (full log: ${file})`,
      `Building image ${tag}: step 1 of 5: FROM debian:bookworm-slim`,
      `Building image ${tag}: step 2 of 5: ENV NONCE=${spec.directory.slice('asset.'.length)}`,
      `Building image ${tag}: step 3 of 5: ${NOISY}`,
      `Building image ${tag}: step 4 of 5: ENV DONE=1`,
      `Building image ${tag}: step 5 of 5: LABEL byoa.local=true`,
    ]);
    // and the log holds all of the RUN's output
    const log = fs.readFileSync(file, 'utf8');
    for (const i of [1, 30, 60]) expect(log).toContain(`installing package ${i}\n`);
    expect(spawnSync('docker', ['image', 'inspect', tag]).status).toBe(0);
  });

  test('with verbose, every line goes to the observer as well', async () => {
    const spec = asset(NOISY);
    const lines: string[] = [];
    await prepareImage(spec, assembly, { docker, buildLogDir: logDir, verbose: true, onLine: (l) => lines.push(l) });
    expect(lines.filter((l) => /^installing package \d+$/.test(l))).toHaveLength(60);
    expect(lines).toContain('Step 3/4 : ' + NOISY);
  });

  test('a failed build names its step, shows the last lines and where the full log is', async () => {
    // GIVEN a build whose third step fails after printing
    const spec = asset(NOISY, 'RUN echo "E: Unable to locate package no-such-package" >&2; exit 100');
    const lines: string[] = [];
    // WHEN
    const error = await prepareImage(spec, assembly, { docker, buildLogDir: logDir, onLine: (l) => lines.push(l) }).catch((e: Error) => e);
    // THEN
    expect(error).toBeInstanceOf(LocalModeError);
    const message = (error as Error).message;
    const tag = assetImageTag(spec);
    const file = path.join(logDir, `${tag.slice('byoa-local/'.length).replace(':', '-')}.log`);
    expect(message.split('\n')[0]).toBe(`Building the image ${tag} failed at step 4 of 5 `
      + '(RUN echo "E: Unable to locate package no-such-package" >&2; exit 100) (docker build exit code 100); '
      + `the full log is ${file}.`);
    expect(message).toMatch(/^--- last 25 lines of the build ---$/m);
    expect(message).toMatch(/^E: Unable to locate package no-such-package$/m);
    // the tail, not the whole output
    expect(message).not.toMatch(/^installing package 1$/m);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^installing package 1$/m);
    expect(lines.filter((l) => /^installing package/.test(l))).toEqual([]);
    expect(spawnSync('docker', ['image', 'inspect', tag]).status).not.toBe(0);
  });
});

describe('DockerRunner builds an image asset', () => {
  beforeAll(() => requireDocker());

  test('with one progress line per step, and its full log in WORKDIR/image-builds', async () => {
    // GIVEN the training fixture staged as a new asset (a nonce defeats the layer cache)
    const nonce = randomBytes(8).toString('hex');
    const directory = `asset.${nonce}`;
    const a = makeAssembly(trainingRequest('ok'), { image: { kind: 'asset', directory } });
    fs.cpSync(path.join(FIXTURES, 'training'), path.join(a.dir, directory), { recursive: true });
    fs.appendFileSync(path.join(a.dir, directory, 'Dockerfile'), `ENV NONCE=${nonce}\n`);
    const tag = assetImageTag({ kind: 'asset', directory });
    const workDir = path.join(a.dir, 'work');
    const progress: string[] = [];
    const logs: string[] = [];
    try {
      // WHEN it trains
      const runner = DockerRunner.fromCloudAssembly(a.dir, a.pipeline, {
        workDir, observer: { onProgress: (m) => progress.push(m), onLogLine: (e) => logs.push(e.line), onMetric: () => undefined },
      });
      const res = await runner.train();
      // THEN the job ran on the new image, whose build showed its steps only (FROM, COPY, RUN, ENTRYPOINT, ENV, the engine's LABEL)
      expect(res.status).toBe('Completed');
      const steps = progress.filter((m) => m.startsWith(`Building image ${tag}: step `));
      expect(steps.map((m) => /step (\d+ of \d+)/.exec(m)![1])).toEqual(['1 of 6', '2 of 6', '3 of 6', '4 of 6', '5 of 6', '6 of 6']);
      expect(progress.some((m) => /Removing intermediate container|Successfully built/.test(m))).toBe(false);
      const log = fs.readFileSync(path.join(workDir, 'image-builds', `${tag.slice('byoa-local/'.length).replace(':', '-')}.log`), 'utf8');
      expect(log).toMatch(/^Successfully tagged byoa-local\/asset\./m);
    } finally {
      spawnSync('docker', ['rmi', '-f', tag]);
      a.dispose();
    }
  });
});
