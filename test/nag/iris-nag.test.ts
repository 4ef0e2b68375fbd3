import * as path from 'path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { IrisStack } from '../../examples/iris/iris-stack';
import { AlgorithmImage, ByoaPipeline, Framework, InstanceType, SourceCode, TrainingInput } from '../../src';

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
