import { ecrSdk, s3Sdk, sagemakerSdk } from '../../src/private/lazy-sdk';

const CLIENT_PACKAGES = [
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-ecr',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-sagemaker',
  '@aws-sdk/client-sagemaker-runtime',
  '@aws-sdk/client-sfn',
];

/** Records which client packages the modules required inside `load` pull in. */
function clientPackagesLoadedBy(load: () => void): string[] {
  const loaded: string[] = [];
  jest.isolateModules(() => {
    for (const name of CLIENT_PACKAGES) {
      jest.doMock(name, () => {
        loaded.push(name);
        return jest.requireActual(name);
      });
    }
    load();
  });
  return loaded;
}

afterEach(() => {
  for (const name of CLIENT_PACKAGES) jest.dontMock(name);
});

test('loading the library loads no AWS SDK client package, since every cdk synth would pay for it', () => {
  // WHEN
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = clientPackagesLoadedBy(() => require('../../src'));

  // THEN
  expect(loaded).toEqual([]);
});

test('each lazy accessor loads its package on first call and returns it', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(clientPackagesLoadedBy(() => require('../../src/private/lazy-sdk').ecrSdk())).toEqual(['@aws-sdk/client-ecr']);
  expect(typeof ecrSdk().ECRClient).toBe('function');
  expect(typeof s3Sdk().GetObjectCommand).toBe('function');
  expect(Object.values(sagemakerSdk().TrainingInstanceType)).toContain('ml.m5.large');
});
