import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  AlgorithmImage, BuiltInAlgorithm, ByoaPipeline, Framework, ImageUse, InstanceType, SourceCode, TransformInput,
} from '../../src';
import { domainOf, literalImageUri } from '../../src/image/private/image-uri';
import { ByoaValidationError } from '../../src/private/errors';
import { RUN_SPEC_METADATA_TYPE, RunSpec } from '../../src/private/run-spec';
import { dataBucket, definitionText, minimalPipelineProps, stateMachineDefinition } from '../support/pipeline-fixtures';

const SKLEARN_CODE = path.join(__dirname, '..', 'code', 'fixtures', 'sklearn-code');

function stackIn(region: string | undefined, app = new App()): Stack {
  return new Stack(app, `S${region ?? 'agnostic'}`.replace(/-/g, ''), region ? { env: { account: '123456789012', region } } : {});
}

/** The training and model image of a pipeline, as the state machine sends them. */
function pipelineImages(stack: Stack): { training: any; model: any } {
  const definition = stateMachineDefinition(Template.fromStack(stack));
  return {
    training: definition.States.Train.Parameters.AlgorithmSpecification.TrainingImage,
    model: definition.States['Create model'].Parameters.PrimaryContainer.Image,
  };
}

function runSpecOf(pipeline: ByoaPipeline): RunSpec {
  return pipeline.node.metadata.find(m => m.type === RUN_SPEC_METADATA_TYPE)!.data as RunSpec;
}

function validationError(fn: () => unknown): ByoaValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ByoaValidationError) return e;
    throw e;
  }
  throw new Error('expected a ByoaValidationError');
}

/**
 * Evaluates a CloudFormation value the way CloudFormation would in a region:
 * `Fn::FindInMap` against the template's mappings, the pseudo parameters of
 * that region's partition, `Fn::Join`.
 */
function evaluateIn(template: any, value: any, region: string): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) return value['Fn::Join'][1].map((v: any) => evaluateIn(template, v, region)).join(value['Fn::Join'][0]);
  if (value['Fn::FindInMap']) {
    const [map, key1, key2] = value['Fn::FindInMap'].map((v: any) => evaluateIn(template, v, region));
    const result = template.Mappings?.[map]?.[key1]?.[key2];
    if (result === undefined) throw new Error(`Fn::FindInMap fails in ${region}: ${map}/${key1}/${key2}`);
    return result;
  }
  if (value.Ref === 'AWS::Region') return region;
  if (value.Ref === 'AWS::URLSuffix') return domainOf(region);
  if (value.Ref === 'AWS::Partition') return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  if (typeof value['Fn::Sub'] === 'string') {
    return value['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_m: string, name: string) => evaluateIn(template, { Ref: name }, region));
  }
  if (value.Ref === 'AWS::AccountId') return '123456789012';
  // The pipeline's own resources do not matter here.
  if (value.Ref && template.Resources[value.Ref]) return `<${value.Ref}>`;
  if (value['Fn::GetAtt'] && template.Resources[value['Fn::GetAtt'][0]]) return `<${value['Fn::GetAtt'].join('.')}>`;
  throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
}

function sklearnPipeline(stack: Stack, overrides: any = {}): ByoaPipeline {
  return new ByoaPipeline(stack, 'Iris', minimalPipelineProps(stack, {
    image: AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1'),
    ...overrides,
    training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }), ...overrides.training },
  }));
}

