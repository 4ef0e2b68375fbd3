import { ecrSdk, s3Sdk } from '../../src/private/lazy-sdk';

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

test('loading the library and synthesizing a pipeline load no AWS SDK client package, since every cdk synth would pay for it', () => {
  // WHEN the library is loaded, and a pipeline whose instance types are checked is synthesized
  const loaded = clientPackagesLoadedBy(() => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const ecr = require('aws-cdk-lib/aws-ecr') as typeof import('aws-cdk-lib/aws-ecr');
    const s3 = require('aws-cdk-lib/aws-s3') as typeof import('aws-cdk-lib/aws-s3');
    const byoa = require('../../src') as typeof import('../../src');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const stack = new cdk.Stack(new cdk.App(), 'Stack');
    new byoa.ByoaPipeline(stack, 'Pipeline', {
      image: byoa.AlgorithmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'algo'), '1'),
      training: {
        channels: [{ channelName: 'training', input: byoa.TrainingInput.fromBucket(s3.Bucket.fromBucketName(stack, 'Data', 'data'), 'train/') }],
        instanceType: byoa.InstanceType.ML_M5_LARGE,
      },
      endpoint: { instanceType: byoa.InstanceType.ML_T2_MEDIUM },
    });
    cdk.App.of(stack)!.synth();
  });

  // THEN
  expect(loaded).toEqual([]);
});

test('each lazy accessor loads its package on first call and returns it', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(clientPackagesLoadedBy(() => require('../../src/private/lazy-sdk').ecrSdk())).toEqual(['@aws-sdk/client-ecr']);
  expect(typeof ecrSdk().ECRClient).toBe('function');
  expect(typeof s3Sdk().GetObjectCommand).toBe('function');
});
