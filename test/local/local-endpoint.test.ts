import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { buildServingImage, modelTempDirs, ownContainers, SERVING_IMAGE, tempDir, testDocker } from './fixtures/serving/fixture';
import { makeAssembly, trainingRequest } from './local-test-helpers';
import { DockerRunner } from '../../src/local/docker-runner';
import { LocalModeError, ModelError } from '../../src/local/errors';
import { LocalEndpoint } from '../../src/local/local-endpoint';
import { runProcess } from '../../src/local/private/docker';

const LABEL = 'byoa.endpoint';
const base = { FIXTURE_BIND_HOST: '127.0.0.1' };
const short = { startupHealthCheckTimeout: Duration.seconds(20), stopGracePeriod: Duration.seconds(2) };

let workDir: { dir: string; remove: () => void };
let modelTarGz: string;
const started: LocalEndpoint[] = [];

async function start(environment: { [key: string]: string }, extra: Partial<Parameters<typeof LocalEndpoint.start>[0]> = {}): Promise<LocalEndpoint> {
  const endpoint = await LocalEndpoint.start({ image: SERVING_IMAGE, environment: { ...base, ...environment }, ...short, ...extra });
  started.push(endpoint);
  return endpoint;
}

beforeAll(async () => {
  await buildServingImage();
  workDir = tempDir('byoa-hosting-test-');
  const src = path.join(workDir.dir, 'model');
  fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(src, 'weights.txt'), 'w=42');
  fs.writeFileSync(path.join(src, 'sub', 'vocab.txt'), 'a b c');
  modelTarGz = path.join(workDir.dir, 'model.tar.gz');
  await runProcess('tar', ['-czf', modelTarGz, '-C', src, 'weights.txt', 'sub']);
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.stop()));
});

afterAll(async () => {
  workDir?.remove();
  // THEN (for every test): nothing of ours is left behind
  expect(await ownContainers()).toEqual([]);
  expect(modelTempDirs()).toEqual([]);
});