describe('Framework', () => {
  test('of() accepts the table names (and scikit-learn), and names the allowed ones otherwise', () => {
    expect(Framework.of('sklearn')).toBe(Framework.SKLEARN);
    expect(Framework.of('scikit-learn')).toBe(Framework.SKLEARN);
    expect(Framework.of('tensorflow')).toBe(Framework.TENSORFLOW);
    expect(() => Framework.of('keras')).toThrow(/name: "keras" is not valid; allowed: sklearn, xgboost, pytorch, tensorflow, mxnet/);
  });

  test('imageUri() gives the URIs of the SDK\'s documentation examples', () => {
    expect(Framework.SKLEARN.imageUri({ version: '1.2-1', region: 'us-west-2' }))
      .toBe('246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(Framework.XGBOOST.imageUri({ version: '1.7-1', region: 'us-west-2' }))
      .toBe('246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1');
  });

  test('imageUri() follows aliases, picks the newest Python version and the processor of the instance type', () => {
    expect(Framework.TENSORFLOW.imageUri({ version: '2.19', region: 'us-east-1', instanceType: InstanceType.ML_G5_XLARGE }))
      .toBe('763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.19.0-gpu-py312');
    expect(Framework.TENSORFLOW.imageUri({ version: '2.19', region: 'us-east-1', use: ImageUse.INFERENCE }))
      .toBe('763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.19.0-cpu');
    expect(Framework.PYTORCH.imageUri({ version: '1.8.1', region: 'eu-west-1', pythonVersion: 'py3', instanceType: InstanceType.ML_P3_2XLARGE }))
      .toMatch(/\/pytorch-training:1\.8\.1-gpu-py3$/);
    expect(Framework.PYTORCH.imageUri({ version: '1.8.1', region: 'eu-west-1' })).toMatch(/\/pytorch-training:1\.8\.1-cpu-py36$/);
  });

  test('imageUri() uses the partition\'s domain: China, GovCloud and the isolated regions', () => {
    expect(Framework.SKLEARN.imageUri({ version: '1.2-1', region: 'cn-north-1' }))
      .toBe('450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(Framework.SKLEARN.imageUri({ version: '1.2-1', region: 'us-gov-west-1' }))
      .toBe('414596584902.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(Framework.SKLEARN.imageUri({ version: '1.2-1', region: 'us-iso-east-1' })).toMatch(/\.dkr\.ecr\.us-iso-east-1\.c2s\.ic\.gov\//);
    expect(Framework.SKLEARN.imageUri({ version: '1.2-1', region: 'us-isob-east-1' })).toMatch(/\.dkr\.ecr\.us-isob-east-1\.sc2s\.sgov\.gov\//);
  });

  test('imageUri() names what is allowed: version, Python version, processor, region', () => {
    expect(() => Framework.SKLEARN.imageUri({ version: '9.9', region: 'us-east-1' }))
      .toThrow(/version: "9.9" is not valid; allowed: a sklearn training version in the image table: 0\.20\.0, 0\.23-1, 1\.0-1, 1\.2-1/);
    expect(() => Framework.PYTORCH.imageUri({ version: '2.8', region: 'us-east-1', pythonVersion: 'py27' }))
      .toThrow(/pythonVersion: "py27" is not valid; allowed: for pytorch 2\.8\.0: py312/);
    expect(() => Framework.SKLEARN.imageUri({ version: '1.2-1', region: 'us-east-1', instanceType: InstanceType.ML_G5_XLARGE }))
      .toThrow(/needs a gpu image; allowed: an instance type for cpu/);
    expect(() => Framework.PYTORCH.imageUri({ version: '2.8', region: 'us-iso-east-1' }))
      .toThrow(/region: "us-iso-east-1" is not valid; allowed: a region that has pytorch-training:2\.8\.0-cpu-py312: af-south-1, .*us-gov-west-1/);
  });

  test('XGBoost script mode has no version 1 (that is the built-in algorithm\'s legacy image)', () => {
    expect(Framework.XGBOOST.versions()).not.toContain('1');
    expect(() => AlgorithmImage.fromFramework(Framework.XGBOOST, '1')).toThrow(ByoaValidationError);
    expect(BuiltInAlgorithm.XGBOOST.versions()).toContain('1');
  });
});

describe('AlgorithmImage.fromFramework in a pipeline', () => {
  test('a concrete region gets the literal URI; scikit-learn serves with the training image', () => {
    // GIVEN a stack in us-west-2
    const stack = stackIn('us-west-2');
    // WHEN
    const pipeline = sklearnPipeline(stack);
    // THEN
    const uri = '246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
    expect(pipelineImages(stack)).toEqual({ training: uri, model: uri });
    expect(Template.fromStack(stack).toJSON().Mappings).toBeUndefined();
    const spec = runSpecOf(pipeline);
    expect(spec.image).toMatchObject({ kind: 'sagemaker', imageUri: uri, region: 'us-west-2', registryId: '246618743249', repository: 'sagemaker-scikit-learn', tag: '1.2-1-cpu-py3' });
    expect(spec.inferenceImage).toBeUndefined();
    expect(spec.framework).toEqual({ name: 'sklearn', version: '1.2-1', pythonVersion: 'py3' });
  });

  test.each([
    ['cn-north-1', '450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-scikit-learn:1.2-1-cpu-py3'],
    ['cn-northwest-1', /^\d{12}\.dkr\.ecr\.cn-northwest-1\.amazonaws\.com\.cn\//],
    ['us-gov-west-1', '414596584902.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3'],
    ['us-gov-east-1', /^\d{12}\.dkr\.ecr\.us-gov-east-1\.amazonaws\.com\//],
    ['us-iso-east-1', /^\d{12}\.dkr\.ecr\.us-iso-east-1\.c2s\.ic\.gov\//],
  ])('a stack in %s gets its partition\'s registry and domain', (region, expected) => {
    const stack = stackIn(region);
    sklearnPipeline(stack);
    const { training } = pipelineImages(stack);
    if (typeof expected === 'string') expect(training).toBe(expected);
    else expect(training).toMatch(expected);
  });

  test('an environment-agnostic stack gets a CfnMapping of the regions that have the image, resolved per region at deploy', () => {
    // GIVEN an environment-agnostic stack
    const app = new App();
    const stack = stackIn(undefined, app);
    // WHEN
    const pipeline = sklearnPipeline(stack);
    // THEN one mapping, keyed by region, holding only the regions that have the image
    const template = Template.fromStack(stack).toJSON();
    const mappings = Object.values<any>(template.Mappings);
    expect(mappings).toHaveLength(1);
    const ref = { repository: 'sagemaker-scikit-learn', tag: '1.2-1-cpu-py3', registries: Object.fromEntries(Object.entries<any>(mappings[0]).map(([r, v]) => [r, v.account])) };
    expect(Object.keys(mappings[0])).toEqual(expect.arrayContaining(['us-east-1', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1']));
    // AND the URI built from it is, in every region, the literal URI of a stack in that region
    const machine = template.Resources[Object.keys(template.Resources).find(k => template.Resources[k].Type === 'AWS::StepFunctions::StateMachine')!];
    for (const region of ['us-west-2', 'eu-central-1', 'cn-north-1', 'cn-northwest-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1']) {
      const parsed = JSON.parse(definitionText(machine.Properties, v => evaluateIn(template, v, region)));
      const expected = literalImageUri(ref, region);
      expect(parsed.States.Train.Parameters.AlgorithmSpecification.TrainingImage).toBe(expected);
      expect(Framework.SKLEARN.imageUri({ version: '1.2-1', region })).toBe(expected);
    }
    // AND a region without the image fails at deploy, in Fn::FindInMap
    expect(() => definitionText(machine.Properties, v => evaluateIn(template, v, 'xx-nowhere-1'))).toThrow(/FindInMap fails/);
    // AND the run spec says where it is in each region
    expect(runSpecOf(pipeline).image).toMatchObject({ kind: 'sagemaker', imageUri: 'unresolved://sagemaker/sagemaker-scikit-learn:1.2-1-cpu-py3', registries: ref.registries });
  });

  test('the execution role may pull exactly the images\' repositories', () => {
    const stack = stackIn('us-east-1');
    new ByoaPipeline(stack, 'Torch', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.6'),
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }) },
      endpoint: { instanceType: InstanceType.ML_M5_LARGE },
    }));
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => ([] as string[]).concat(s.Action).includes('ecr:BatchGetImage'));
    const resources = statements.flatMap((s: any) => [].concat(s.Resource)).map((r: any) => JSON.stringify(r));
    expect(resources.join(' ')).toContain('repository/pytorch-training');
    expect(resources.join(' ')).toContain('repository/pytorch-inference');
    expect(resources.join(' ')).toContain(':763104351884:');
    expect(resources.every(r => /repository\/pytorch-(training|inference)/.test(r))).toBe(true);
  });

  test('PyTorch: training image from the training instance type, model image (pytorch-inference) from the endpoint\'s', () => {
    const stack = stackIn('us-east-1');
    const pipeline = new ByoaPipeline(stack, 'Torch', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.6'),
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }), instanceType: InstanceType.ML_G5_XLARGE },
      endpoint: { instanceType: InstanceType.ML_M5_LARGE },
    }));
    const images = pipelineImages(stack);
    expect(images.training).toMatch(/^763104351884\.dkr\.ecr\.us-east-1\.amazonaws\.com\/pytorch-training:2\.6\.0-gpu-py3\d+$/);
    expect(images.model).toMatch(/^763104351884\.dkr\.ecr\.us-east-1\.amazonaws\.com\/pytorch-inference:2\.6\.0-cpu-py3\d+$/);
    expect(runSpecOf(pipeline).inferenceImage).toMatchObject({ kind: 'sagemaker', repository: 'pytorch-inference' });
  });

  test('the model image follows the batch transform\'s instance type when there is no endpoint', () => {
    const stack = stackIn('us-east-1');
    new ByoaPipeline(stack, 'Torch', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.6'),
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }) },
      batchTransform: { input: TransformInput.fromBucket(dataBucket(stack, 'Batch'), 'batch/'), instanceType: InstanceType.ML_G4DN_XLARGE },
    }));
    expect(pipelineImages(stack).model).toMatch(/pytorch-inference:2\.6\.0-gpu-/);
  });

  test('inferenceImage replaces the model image', () => {
    const stack = stackIn('us-east-1');
    const pipeline = new ByoaPipeline(stack, 'Torch', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.8'),
      inferenceImage: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.6'),
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }) },
      endpoint: {},
    }));
    expect(pipelineImages(stack).model).toMatch(/pytorch-inference:2\.6\.0-cpu-/);
    expect(runSpecOf(pipeline).inferenceImage).toMatchObject({ tag: expect.stringMatching(/^2\.6\.0-cpu-/) });
  });

  test('built-in algorithms: SageMaker\'s image for training and the model, hyperparameters as they are', () => {
    const stack = stackIn('us-west-2');
    const pipeline = new ByoaPipeline(stack, 'Linear', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromBuiltInAlgorithm(BuiltInAlgorithm.LINEAR_LEARNER),
      training: { hyperparameters: { predictor_type: 'binary_classifier', mini_batch_size: 100 } },
    }));
    const uri = '174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1';
    expect(pipelineImages(stack)).toEqual({ training: uri, model: uri });
    expect(runSpecOf(pipeline).training.HyperParameters).toEqual({ predictor_type: 'binary_classifier', mini_batch_size: '100' });
    expect(runSpecOf(pipeline).code).toBeUndefined();
  });

  test('XGBoost in algorithm mode, with a version', () => {
    const stack = stackIn('us-west-2');
    new ByoaPipeline(stack, 'Xgb', minimalPipelineProps(stack, { image: AlgorithmImage.fromBuiltInAlgorithm(BuiltInAlgorithm.XGBOOST, '1.7-1') }));
    expect(pipelineImages(stack).training).toBe('246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1');
    expect(BuiltInAlgorithm.of('kmeans').name).toBe('kmeans');
    expect(() => BuiltInAlgorithm.of('sklearn')).toThrow(/name: "sklearn" is not valid; allowed: blazingtext, .*xgboost/);
  });
});

