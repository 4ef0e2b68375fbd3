import * as path from 'path';
import { App, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { IrisStack } from '../../examples/iris/iris-stack';
import { AlgorithmImage, ByoaPipeline, Framework, InstanceType, SourceCode, TrainingInput, TransformInput } from '../../src';

test('the iris example stack passes cdk-nag AwsSolutions with no unsuppressed error or warning', () => {
  // GIVEN
  const app = new App();
  const stack = new IrisStack(app, 'IrisStack');

  // WHEN
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  app.synth();

  // THEN
  const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  expect(errors.map(e => `${e.id}: ${e.entry.data}`)).toEqual([]);
  expect(warnings.map(e => `${e.id}: ${e.entry.data}`)).toEqual([]);
});

test('a PyTorch script-mode pipeline (with the repack function) passes cdk-nag AwsSolutions', () => {
  {
    // GIVEN the iris example's setup (an environment-agnostic stack, an access log bucket) with a PyTorch pipeline
    const app = new App();
    const stack = new Stack(app, 'TorchStack');
    const accessLogs = new s3.Bucket(stack, 'AccessLogs', { enforceSSL: true, objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED });
    NagSuppressions.addResourceSuppressions(accessLogs, [{ id: 'AwsSolutions-S1', reason: 'This is the access log bucket itself.' }]);
    new ByoaPipeline(stack, 'Torch', {
      serverAccessLogsBucket: accessLogs,
      image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.6'),
      training: {
        code: SourceCode.fromAsset(path.join(__dirname, '..', 'code', 'fixtures', 'sklearn-code'), { entryPoint: 'train.py' }),
        channels: [{ channelName: 'training', input: TrainingInput.fromAsset(path.join(__dirname, '..', '..', 'examples', 'iris', 'data', 'training')) }],
      },
      endpoint: { instanceType: InstanceType.ML_M5_LARGE },
    });

    // WHEN
    Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
    app.synth();

    // THEN
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors.map(e => `${e.id}: ${e.entry.data}`)).toEqual([]);
    expect(warnings.map(e => `${e.id}: ${e.entry.data}`)).toEqual([]);
  }
});

/** The cdk-nag AwsSolutions errors and warnings reported on the resources under `pathPrefix`. */
function nagFindings(stack: Stack, pathPrefix: string): string[] {
  const annotations = Annotations.fromStack(stack);
  return [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
  ].filter(e => e.id.startsWith(pathPrefix)).map(e => `${e.id}: ${e.entry.data}`);
}

const IRIS = path.join(__dirname, '..', '..', 'examples', 'iris');

test('a pipeline with KMS keys, a VPC and a checkpoint bucket passes cdk-nag AwsSolutions on its own resources', () => {
  // GIVEN a pipeline that uses every KMS grant, the VPC access and a checkpoint bucket
  const app = new App();
  const stack = new Stack(app, 'KmsStack');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const checkpoints = new s3.Bucket(stack, 'Checkpoints', { encryptionKey: key, enforceSSL: true });
  const accessLogs = new s3.Bucket(stack, 'AccessLogs', { enforceSSL: true, objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED });
  new ByoaPipeline(stack, 'Pipeline', {
    serverAccessLogsBucket: accessLogs,
    encryptionKey: key,
    image: AlgorithmImage.fromAsset(path.join(IRIS, 'container')),
    training: {
      channels: [{ channelName: 'training', input: TrainingInput.fromAsset(path.join(IRIS, 'data', 'training')) }],
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      volumeEncryptionKey: key,
      checkpoint: { bucket: checkpoints },
    },
    batchTransform: { input: TransformInput.fromAsset(path.join(IRIS, 'data', 'batch')), contentType: 'text/csv', volumeEncryptionKey: key },
    endpoint: { instanceType: InstanceType.ML_M5_LARGE, encryptionKey: key },
  });

  // WHEN
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  app.synth();

  // THEN
  expect(nagFindings(stack, '/KmsStack/Pipeline/')).toEqual([]);
});

test('each cdk-nag suppression is recorded only where its finding can arise', () => {
  // GIVEN an iris pipeline: no KMS key, no script mode, no repack function
  const app = new App();
  const stack = new Stack(app, 'Stack');
  const pipeline = new ByoaPipeline(stack, 'Pipeline', {
    image: AlgorithmImage.fromAsset(path.join(IRIS, 'container')),
    training: { channels: [{ channelName: 'training', input: TrainingInput.fromAsset(path.join(IRIS, 'data', 'training')) }] },
    endpoint: { instanceType: InstanceType.ML_M5_LARGE },
  });

  // WHEN
  const reasons = (policyPath: string): string[] => {
    const policy = pipeline.node.findAll().find(c => c.node.path === `${pipeline.node.path}/${policyPath}/Resource`) as CfnResource;
    return (policy.getMetadata('cdk_nag').rules_to_suppress as { reason: string }[]).map(r => r.reason);
  };
  const executionPolicy = reasons('ExecutionRole/DefaultPolicy');
  const stateMachinePolicy = reasons('StateMachine/Role/DefaultPolicy');

  // THEN
  expect(executionPolicy).toEqual([
    expect.stringMatching(/^S3 grants are limited/),
    expect.stringMatching(/^SageMaker writes its logs/),
    expect.stringMatching(/^Resource "\*" is needed/),
  ]);
  expect(stateMachinePolicy).toEqual([
    expect.stringMatching(/^Resource "\*" is needed/),
    expect.stringMatching(/^Each execution names its jobs/),
  ]);
});