describe('LocalEndpoint', () => {
  test('GIVEN a model archive and a slow /ping WHEN started THEN it waits for health and serves only the archive contents', async () => {
    // GIVEN
    const lines: string[] = [];
    // WHEN
    const t0 = Date.now();
    const endpoint = await start({ FIXTURE_MODE: 'model', FIXTURE_PING_DELAY: '1.5' }, {
      modelArtifact: modelTarGz,
      endpointName: 'modelcheck',
      logSink: { writeLine: (l) => lines.push(l) },
    });
    const result = await endpoint.invoke('{}', { contentType: 'application/json' });
    // THEN
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(JSON.parse(result.body)).toEqual({ 'weights.txt': 'w=42', 'sub/vocab.txt': 'a b c' });
    expect(result.statusCode).toBe(200);
    expect(result.contentType).toBe('application/json');
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.some((l) => l.startsWith('[modelcheck] fixture: serving mode model'))).toBe(true);
    // WHEN stopped THEN the container and the model folder are gone
    await endpoint.stop();
    expect(await ownContainers(`${LABEL}=modelcheck`)).toEqual([]);
    expect(modelTempDirs()).toEqual([]);
  });

  test('GIVEN a model archive WHEN served THEN /opt/ml/model is mounted read-only (the server cannot change the model)', async () => {
    // GIVEN
    const endpoint = await start({ FIXTURE_MODE: 'model' }, { modelArtifact: modelTarGz, endpointName: 'readonly' });
    // WHEN the serving container tries to write into /opt/ml/model
    const write = await testDocker.run(['exec', endpoint.containerName, 'sh', '-c', 'echo x > /opt/ml/model/weights.txt; touch /opt/ml/model/new'], { check: false });
    const mounts = JSON.parse((await testDocker.run(['inspect', '--format', '{{json .Mounts}}', endpoint.containerName])).stdout);
    // THEN it fails with EROFS, the mount is read-only, and the model is unchanged
    expect(write.exitCode).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
    expect(mounts).toEqual([expect.objectContaining({ Destination: '/opt/ml/model', RW: false })]);
    const result = await endpoint.invoke('{}', { contentType: 'application/json' });
    expect(JSON.parse(result.body)).toEqual({ 'weights.txt': 'w=42', 'sub/vocab.txt': 'a b c' });
  });

  test('GIVEN an endpoint config with several variants WHEN started by the runner THEN a note says only the first is served', async () => {
    // GIVEN a run spec whose image is the serving fixture and whose endpoint config has two variants
    const assembly = makeAssembly(trainingRequest('quick'), {
      image: { kind: 'repository', imageUri: SERVING_IMAGE },
      model: { ModelName: 'm', PrimaryContainer: { Image: 'ignored', Environment: { ...base, FIXTURE_MODE: 'upper' } } },
      endpointConfig: {
        EndpointConfigName: 'cfg',
        ProductionVariants: [
          { VariantName: 'blue', ModelName: 'm', InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 },
          { VariantName: 'green', ModelName: 'm', InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 },
        ],
      },
      endpointName: 'variants',
    });
    const progress: string[] = [];
    const observer = { onLogLine: () => undefined, onMetric: () => undefined, onProgress: (m: string) => progress.push(m) };
    try {
      // WHEN
      const endpoint = await DockerRunner.fromCloudAssembly(assembly.dir, assembly.pipeline, { observer })
        .startEndpoint({ modelArtifact: modelTarGz, ...short });
      started.push(endpoint);
      // THEN it serves (the first variant) and said so
      expect((await endpoint.invoke('hello')).body).toBe('HELLO');
      expect(progress).toContain('Note: the endpoint config has 2 production variants (\'blue\', \'green\'); local mode serves only the first, '
        + '\'blue\', and sends every invocation to it (no traffic split).');
    } finally {
      assembly.dispose();
    }
  });

  test('GIVEN a container that dies at start WHEN started THEN it fails at once with its last log lines', async () => {
    // WHEN
    const t0 = Date.now();
    const error = await start({ FIXTURE_EXIT_AT_START: '1' }, { startupHealthCheckTimeout: Duration.seconds(60), endpointName: 'dead' })
      .then(() => undefined, (e: Error) => e);
    // THEN
    expect(error).toBeInstanceOf(LocalModeError);
    expect(error!.message).toMatch(/exited with code 3 before answering GET \/ping/);
    expect(error!.message).toMatch(/loading the model failed: no such file model.bin/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(await ownContainers(`${LABEL}=dead`)).toEqual([]);
  });

  test('GIVEN a /ping that never answers 200 WHEN the startup timeout passes THEN a clear error', async () => {
    const error = await start({ FIXTURE_PING_DELAY: '600' }, { startupHealthCheckTimeout: Duration.seconds(3), endpointName: 'unhealthy' })
      .then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/did not become healthy within 3 s: GET http:\/\/127\.0\.0\.1:\d+\/ping .* last got: it answered 503/);
  });

  test('GIVEN an archive with a symbolic link WHEN started THEN it is rejected before any container starts', async () => {
    // GIVEN
    const src = path.join(workDir.dir, 'linked');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, 'real.txt'), 'x');
    fs.symlinkSync('/etc/passwd', path.join(src, 'link'));
    const archive = path.join(workDir.dir, 'linked.tar.gz');
    await runProcess('tar', ['-czf', archive, '-C', src, 'real.txt', 'link']);
    // WHEN / THEN
    await expect(start({}, { modelArtifact: archive })).rejects.toThrow(/'link' is a symbolic link/);
    await expect(start({}, { modelArtifact: path.join(workDir.dir, 'missing.tar.gz') })).rejects.toThrow(/does not exist/);
  });

  test('GIVEN an endpoint WHEN invoked with headers THEN Content-Type, Accept and the X-Amzn-SageMaker-* headers are forwarded', async () => {
    const endpoint = await start({ FIXTURE_MODE: 'headers' });
    const result = await endpoint.invoke('x', {
      contentType: 'text/csv', accept: 'application/json', customAttributes: 'trace=1', targetModel: 'm.tar.gz', targetVariant: 'blue', inferenceId: 'id-7',
    });
    expect(JSON.parse(result.body)).toEqual({
      'Content-Type': 'text/csv',
      'Accept': 'application/json',
      'X-Amzn-SageMaker-Custom-Attributes': 'trace=1',
      'X-Amzn-SageMaker-Target-Model': 'm.tar.gz',
      'X-Amzn-SageMaker-Target-Variant': 'blue',
      'X-Amzn-SageMaker-Inference-Id': 'id-7',
    });
  });

  test('GIVEN custom attributes with a line break WHEN invoked THEN a clear error naming the header, and the endpoint still answers', async () => {
    const endpoint = await start({ FIXTURE_MODE: 'headers' });
    await expect(endpoint.invoke('x', { customAttributes: 'trace=1\r\nX-Injected: yes' }))
      .rejects.toThrow(/Endpoint '.+' cannot send this invocation: Invalid value for HTTP header 'X-Amzn-SageMaker-Custom-Attributes': .* holds a control character/);
    expect(JSON.parse((await endpoint.invoke('x', { customAttributes: 'trace=2' })).body)['X-Amzn-SageMaker-Custom-Attributes']).toBe('trace=2');
  });

  test('GIVEN an endpoint WHEN the body is over 6 MB THEN it is rejected before sending; exactly 6 MB passes', async () => {
    const endpoint = await start({ FIXTURE_MODE: 'describe' });
    await expect(endpoint.invoke('a'.repeat(6_291_457))).rejects.toThrow(/is 6291457 bytes; SageMaker real-time endpoints accept at most 6291456 bytes/);
    const ok = await endpoint.invokeBase64(Buffer.alloc(6_291_456, 0x61).toString('base64'));
    expect(ok.body).toBe('1 6291456');
  });

  test('GIVEN a container answering 4xx/5xx WHEN invoked THEN a ModelError with the original status and message', async () => {
    const endpoint = await start({ FIXTURE_FAIL_ON: 'BAD' });
    const server = await endpoint.invoke('a BAD record').then(() => undefined, (e: ModelError) => e);
    expect(server).toBeInstanceOf(ModelError);
    expect(server!.originalStatusCode).toBe(500);
    expect(server!.originalMessage).toBe('fixture: cannot predict a record containing BAD');
    expect(server!.message).toMatch(/server error \(500\)/);
    const client = await endpoint.invoke('CLIENT-ERROR').then(() => undefined, (e: ModelError) => e);
    expect(client).toBeInstanceOf(ModelError);
    expect(client!.originalStatusCode).toBe(400);
    expect((await endpoint.invoke('fine')).body).toBe('fine');
  });

  test('GIVEN a slow model WHEN the invocation timeout passes THEN a clear error', async () => {
    const endpoint = await start({ FIXTURE_SLEEP_ON: 'SLOW', FIXTURE_SLEEP_SECONDS: '3' }, { invocationTimeout: Duration.seconds(1) });
    await expect(endpoint.invoke('SLOW')).rejects.toThrow(/did not answer the invocation within 1 s/);
  });

  test('GIVEN two endpoints WHEN started at once THEN both serve side by side on their own ports', async () => {
    // WHEN
    const [a, b] = await Promise.all([start({ FIXTURE_MODE: 'echo' }, { endpointName: 'one' }), start({ FIXTURE_MODE: 'upper' }, { endpointName: 'two' })]);
    const [ra, rb] = await Promise.all([a.invoke('hello'), b.invoke('hello')]);
    // THEN
    expect(a.url).not.toBe(b.url);
    expect(ra.body).toBe('hello');
    expect(rb.body).toBe('HELLO');
    expect((await ownContainers(LABEL)).length).toBe(2);
  });

  test('GIVEN a container that only knows port 8080 (as the contract says) WHEN started alone THEN it serves on 8080 with the model environment only', async () => {
    // WHEN
    const endpoint = await start({ FIXTURE_IGNORE_BIND_PORT: '1', FIXTURE_MODE: 'env' }, { endpointName: 'port8080' });
    const answer = await endpoint.invoke('{}', { contentType: 'application/json' });
    // THEN
    expect(endpoint.url).toBe('http://127.0.0.1:8080');
    expect(JSON.parse(answer.body)).not.toHaveProperty('SAGEMAKER_BIND_TO_PORT');
  });

  test('GIVEN port 8080 is taken WHEN a container that ignores SAGEMAKER_BIND_TO_PORT is started THEN the error says so', async () => {
    // GIVEN: another endpoint holds 8080
    const first = await start({ FIXTURE_MODE: 'echo' }, { endpointName: 'holder' });
    expect(first.url).toBe('http://127.0.0.1:8080');
    // WHEN
    const error = await start({ FIXTURE_IGNORE_BIND_PORT: '1' }, { endpointName: 'port8080' }).then(() => undefined, (e: Error) => e);
    // THEN
    expect(error?.message).toMatch(/listens on port 8080 instead of SAGEMAKER_BIND_TO_PORT=\d+|SAGEMAKER_BIND_TO_PORT \(\d+\), not always on 8080/);
  });

  test('GIVEN a container that ignores SIGTERM WHEN stopped THEN it is killed after the grace period and removed', async () => {
    const endpoint = await start({ FIXTURE_IGNORE_SIGTERM: '1' }, { stopGracePeriod: Duration.seconds(1), endpointName: 'stubborn' });
    const t0 = Date.now();
    await endpoint.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(await ownContainers(`${LABEL}=stubborn`)).toEqual([]);
    await expect(endpoint.invoke('x')).rejects.toThrow(/is stopped/);
  });
});