describe('image validation', () => {
  test('an unknown version fails at fromFramework, naming the versions and aliases', () => {
    const e = validationError(() => AlgorithmImage.fromFramework(Framework.TENSORFLOW, '2.99'));
    expect(e.message).toMatch(/version: "2.99" is not valid; allowed: a tensorflow training version in the image table: 1\.4\.1, .*2\.19\.0; or an alias: 1\.4, .*2\.19/);
    expect(() => AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1', { pythonVersion: 'py312' })).toThrow(/pythonVersion: "py312" is not valid; allowed: for sklearn 1\.2-1: py3/);
  });

  test('a concrete region without the image fails at synth, naming the regions that have it', () => {
    const stack = stackIn('us-isof-east-1');
    const e = validationError(() => new ByoaPipeline(stack, 'Torch', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.8'),
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }) },
    })));
    expect(e.constructPath).toBe('Sus-isof-east-1'.replace(/-/g, '') + '/Torch');
    expect(e.message).toMatch(/pytorch-training:2\.8\.0-cpu-py312 is not available in "us-isof-east-1" \(ECR pulls are same-region\); allowed: a stack in one of af-south-1, /);
  });

  test('a GPU instance type for a CPU-only version fails, naming the processor', () => {
    const stack = stackIn('us-east-1');
    const e = validationError(() => sklearnPipeline(stack, {
      training: { instanceType: InstanceType.ML_P3_2XLARGE },
      endpoint: { instanceType: InstanceType.ML_G5_XLARGE },
    }));
    expect(e.problems).toEqual(expect.arrayContaining([
      'training.instanceType: "ml.p3.2xlarge" is not valid; allowed: an instance type with a cpu processor: sklearn 1.2-1 has no gpu training image',
      'endpoint.instanceType: "ml.g5.xlarge" is not valid; allowed: an instance type with a cpu processor: sklearn 1.2-1 has no gpu inference image',
    ]));
  });

  test('scikit-learn trains on one instance', () => {
    const stack = stackIn('us-east-1');
    expect(() => sklearnPipeline(stack, { training: { instanceCount: 2 } }))
      .toThrow(/training\.instanceCount: 2 is not valid; allowed: 1: sklearn trains on one instance only/);
  });

  test('a model version without an inference image fails, and says what to do', () => {
    const stack = stackIn('us-east-1');
    expect(() => new ByoaPipeline(stack, 'Torch', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.8'),
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }) },
      endpoint: {},
    }))).toThrow(/\(model image\): "2\.8" is not valid; allowed: a pytorch inference version in the image table: .*2\.6\.0.*; or set inferenceImage/);
  });

  test('endpoint and transform on different processors cannot share one framework model', () => {
    const stack = stackIn('us-east-1');
    expect(() => new ByoaPipeline(stack, 'Torch', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.6'),
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }) },
      endpoint: { instanceType: InstanceType.ML_G5_XLARGE },
      batchTransform: { input: TransformInput.fromBucket(dataBucket(stack, 'Batch'), 'batch/'), instanceType: InstanceType.ML_M5_LARGE },
    }))).toThrow(/model: runs on endpoint\.instanceType ml\.g5\.xlarge \(gpu\), batchTransform\.instanceType ml\.m5\.large \(cpu\)/);
  });

  test('built-in algorithms take no code', () => {
    const stack = stackIn('us-east-1');
    expect(() => new ByoaPipeline(stack, 'Linear', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromBuiltInAlgorithm(BuiltInAlgorithm.LINEAR_LEARNER),
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }) },
    }))).toThrow(/training\.code: built-in algorithm images run no user code/);
  });

  test('bind() outside a pipeline also refuses a region without the image', () => {
    const stack = stackIn('us-isof-east-1');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    expect(() => AlgorithmImage.fromFramework(Framework.PYTORCH, '2.8').bind(stack, role)).toThrow(/is not available in "us-isof-east-1"/);
  });
});
