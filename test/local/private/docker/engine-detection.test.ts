/**
 * Engine detection on an engine WITHOUT the default bridge network (these
 * machines run dockerd with --bridge=none --iptables=false) while a
 * user-defined bridge-driver network exists, as docker compose or the
 * SageMaker SDK's local mode create one: local mode must still see "no
 * bridge" and use host networking for serving containers and image builds.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DockerCli, isUsableDefaultBridge } from '../../../../src/local/private/docker';
import { assetImageTag, prepareImage } from '../../../../src/local/private/image';
import { ServingContainer } from '../../../../src/local/private/serving/serving-container';
import { buildServingImage, ownContainers, SERVING_IMAGE, tempDir } from '../../fixtures/serving/fixture';
import { requireDocker } from '../../local-test-helpers';

const NETWORK = `byoa-test-${process.pid}`;
/** A CLI object of its own: its engine check runs after the network below exists. */
const docker = DockerCli.fromEnvironment();

beforeAll(async () => {
  requireDocker();
  await buildServingImage();
  // GIVEN (every test): no default bridge, and a user-defined bridge network
  const bridge = await docker.run(['network', 'inspect', 'bridge'], { check: false });
  if (bridge.exitCode === 0) throw new Error('These tests need an engine without the default bridge network (dockerd --bridge=none).');
  await docker.run(['network', 'create', '--driver', 'bridge', NETWORK]);
});

afterAll(async () => {
  await docker.run(['network', 'rm', NETWORK], { check: false });
});

test('the default bridge is detected by name and subnet, not by a network that uses the bridge driver', async () => {
  const drivers = (await docker.run(['network', 'ls', '--format', '{{.Driver}}'])).stdout.split('\n');
  expect(drivers).toContain('bridge'); // the user-defined one
  expect((await docker.engine()).hasBridge).toBe(false);
  expect(isUsableDefaultBridge('bridge|172.17.0.0/16 \n')).toBe(true);
  expect(isUsableDefaultBridge('bridge|\n')).toBe(false);
  expect(isUsableDefaultBridge('macvlan|10.0.0.0/8 ')).toBe(false);
});

test('a serving container starts on the host network and becomes healthy', async () => {
  const serving = await ServingContainer.start({
    docker,
    image: SERVING_IMAGE,
    environment: { FIXTURE_MODE: 'echo', FIXTURE_BIND_HOST: '127.0.0.1' },
    startupTimeoutMs: 20_000,
    stopGraceSeconds: 1,
    namePrefix: 'byoa-test-engine',
  });
  try {
    const network = (await docker.run(['inspect', '--format', '{{.HostConfig.NetworkMode}}', serving.name])).stdout.trim();
    expect(network).toBe('host');
    const answer = await serving.request('POST', '/invocations', 5000, Buffer.from('hello'));
    expect(answer.body.toString()).toBe('hello');
  } finally {
    await serving.stop();
  }
  expect(await ownContainers()).toEqual([]);
});

test('an image build gets the host network (a RUN step sees more than the loopback interface)', async () => {
  const work = tempDir('byoa-engine-build-');
  const dir = `asset.engine-${crypto.randomBytes(6).toString('hex')}`;
  const tag = assetImageTag({ kind: 'asset', directory: dir });
  try {
    fs.mkdirSync(path.join(work.dir, dir));
    // A nonce file keeps docker's layer cache from answering for the RUN step.
    fs.writeFileSync(path.join(work.dir, dir, 'nonce'), crypto.randomBytes(8).toString('hex'));
    fs.writeFileSync(path.join(work.dir, dir, 'Dockerfile'),
      'FROM debian:bookworm-slim\nCOPY nonce /nonce\nRUN test "$(grep -c : /proc/net/dev)" -gt 1 || (cat /proc/net/dev; exit 7)\n');
    const lines: string[] = [];
    const ref = await prepareImage({ kind: 'asset', directory: dir }, work.dir, { docker, onLine: (l) => lines.push(l) });
    expect(ref).toBe(tag);
  } finally {
    await docker.run(['rmi', '-f', tag], { check: false });
    work.remove();
  }
});

test('a container that never gets healthy is reported with the address and port that were tried', async () => {
  const lines: string[] = [];
  const started = ServingContainer.start({
    docker,
    image: SERVING_IMAGE,
    environment: { FIXTURE_MODE: 'echo', FIXTURE_BIND_HOST: '127.0.0.1', FIXTURE_PING_DELAY: '60' },
    startupTimeoutMs: 2_000,
    stopGraceSeconds: 1,
    namePrefix: 'byoa-test-unhealthy',
    onLog: (l) => lines.push(l),
  });
  await expect(started).rejects.toThrow(/did not become healthy within 2 s: GET http:\/\/127\.0\.0\.1:(\d+)\/ping .*last got: it answered 503/s);
  const port = /GET http:\/\/127\.0\.0\.1:(\d+)\/ping/.exec(String(await started.catch((e) => e.message)))![1];
  // the port in the message is the one the container listened on
  expect(lines.join('\n')).toMatch(new RegExp(`serving mode echo on port ${port}$`, 'm'));
  expect(await ownContainers()).toEqual([]);
});
