/**
 * ECR login and pull: argument building only, so the process helper is
 * mocked (the registry is not reachable from tests); ECR is mocked with
 * aws-sdk-client-mock.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalModeError } from '../../../src/local/errors';
import { DockerCli } from '../../../src/local/private/docker';
import { assetImageTag, forgetPresentImages, prepareImage } from '../../../src/local/private/image';
import type { SageMakerImageSpec } from '../../../src/private/run-spec';

/** The CLI object image preparation is given; its process calls are mocked (and its engine: no bridge). */
const docker = new DockerCli('docker-under-test');
const dockerMock = jest.spyOn(docker, 'run');
jest.spyOn(docker, 'engine').mockResolvedValue({ executable: docker.executable, serverVersion: '27.0.0', hasBridge: false });
const ecr = mockClient(ECRClient);
const URI = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/algo:1.0';
const ok = { exitCode: 0, stdout: '', stderr: '' };

beforeEach(() => {
  ecr.reset();
  dockerMock.mockReset();
  jest.spyOn(docker, 'engine').mockResolvedValue({ executable: docker.executable, serverVersion: '27.0.0', hasBridge: false });
  forgetPresentImages();
});

test('logs in with the ECR token (password on stdin) and pulls an image that is not present', async () => {
  // GIVEN the image is not present and ECR returns a token
  dockerMock.mockImplementation(async (args) => (args[0] === 'image' ? { exitCode: 1, stdout: '', stderr: 'No such image' } : ok));
  ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [{ authorizationToken: Buffer.from('AWS:s3cr3t-pass').toString('base64'), proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' }],
  });
  // WHEN
  const ref = await prepareImage({ kind: 'repository', imageUri: URI, region: 'eu-west-1', registryId: '123456789012' }, '/unused', { docker });
  // THEN
  expect(ref).toBe(URI);
  expect(ecr.commandCalls(GetAuthorizationTokenCommand)[0].args[0].input).toEqual({ registryIds: ['123456789012'] });
  expect(dockerMock.mock.calls.map((c) => c[0])).toEqual([
    ['image', 'inspect', '--format', '{{.Id}}', URI],
    ['login', '--username', 'AWS', '--password-stdin', 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
    ['pull', URI],
  ]);
  expect(dockerMock.mock.calls[1][1]).toEqual({ input: 's3cr3t-pass' });
  expect(JSON.stringify(dockerMock.mock.calls[1][0])).not.toContain('s3cr3t');
});

test('skips login and pull when the image is present', async () => {
  dockerMock.mockResolvedValue(ok);
  await prepareImage({ kind: 'repository', imageUri: URI }, '/unused', { docker });
  expect(dockerMock).toHaveBeenCalledTimes(1);
  expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
});

test('a failing GetAuthorizationToken explains how to get credentials', async () => {
  dockerMock.mockResolvedValue({ exitCode: 1, stdout: '', stderr: '' });
  ecr.on(GetAuthorizationTokenCommand).rejects(new Error('Could not load credentials from any providers'));
  await expect(prepareImage({ kind: 'repository', imageUri: URI }, '/unused', { docker }))
    .rejects.toThrow(/Could not get an ECR login token for 123456789012.dkr.ecr.eu-west-1.amazonaws.com \(region eu-west-1\).*Could not load credentials/);
});

test('an image URI that is a token cannot be pulled', async () => {
  await expect(prepareImage({ kind: 'repository', imageUri: '${Token[TOKEN.123]}:latest' }, '/unused', { docker }))
    .rejects.toThrow(/not known at synth time/);
  expect(dockerMock).not.toHaveBeenCalled();
});

test('an unresolved:// repository (as the run spec writes it) fails up front, naming the construct and what must be concrete', async () => {
  // GIVEN the run spec of a repository whose account/region/name were tokens at synth time
  const error = await prepareImage({ kind: 'repository', imageUri: 'unresolved://MyStack/AlgoRepo' }, '/unused', { docker }).catch((e: Error) => e);
  // THEN
  expect(error).toBeInstanceOf(LocalModeError);
  expect((error as Error).message).toBe('The algorithm image comes from the ECR repository MyStack/AlgoRepo, whose URI is not known at synth time, '
    + 'so local mode cannot pull it. The repository\'s account, region and name must be concrete: for example a repository imported with '
    + 'Repository.fromRepositoryName() in a stack with an explicit env ({ account, region }). Or use an image asset.');
  expect(dockerMock).not.toHaveBeenCalled();
  expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
});

test('a non-ECR registry is pulled without login', async () => {
  dockerMock.mockImplementation(async (args) => (args[0] === 'image' ? { exitCode: 1, stdout: '', stderr: '' } : ok));
  await prepareImage({ kind: 'repository', imageUri: 'public.example.com/algo:1' }, '/unused', { docker });
  expect(dockerMock.mock.calls.map((c) => c[0][0])).toEqual(['image', 'pull']);
});

test('asset image tags are deterministic and change with the build options', () => {
  const a = assetImageTag({ kind: 'asset', directory: 'asset.abc' });
  expect(assetImageTag({ kind: 'asset', directory: 'asset.abc' })).toBe(a);
  expect(a).toMatch(/^byoa-local\/asset\.abc:[0-9a-f]{16}$/);
  expect(assetImageTag({ kind: 'asset', directory: 'asset.abc', target: 'prod' })).not.toBe(a);
  expect(assetImageTag({ kind: 'asset', directory: 'asset.abc', buildArgs: { A: '1' } })).not.toBe(a);
});

describe('extending a framework image: a Dockerfile FROM an ECR image', () => {
  const BASE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.8.0-cpu-py312';
  let context: string;
  beforeEach(() => {
    context = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-from-ecr-'));
    fs.writeFileSync(path.join(context, 'Dockerfile'), `ARG BASE=${BASE}\nFROM $BASE\nCOPY train.py /opt/ml/code/\n`);
  });
  afterEach(() => fs.rmSync(context, { recursive: true, force: true }));
  const token = { authorizationData: [{ authorizationToken: Buffer.from('AWS:pw').toString('base64'), proxyEndpoint: 'https://763104351884.dkr.ecr.us-east-1.amazonaws.com' }] };

  test('logs in to the base image\'s registry (GetAuthorizationToken with its account) before building, when the base is not on the machine', async () => {
    // GIVEN neither the asset image nor its base image is present
    dockerMock.mockImplementation(async (args) => (args[0] === 'image' ? { exitCode: 1, stdout: '', stderr: 'No such image' } : ok));
    ecr.on(GetAuthorizationTokenCommand).resolves(token);
    // WHEN
    await prepareImage({ kind: 'asset', directory: context }, '/unused', { docker });
    // THEN login to the base's registry, then the build
    expect(ecr.commandCalls(GetAuthorizationTokenCommand).map((c) => c.args[0].input)).toEqual([{ registryIds: ['763104351884'] }]);
    expect(await ecr.call(0).thisValue.config.region()).toBe('us-east-1');
    const commands = dockerMock.mock.calls.map((c) => c[0].slice(0, 2).join(' '));
    expect(commands).toEqual(['image inspect', 'image inspect', 'login --username', expect.stringMatching(/^build /)]);
    expect(dockerMock.mock.calls[1][0]).toContain(BASE);
  });

  test('makes no AWS call when the base image is already on the machine', async () => {
    dockerMock.mockImplementation(async (args) => (args[0] === 'image' && !args.includes(BASE) ? { exitCode: 1, stdout: '', stderr: '' } : ok));
    await prepareImage({ kind: 'asset', directory: context }, '/unused', { docker });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
    expect(dockerMock.mock.calls.map((c) => c[0][0])).toEqual(['image', 'image', 'build']);
  });

  test('a failed login says which Dockerfile and base image needed it', async () => {
    dockerMock.mockImplementation(async (args) => (args[0] === 'image' ? { exitCode: 1, stdout: '', stderr: '' } : ok));
    ecr.on(GetAuthorizationTokenCommand).rejects(new Error('Could not load credentials from any providers'));
    await expect(prepareImage({ kind: 'asset', directory: context }, '/unused', { docker }))
      .rejects.toThrow(`Could not get an ECR login token for 763104351884.dkr.ecr.us-east-1.amazonaws.com (region us-east-1) to build Dockerfile FROM ${BASE}`);
    expect(dockerMock.mock.calls.map((c) => c[0][0])).not.toContain('build');
  });
});

describe('SageMaker images', () => {
  const SKLEARN = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
  const spec = (imageUri: string): SageMakerImageSpec => ({
    kind: 'sagemaker',
    imageUri,
    repository: 'sagemaker-scikit-learn',
    tag: '1.2-1-cpu-py3',
    framework: 'sklearn',
    version: '1.2-1',
    registries: { 'us-east-1': '683313688378', 'cn-north-1': '450853457545' },
  });

  test('an image whose exact URI is on the machine is used without any AWS call', async () => {
    dockerMock.mockResolvedValue(ok);
    expect(await prepareImage(spec(SKLEARN), '/unused', { docker })).toBe(SKLEARN);
    expect(dockerMock.mock.calls.map((c) => c[0])).toEqual([['image', 'inspect', '--format', '{{.Id}}', SKLEARN]]);
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
  });

  test('an image that is not on the machine is pulled after a login to its registry', async () => {
    dockerMock.mockImplementation(async (args) => (args[0] === 'image' ? { exitCode: 1, stdout: '', stderr: '' } : ok));
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: Buffer.from('AWS:pw').toString('base64') }] });
    await prepareImage(spec(SKLEARN), '/unused', { docker });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)[0].args[0].input).toEqual({ registryIds: ['683313688378'] });
    expect(dockerMock.mock.calls.map((c) => c[0][0])).toEqual(['image', 'login', 'pull']);
  });

  test('a pull that fails says local mode needs the image on the machine, and how to get it there', async () => {
    dockerMock.mockImplementation(async (args) => {
      if (args[0] === 'image') return { exitCode: 1, stdout: '', stderr: '' };
      if (args[0] === 'pull') throw new Error('docker pull failed: no route to host');
      return ok;
    });
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: Buffer.from('AWS:pw').toString('base64') }] });
    const error = await prepareImage(spec(SKLEARN), '/unused', { docker }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(LocalModeError);
    expect((error as Error).message).toBe(`Local mode needs SageMaker's image ${SKLEARN} on this machine, and it is not there: pulling it failed `
      + '(docker pull failed: no route to host). Pull it where 683313688378.dkr.ecr.us-east-1.amazonaws.com is reachable, with AWS credentials: '
      + '\'aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin 683313688378.dkr.ecr.us-east-1.amazonaws.com\' '
      + `then 'docker pull ${SKLEARN}' (or 'docker load' an image saved elsewhere, or tag an image of your own with that URI).`);
  });

  test('with pulling turned off, a missing image fails at once without any AWS call', async () => {
    dockerMock.mockResolvedValue({ exitCode: 1, stdout: '', stderr: 'No such image' });
    await expect(prepareImage(spec(SKLEARN), '/unused', { docker, pull: false }))
      .rejects.toThrow(`Local mode needs SageMaker's image ${SKLEARN} on this machine, and it is not there: pulling is turned off (pullImages: false).`);
    expect(dockerMock).toHaveBeenCalledTimes(1);
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
  });

  test('an environment-agnostic stack\'s image is taken from the run\'s region, with that partition\'s domain', async () => {
    dockerMock.mockResolvedValue(ok);
    const unresolved = spec('unresolved://sagemaker/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(await prepareImage(unresolved, '/unused', { docker, region: 'cn-north-1' }))
      .toBe('450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-scikit-learn:1.2-1-cpu-py3');
    await expect(prepareImage(unresolved, '/unused', { docker, region: 'eu-west-1' }))
      .rejects.toThrow('The stack is environment-agnostic, so local mode takes SageMaker\'s image from the region it runs in (AWS_REGION), '
        + 'but sagemaker-scikit-learn:1.2-1-cpu-py3 is not available in eu-west-1; regions that have it: cn-north-1, us-east-1: set AWS_REGION to one of those.');
  });
});
