/**
 * ECR login and pull: argument building only, so the process helper is
 * mocked (the registry is not reachable from tests); ECR is mocked with
 * aws-sdk-client-mock.
 */
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalModeError } from '../../../src/local/errors';
import * as dockerModule from '../../../src/local/private/docker';
import { assetImageTag, forgetPresentImages, prepareImage } from '../../../src/local/private/image';

jest.mock('../../../src/local/private/docker', () => ({
  ...jest.requireActual('../../../src/local/private/docker'),
  docker: jest.fn(),
}));

const dockerMock = dockerModule.docker as jest.MockedFunction<typeof dockerModule.docker>;
const ecr = mockClient(ECRClient);
const URI = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/algo:1.0';
const ok = { exitCode: 0, stdout: '', stderr: '' };

beforeEach(() => {
  ecr.reset();
  dockerMock.mockReset();
  forgetPresentImages();
});

test('logs in with the ECR token (password on stdin) and pulls an image that is not present', async () => {
  // GIVEN the image is not present and ECR returns a token
  dockerMock.mockImplementation(async (args) => (args[0] === 'image' ? { exitCode: 1, stdout: '', stderr: 'No such image' } : ok));
  ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [{ authorizationToken: Buffer.from('AWS:s3cr3t-pass').toString('base64'), proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' }],
  });
  // WHEN
  const ref = await prepareImage({ kind: 'repository', imageUri: URI, region: 'eu-west-1', registryId: '123456789012' }, '/unused');
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
  await prepareImage({ kind: 'repository', imageUri: URI }, '/unused');
  expect(dockerMock).toHaveBeenCalledTimes(1);
  expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
});

test('a failing GetAuthorizationToken explains how to get credentials', async () => {
  dockerMock.mockResolvedValue({ exitCode: 1, stdout: '', stderr: '' });
  ecr.on(GetAuthorizationTokenCommand).rejects(new Error('Could not load credentials from any providers'));
  await expect(prepareImage({ kind: 'repository', imageUri: URI }, '/unused'))
    .rejects.toThrow(/Could not get an ECR login token for 123456789012.dkr.ecr.eu-west-1.amazonaws.com \(region eu-west-1\).*Could not load credentials/);
});

test('an image URI that is a token cannot be pulled', async () => {
  await expect(prepareImage({ kind: 'repository', imageUri: '${Token[TOKEN.123]}:latest' }, '/unused'))
    .rejects.toThrow(/not known at synth time/);
  expect(dockerMock).not.toHaveBeenCalled();
});

test('an unresolved:// repository (as the run spec writes it) fails up front, naming the construct and what must be concrete', async () => {
  // GIVEN the run spec of a repository whose account/region/name were tokens at synth time
  const error = await prepareImage({ kind: 'repository', imageUri: 'unresolved://MyStack/AlgoRepo' }, '/unused').catch((e: Error) => e);
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
  await prepareImage({ kind: 'repository', imageUri: 'public.example.com/algo:1' }, '/unused');
  expect(dockerMock.mock.calls.map((c) => c[0][0])).toEqual(['image', 'pull']);
});

test('asset image tags are deterministic and change with the build options', () => {
  const a = assetImageTag({ kind: 'asset', directory: 'asset.abc' });
  expect(assetImageTag({ kind: 'asset', directory: 'asset.abc' })).toBe(a);
  expect(a).toMatch(/^byoa-local\/asset\.abc:[0-9a-f]{16}$/);
  expect(assetImageTag({ kind: 'asset', directory: 'asset.abc', target: 'prod' })).not.toBe(a);
  expect(assetImageTag({ kind: 'asset', directory: 'asset.abc', buildArgs: { A: '1' } })).not.toBe(a);
});
