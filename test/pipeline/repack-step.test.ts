import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AlgorithmImage, ByoaPipeline, Framework, InstanceType, SourceCode } from '../../src';
import { RUN_SPEC_METADATA_TYPE, RunSpec } from '../../src/private/run-spec';
import { actionsOf, mainPath, minimalPipelineProps, resolved, stateMachineDefinition } from '../support/pipeline-fixtures';

const CODE = path.join(__dirname, '..', 'code', 'fixtures', 'sklearn-code');
const TF_CODE = path.join(__dirname, '..', 'code', 'fixtures', 'tf-code');

function torchPipeline(extra: (stack: Stack) => any = () => ({})) {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
  const pipeline = new ByoaPipeline(stack, 'Torch', minimalPipelineProps(stack, {
    image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.6'),
    training: { code: SourceCode.fromAsset(CODE, { entryPoint: 'train.py' }) },
    endpoint: { instanceType: InstanceType.ML_M5_LARGE },
    outputPrefix: 'torch/',
    ...extra(stack),
  }));
  const template = Template.fromStack(stack);
  return { stack, pipeline, template, definition: stateMachineDefinition(template) };
}

describe('the repack step', () => {
  test('PyTorch: training, repack, model from the repacked artifact with SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code', () => {
    const { definition, pipeline } = torchPipeline();
    expect(mainPath(definition).slice(0, 4)).toEqual(['Name the jobs', 'Train', 'Repack model', 'Create model']);
    const repack = definition.States['Repack model'];
    expect(repack.Parameters).toEqual({
      'modelDataUrl.$': '$.byoa.training.ModelArtifacts.S3ModelArtifacts',
      'codeUri': expect.stringMatching(/^s3:\/\/cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.gz$/),
      'outputBucket': expect.stringMatching(/^\$\{Ref:TorchOutputBucket/),
      'outputKey.$': 'States.Format(\'torch/training/{}/repacked/model.tar.gz\', $.byoa.name)',
    });
    expect(repack.ResultPath).toBe('$.byoa.repack');
    const model = definition.States['Create model'].Parameters;
    expect(model.PrimaryContainer['ModelDataUrl.$']).toBe('$.byoa.repack.modelDataUrl');
    expect(model.PrimaryContainer.Environment).toMatchObject({ SAGEMAKER_PROGRAM: 'train.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code' });
    const spec = pipeline.node.metadata.find(m => m.type === RUN_SPEC_METADATA_TYPE)!.data as RunSpec;
    expect(spec.repack).toBe(true);
    expect(spec.model.PrimaryContainer!.Environment!.SAGEMAKER_SUBMIT_DIRECTORY).toBe('/opt/ml/model/code');
  });

  test('the function may read the training outputs and the code, write the repacked key, and log to its own group: nothing else', () => {
    const { stack, template } = torchPipeline();
    const fn = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, r]) => r.Properties.Handler === 'repack-handler.handler')!;
    expect(fn[1].Properties).toMatchObject({ Runtime: 'nodejs24.x', MemorySize: 1769, Timeout: 900 });
    const roleId = fn[1].Properties.Role['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    const statements = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const summary = resolved(stack, statements).map((s: any) => `${actionsOf(s).join(',')} ${[].concat(s.Resource).join(' ')}`).sort();
    expect(summary).toEqual([
      expect.stringMatching(/^logs:CreateLogStream,logs:PutLogEvents \$\{GetAtt:TorchRepackLogs[0-9A-F]+\.Arn\}$/),
      expect.stringMatching(/^s3:AbortMultipartUpload,s3:PutObject \$\{GetAtt:TorchOutputBucket[0-9A-F]+\.Arn\}\/torch\/training\/\*\/repacked\/model\.tar\.gz$/),
      expect.stringMatching(/^s3:GetObject \$\{GetAtt:TorchOutputBucket[0-9A-F]+\.Arn\}\/torch\/training\/\*\/output\/model\.tar\.gz$/),
      expect.stringMatching(/^s3:GetObject arn:\$\{Ref:AWS::Partition\}:s3:::cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.gz\*$/),
      expect.stringMatching(/^s3:ListBucket arn:\$\{Ref:AWS::Partition\}:s3:::cdk-hnb659fds-assets-123456789012-us-east-1$/),
    ]);
  });

  test('with an encryption key the function may use it', () => {
    const { template } = torchPipeline(stack => ({ encryptionKey: new kms.Key(stack, 'Key') }));
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(r => r.Properties.Handler === 'repack-handler.handler')!;
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const actions = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']));
  });

  test('scikit-learn is not repacked; TensorFlow only with inference code', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    new ByoaPipeline(stack, 'Sk', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1'),
      training: { code: SourceCode.fromAsset(CODE, { entryPoint: 'train.py' }) },
    }));
    expect(stateMachineDefinition(Template.fromStack(stack)).States['Repack model']).toBeUndefined();

    const tf = new Stack(new App(), 'T', { env: { account: '123456789012', region: 'us-east-1' } });
    new ByoaPipeline(tf, 'Tf', minimalPipelineProps(tf, {
      image: AlgorithmImage.fromFramework(Framework.TENSORFLOW, '2.19'),
      training: { code: SourceCode.fromAsset(TF_CODE, { entryPoint: 'train.py' }) },
      inferenceCode: SourceCode.fromAsset(TF_CODE, { entryPoint: 'inference.py' }),
    }));
    const definition = stateMachineDefinition(Template.fromStack(tf));
    expect(definition.States['Repack model']).toBeDefined();
    expect(definition.States['Create model'].Parameters.PrimaryContainer.Environment.SAGEMAKER_PROGRAM).toBe('inference.py');
  });
});
