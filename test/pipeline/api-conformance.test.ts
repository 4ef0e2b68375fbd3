/**
 * Conformance of the SageMaker requests this library synthesizes with
 * SageMaker's own API model (botocore's service-2.json, extracted into
 * test/fixtures/sagemaker-api-shapes.json by scripts/extract-sagemaker-shapes.ts).
 *
 * Every SageMaker Task state's `Parameters`, every run spec request and the
 * RealtimeEndpoint's CloudFormation model/config must validate against the
 * input shape of its operation with zero problems.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IrisStack } from '../../examples/iris/iris-stack';
import {
  AlgorithmImage, AssembleWith, BatchStrategy, BuiltInAlgorithm, ByoaPipeline, CompressionType, Framework, InputMode, InstanceType, JoinSource,
  ModelData, RealtimeEndpoint, RecordWrapperType, S3DataDistribution, S3DataType, SourceCode, SplitType, TrainingInput, TransformInput,
} from '../../src';
import { allowedInstanceTypes } from '../../src/private/instance-types';
import { RUN_SPEC_METADATA_TYPE, RunSpec } from '../../src/private/run-spec';
import { dataBucket, DATA_KEY_PREFIX, definitionText, IRIS_BATCH_DATA, minimalPipelineProps, repositoryImage, TEST_ENV } from '../support/pipeline-fixtures';
import { compilePattern, isIntrinsic, SageMakerApiValidator } from '../support/sagemaker-api-validator';

const validator = SageMakerApiValidator.fromFixture();

// ---------------------------------------------------------------------------
// Placeholders for CloudFormation intrinsics
// ---------------------------------------------------------------------------
/**
 * What an unresolved intrinsic becomes so that SageMaker's patterns can be
 * checked, chosen by context: pseudo parameters get the fixture environment's
 * values; `Ref`/`Fn::GetAtt` of a resource get a realistic value of what
 * CloudFormation returns for that resource type and attribute (a role ARN for
 * `AWS::IAM::Role` `Arn`, a bucket name for `Ref` of `AWS::S3::Bucket`, a
 * subnet id for `Ref` of `AWS::EC2::Subnet`, ...). `Fn::Join`, `Fn::Sub`,
 * `Fn::Select` and `Fn::Split` are evaluated. Anything else fails the test,
 * so a new kind of intrinsic is noticed rather than waved through.
 */
const PSEUDO_PARAMETERS: { [name: string]: string } = {
  'AWS::Partition': 'aws',
  'AWS::Region': TEST_ENV.region,
  'AWS::AccountId': TEST_ENV.account,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'TestStack',
  'AWS::NoValue': '',
};
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

/** 17 hex digits derived from a logical id, so that distinct resources get distinct ids. */
function hexOf(logicalId: string): string {
  return createHash('sha256').update(logicalId).digest('hex').slice(0, 17);
}
const RESOURCE_REFS: { [type: string]: (logicalId: string) => string } = {
  'AWS::S3::Bucket': id => `${id.toLowerCase().slice(0, 40)}-bucket-name`,
  'AWS::EC2::Subnet': id => `subnet-${hexOf(id)}`,
  'AWS::EC2::SecurityGroup': id => `sg-${hexOf(id)}`,
  'AWS::EC2::VPC': id => `vpc-${hexOf(id)}`,
  'AWS::KMS::Key': () => KEY_ID,
  'AWS::IAM::Role': id => `${id.slice(0, 50)}-x`,
  'AWS::SageMaker::Model': () => 'model-name-from-cfn',
  'AWS::SageMaker::EndpointConfig': () => 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint-config/config-name',
  'AWS::SageMaker::Endpoint': () => 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/endpoint-name',
};
const RESOURCE_ATTRIBUTES: { [typeAndAttribute: string]: (logicalId: string) => string } = {
  'AWS::IAM::Role.Arn': id => `arn:aws:iam::${TEST_ENV.account}:role/${id.slice(0, 50)}-x`,
  'AWS::KMS::Key.Arn': () => `arn:aws:kms:${TEST_ENV.region}:${TEST_ENV.account}:key/${KEY_ID}`,
  'AWS::S3::Bucket.Arn': id => `arn:aws:s3:::${RESOURCE_REFS['AWS::S3::Bucket'](id)}`,
  'AWS::EC2::SecurityGroup.GroupId': id => `sg-${hexOf(id)}`,
  'AWS::SageMaker::Model.ModelName': () => 'model-name-from-cfn',
  'AWS::Lambda::Function.Arn': id => `arn:aws:lambda:${TEST_ENV.region}:${TEST_ENV.account}:function:${id.slice(0, 50)}`,
  'AWS::SageMaker::EndpointConfig.EndpointConfigName': () => 'config-name-from-cfn',
  'AWS::SageMaker::Endpoint.EndpointName': () => 'endpoint-name-from-cfn',
};

/** Resolves intrinsics to placeholders against one template's resources. */
class PlaceholderResolver {
  constructor(private readonly template: { Resources?: { [id: string]: { Type: string } } }) {}

  /** The value with every intrinsic (at any depth) replaced by its placeholder string. */
  public resolveDeep(value: any): any {
    if (isIntrinsic(value)) return this.resolve(value);
    if (Array.isArray(value)) return value.map(v => this.resolveDeep(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolveDeep(v)]));
    return value;
  }

  /** One value (an intrinsic or a literal) as a string. */
  public resolve(value: any): any {
    if (!isIntrinsic(value)) return value;
    const [fn, args] = Object.entries(value)[0] as [string, any];
    switch (fn) {
      case 'Ref': return this.ref(args);
      case 'Fn::GetAtt': return this.getAtt(args[0], args[1]);
      case 'Fn::Join': return (args[1] as any[]).map(p => this.resolve(p)).join(args[0]);
      case 'Fn::Select': return this.resolve(args[1])[Number(args[0])];
      case 'Fn::Split': return String(this.resolve(args[1])).split(args[0]);
      case 'Fn::FindInMap': {
        const [map, key1, key2] = (args as any[]).map(a => this.resolve(a));
        const found = (this.template as any).Mappings?.[map]?.[key1]?.[key2];
        if (found === undefined) throw new Error(`Fn::FindInMap ${map}/${key1}/${key2} finds nothing in the template's mappings`);
        return found;
      }
      case 'Fn::Sub': return this.sub(Array.isArray(args) ? args[0] : args, Array.isArray(args) ? args[1] ?? {} : {});
      default: throw new Error(`no placeholder for the intrinsic ${fn}: ${JSON.stringify(value)}; add it to the test's placeholder rules`);
    }
  }

  private sub(text: string, variables: { [name: string]: any }): string {
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_m, literal: string, name: string) => {
      if (literal) return `\${${name}}`;
      if (name in variables) return String(this.resolve(variables[name]));
      const dot = name.indexOf('.');
      return dot > 0 && !name.startsWith('AWS::') ? this.getAtt(name.slice(0, dot), name.slice(dot + 1)) : this.ref(name);
    });
  }

  private typeOf(logicalId: string): string {
    const resource = this.template.Resources?.[logicalId];
    if (!resource) throw new Error(`intrinsic refers to ${logicalId}, which is not a resource of the template`);
    return resource.Type;
  }

  private ref(name: string): string {
    if (name in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[name];
    const type = this.typeOf(name);
    const rule = RESOURCE_REFS[type];
    if (!rule) throw new Error(`no placeholder for Ref of ${name} (${type}); add it to the test's placeholder rules`);
    return rule(name);
  }

  private getAtt(logicalId: string, attribute: string): string {
    const type = this.typeOf(logicalId);
    const rule = RESOURCE_ATTRIBUTES[`${type}.${attribute}`];
    if (!rule) throw new Error(`no placeholder for Fn::GetAtt ${logicalId}.${attribute} (${type}); add it to the test's placeholder rules`);
    return rule(logicalId);
  }
}

/**
 * Paths of values still unresolved after placeholder substitution (CDK tokens
 * or intrinsics): the validator accepts those without checking them, so a
 * conformance test that wants every pattern checked expects none.
 */
function unresolvedPaths(value: any, at = ''): string[] {
  if (typeof value === 'string') return value.includes('${Token[') ? [at] : [];
  if (isIntrinsic(value)) return [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => unresolvedPaths(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => unresolvedPaths(v, at ? `${at}.${k}` : k));
  return [];
}

// ---------------------------------------------------------------------------
// Reading the synthesized state machine
// ---------------------------------------------------------------------------
interface SageMakerTaskState {
  readonly name: string;
  /** `CreateTrainingJob`, `DescribeEndpoint`, ... */
  readonly operation: string;
  /** The integration as written in the state's Resource (`sagemaker:createTrainingJob.sync`). */
  readonly integration: string;
  readonly parameters: any;
}

const SAGEMAKER_RESOURCE = /^arn:aws:states:::((?:aws-sdk:)?sagemaker:([a-zA-Z]+)(?:\.sync|\.waitForTaskToken)?)$/;

/** The state machine definition with intrinsics in its `DefinitionString` replaced by placeholders. */
function definitionOf(template: any): any {
  const machines = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::StepFunctions::StateMachine') as any[];
  expect(machines).toHaveLength(1);
  const resolver = new PlaceholderResolver(template);
  // Each intrinsic sits inside a JSON string literal of the definition: its
  // placeholder is inserted JSON-escaped.
  return JSON.parse(definitionText(machines[0].Properties, p => JSON.stringify(String(resolver.resolve(p))).slice(1, -1)));
}

/** Every state of a definition (including states of Parallel and Map states), by name. */
function allStates(definition: any): [string, any][] {
  return Object.entries(definition.States as { [name: string]: any }).flatMap(([name, state]) => [
    [name, state] as [string, any],
    ...(state.Branches ?? []).flatMap(allStates),
    ...[state.ItemProcessor, state.Iterator].filter(Boolean).flatMap(allStates),
  ]);
}

/** The Task states that call SageMaker. Fails on a SageMaker resource the test cannot map to an operation. */
function sageMakerTasks(definition: any): SageMakerTaskState[] {
  return allStates(definition)
    .filter(([, state]) => state.Type === 'Task' && String(state.Resource).includes('sagemaker'))
    .map(([name, state]) => {
      const match = SAGEMAKER_RESOURCE.exec(state.Resource);
      if (!match) throw new Error(`state ${name}: unexpected SageMaker resource ${state.Resource}`);
      return { name, integration: match[1], operation: match[2][0].toUpperCase() + match[2].slice(1), parameters: state.Parameters ?? {} };
    });
}

/** `<state> (<operation>): <problem>` for every problem of every SageMaker Task state (and every value left unresolved). */
function taskProblems(tasks: SageMakerTaskState[]): string[] {
  return tasks.flatMap(t => [
    ...unresolvedPaths(t.parameters).map(p => `${t.name} (${t.operation}) ${p}: unresolved, so not checked`),
    ...validator.validate(t.operation, t.parameters).map(p => `${t.name} (${t.operation}) ${p}`),
  ]);
}

// ---------------------------------------------------------------------------
// Reading the run spec
// ---------------------------------------------------------------------------
/** The run specs `cdk synth` wrote for a stack, as local mode reads them from the cloud assembly. */
function runSpecsOf(app: App, stack: Stack): RunSpec[] {
  const artifact = app.synth().getStackArtifact(stack.artifactId);
  return artifact.findMetadataByType(RUN_SPEC_METADATA_TYPE).map(m => m.data as unknown as RunSpec);
}

/**
 * The run spec's locations as SageMaker would get them. The run spec
 * deliberately holds `file://asset.<hash>` URIs for staged assets,
 * `unresolved://...` for buckets named at deploy time and, in local mode,
 * `file://output/` (see src/private/run-spec.ts): local mode reads those and
 * they never reach SageMaker, so they are mapped to the S3 URIs the cloud
 * backend uses for them before validation.
 */
function asSageMakerLocations(value: any): any {
  if (typeof value === 'string') {
    return value
      .replace(/^file:\/\/asset\.([0-9a-f]+)$/, 's3://staging-bucket-name/inputs/$1/')
      .replace(/^file:\/\/asset\.([0-9a-f]+)\.tar\.gz$/, 's3://cdk-assets-bucket-name/$1.gz')
      .replace(/^file:\/\/output\/$/, 's3://output-bucket-name/output/')
      .replace(/^unresolved:\/\/(.*)$/, (_m, rest: string) => `s3://unresolved-bucket-name/${rest.split('/').slice(-1)[0]}`);
  }
  if (Array.isArray(value)) return value.map(asSageMakerLocations);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asSageMakerLocations(v)]));
  return value;
}

const MODEL_DATA_URL = 's3://output-bucket-name/training/job-name/output/model.tar.gz';

/** `<request> <problem>` for every problem of the run spec's requests. */
function runSpecProblems(spec: RunSpec, template: any): string[] {
  const resolver = new PlaceholderResolver(template);
  const prepare = (request: unknown) => asSageMakerLocations(resolver.resolveDeep(request));
  const requests: [string, string, unknown][] = [
    ['training', 'CreateTrainingJob', spec.training],
    ['model', 'CreateModel', { ...spec.model, PrimaryContainer: { ...spec.model.PrimaryContainer, ModelDataUrl: MODEL_DATA_URL } }],
  ];
  if (spec.transform) requests.push(['transform', 'CreateTransformJob', spec.transform]);
  if (spec.endpointConfig) requests.push(['endpointConfig', 'CreateEndpointConfig', spec.endpointConfig]);
  if (spec.endpointName) requests.push(['endpointName', 'DescribeEndpoint', { EndpointName: spec.endpointName }]);
  return requests.flatMap(([field, operation, request]) => {
    const prepared = prepare(request);
    return [
      ...unresolvedPaths(prepared).map(p => `runSpec.${field} (${operation}) ${p}: unresolved, so not checked`),
      ...validator.validate(operation, prepared).map(p => `runSpec.${field} (${operation}) ${p}`),
    ];
  });
}

// ---------------------------------------------------------------------------
// The pipelines
// ---------------------------------------------------------------------------
interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly template: any;
}

function synth(build: (stack: Stack) => void, app = new App()): Synthesized {
  const stack = new Stack(app, 'TestStack', { env: TEST_ENV });
  build(stack);
  return { app, stack, template: Template.fromStack(stack).toJSON() };
}

function iris(localMode = false): Synthesized {
  const app = new App();
  const stack = new IrisStack(app, 'IrisStack', { localMode });
  return { app, stack, template: Template.fromStack(stack).toJSON() };
}

function minimalTrainingOnly(): Synthesized {
  return synth(stack => new ByoaPipeline(stack, 'Pipe', minimalPipelineProps(stack)));
}

/** A pipeline with every option of training, batch transform and the endpoint set. */
function everyOption(endpoint: 'variants' | 'serverless'): Synthesized {
  return synth(stack => {
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    const key = new kms.Key(stack, 'Key');
    const volumeKey = new kms.Key(stack, 'VolumeKey');
    const checkpoints = new s3.Bucket(stack, 'Checkpoints');
    const data = dataBucket(stack);
    new ByoaPipeline(stack, 'Pipe', {
      image: repositoryImage(stack),
      namePrefix: 'every-option-pipeline',
      encryptionKey: key,
      outputPrefix: 'runs/',
      modelEnvironment: { MODEL_SERVER_WORKERS: '2', SAGEMAKER_MODEL_SERVER_TIMEOUT: '120' },
      training: {
        channels: [{
          channelName: 'training',
          input: TrainingInput.fromBucket(data, DATA_KEY_PREFIX),
          contentType: 'text/csv',
          compressionType: CompressionType.GZIP,
          inputMode: InputMode.PIPE,
          s3DataDistributionType: S3DataDistribution.SHARDED_BY_S3_KEY,
          recordWrapperType: RecordWrapperType.RECORD_IO,
          s3DataType: S3DataType.MANIFEST_FILE,
        }, {
          channelName: 'validation',
          input: TrainingInput.fromAsset(path.join(__dirname, '..', '..', 'examples', 'iris', 'data', 'training')),
          s3DataType: S3DataType.S3_PREFIX,
        }],
        hyperparameters: { max_leaf_nodes: 5, criterion: 'gini', bootstrap: true, learning_rate: 0.05, layers: '64,32' },
        metricDefinitions: [{ name: 'train:loss', regex: 'loss=([0-9.]+)' }, { name: 'validation:accuracy', regex: 'val_acc: ([0-9.]+)' }],
        instanceType: InstanceType.ML_C5_2XLARGE,
        instanceCount: 2,
        volumeSize: Size.gibibytes(100),
        maxRuntime: Duration.hours(2),
        inputMode: InputMode.FILE,
        environment: { LOG_LEVEL: 'debug', OMP_NUM_THREADS: '4' },
        containerEntrypoint: ['python3', '/opt/program/train.py'],
        containerArguments: ['--epochs', '10', '--verbose'],
        // A serverless endpoint cannot host a model with a VPC or network isolation.
        enableNetworkIsolation: endpoint !== 'serverless',
        enableInterContainerTrafficEncryption: true,
        vpc: endpoint === 'serverless' ? undefined : vpc,
        vpcSubnets: endpoint === 'serverless' ? undefined : { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        useSpotInstances: true,
        maxWait: Duration.hours(4),
        checkpoint: { bucket: checkpoints, keyPrefix: 'iris/checkpoints/', localPath: '/opt/ml/checkpoints' },
        volumeEncryptionKey: volumeKey,
        outputEncryptionKey: key,
        smEnvironment: true,
      },
      batchTransform: {
        input: TransformInput.fromAsset(IRIS_BATCH_DATA),
        contentType: 'application/jsonlines',
        compressionType: CompressionType.NONE,
        s3DataType: S3DataType.S3_PREFIX,
        splitType: SplitType.LINE,
        batchStrategy: BatchStrategy.MULTI_RECORD,
        maxPayloadInMB: 6,
        maxConcurrentTransforms: 4,
        assembleWith: AssembleWith.LINE,
        accept: 'application/jsonlines',
        outputEncryptionKey: key,
        volumeEncryptionKey: volumeKey,
        inputFilter: '$.features',
        joinSource: JoinSource.INPUT,
        outputFilter: "$['id','SageMakerOutput']",
        invocationsTimeout: Duration.minutes(10),
        invocationsMaxRetries: 2,
        environment: { BATCH_SIZE: '64' },
        instanceType: InstanceType.ML_M5_XLARGE,
        instanceCount: 2,
      },
      endpoint: endpoint === 'serverless'
        ? { endpointName: 'iris-serverless', serverless: { memorySizeInMB: 6144, maxConcurrency: 200 }, encryptionKey: key }
        : {
          endpointName: 'iris-endpoint',
          encryptionKey: key,
          variants: [{
            variantName: 'Blue',
            instanceType: InstanceType.ML_G5_XLARGE,
            initialInstanceCount: 2,
            initialVariantWeight: 0.9,
            volumeSize: Size.gibibytes(512),
            modelDataDownloadTimeout: Duration.hours(1),
            containerStartupHealthCheckTimeout: Duration.seconds(60),
          }, {
            instanceType: InstanceType.ML_T2_MEDIUM,
            initialVariantWeight: 0.1,
          }],
        },
    });
  });
}

const SCRIPT_CODE = path.join(__dirname, '..', 'code', 'fixtures', 'sklearn-code');
const TF_CODE = path.join(__dirname, '..', 'code', 'fixtures', 'tf-code');

/** The scikit-learn lab: script mode on SageMaker's scikit-learn image, batch transform and endpoint. */
function sklearnScriptMode(): Synthesized {
  return synth(stack => new ByoaPipeline(stack, 'Pipe', {
    image: AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1'),
    training: {
      code: SourceCode.fromAsset(SCRIPT_CODE, { entryPoint: 'train.py' }),
      channels: [{ channelName: 'training', input: TrainingInput.fromAsset(path.join(__dirname, '..', '..', 'examples', 'iris', 'data', 'training')) }],
      hyperparameters: { max_leaf_nodes: 30, criterion: 'gini' },
      instanceType: InstanceType.ML_M5_LARGE,
    },
    batchTransform: { input: TransformInput.fromAsset(IRIS_BATCH_DATA), contentType: 'text/csv', splitType: SplitType.LINE, instanceType: InstanceType.ML_M5_LARGE },
    endpoint: { instanceType: InstanceType.ML_M5_LARGE, initialInstanceCount: 1 },
  }));
}

/** PyTorch without network: the code channel, a separate inference image, the repack step. */
function pytorchIsolated(): Synthesized {
  return synth(stack => new ByoaPipeline(stack, 'Pipe', minimalPipelineProps(stack, {
    image: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.8'),
    inferenceImage: AlgorithmImage.fromFramework(Framework.PYTORCH, '2.6'),
    training: { code: SourceCode.fromAsset(SCRIPT_CODE, { entryPoint: 'train.py' }), enableNetworkIsolation: true, instanceType: InstanceType.ML_G5_XLARGE, hyperparameters: { epochs: 3 } },
    batchTransform: { input: TransformInput.fromBucket(dataBucket(stack, 'Batch'), 'batch/'), instanceType: InstanceType.ML_G4DN_XLARGE },
    endpoint: { instanceType: InstanceType.ML_G5_XLARGE },
  })));
}

/** TensorFlow in an environment-agnostic stack: image URIs from a CfnMapping, model_dir, repacked inference.py. */
function tensorflowAgnostic(): Synthesized {
  const app = new App();
  const stack = new Stack(app, 'TestStack');
  new ByoaPipeline(stack, 'Pipe', minimalPipelineProps(stack, {
    image: AlgorithmImage.fromFramework(Framework.TENSORFLOW, '2.19'),
    training: { code: SourceCode.fromAsset(TF_CODE, { entryPoint: 'train.py' }) },
    inferenceCode: SourceCode.fromAsset(TF_CODE, { entryPoint: 'inference.py' }),
    endpoint: {},
  }));
  return { app, stack, template: Template.fromStack(stack).toJSON() };
}

/** A built-in algorithm. */
function linearLearner(): Synthesized {
  return synth(stack => new ByoaPipeline(stack, 'Pipe', minimalPipelineProps(stack, {
    image: AlgorithmImage.fromBuiltInAlgorithm(BuiltInAlgorithm.LINEAR_LEARNER),
    training: { hyperparameters: { predictor_type: 'multiclass_classifier', num_classes: 3 } },
  })));
}

/** The integrations of a full pipeline (training, model, transform, endpoint). */
const ALL_INTEGRATIONS = [
  'aws-sdk:sagemaker:describeEndpoint',
  'aws-sdk:sagemaker:describeTrainingJob',
  'aws-sdk:sagemaker:describeTransformJob',
  'sagemaker:createEndpoint',
  'sagemaker:createEndpointConfig',
  'sagemaker:createModel',
  'sagemaker:createTrainingJob.sync',
  'sagemaker:createTransformJob.sync',
  'sagemaker:updateEndpoint',
];

const PIPELINES: [string, () => Synthesized, string[]][] = [
  ['the iris example', () => iris(), ALL_INTEGRATIONS],
  ['every option, multi-variant endpoint', () => everyOption('variants'), ALL_INTEGRATIONS],
  ['every option, serverless endpoint', () => everyOption('serverless'), ALL_INTEGRATIONS],
  ['minimal, training only', minimalTrainingOnly, ['aws-sdk:sagemaker:describeTrainingJob', 'sagemaker:createModel', 'sagemaker:createTrainingJob.sync']],
  ['script mode: the scikit-learn lab', sklearnScriptMode, ALL_INTEGRATIONS],
  ['script mode: PyTorch without network, separate inference image, repack', pytorchIsolated, ALL_INTEGRATIONS],
  ['script mode: TensorFlow, environment-agnostic stack', tensorflowAgnostic, [
    'aws-sdk:sagemaker:describeEndpoint', 'aws-sdk:sagemaker:describeTrainingJob', 'sagemaker:createEndpoint', 'sagemaker:createEndpointConfig',
    'sagemaker:createModel', 'sagemaker:createTrainingJob.sync', 'sagemaker:updateEndpoint',
  ]],
  ['built-in algorithm: linear-learner', linearLearner, ['aws-sdk:sagemaker:describeTrainingJob', 'sagemaker:createModel', 'sagemaker:createTrainingJob.sync']],
];

// ---------------------------------------------------------------------------
// A valid request, mutated by the validator's own tests
// ---------------------------------------------------------------------------
function validTrainingRequest(): any {
  return {
    'TrainingJobName.$': '$.byoa.name',
    'RoleArn': 'arn:aws:iam::123456789012:role/x',
    'AlgorithmSpecification': { TrainingImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/algo:v1', TrainingInputMode: 'File' },
    'HyperParameters': { max_leaf_nodes: '5' },
    'InputDataConfig': [{
      ChannelName: 'training',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket-name/data/', S3DataDistributionType: 'FullyReplicated' } },
    }],
    'OutputDataConfig': { S3OutputPath: 's3://bucket-name/training/' },
    'ResourceConfig': { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
    'StoppingCondition': { MaxRuntimeInSeconds: 3600 },
    'Environment': { LOG_LEVEL: 'debug' },
  };
}

describe('the API model extract', () => {
  test('names its source and holds the input shape of every operation the library sends', () => {
    // GIVEN / WHEN
    const model = validator.model;
    // THEN
    expect(model.source).toMatchObject({ botocoreCommit: expect.stringMatching(/^[0-9a-f]{40}$/), apiVersion: '2017-07-24', license: 'Apache-2.0' });
    expect(validator.operations.sort()).toEqual([
      'CreateEndpoint', 'CreateEndpointConfig', 'CreateModel', 'CreateTrainingJob', 'CreateTransformJob',
      'DescribeEndpoint', 'DescribeTrainingJob', 'DescribeTransformJob', 'UpdateEndpoint',
    ]);
    expect(validator.shape('CreateTrainingJobRequest').required).toEqual(expect.arrayContaining(['TrainingJobName', 'RoleArn', 'OutputDataConfig']));
  });

  test('every shape a request reaches is in the extract, and every pattern compiles', () => {
    // GIVEN
    const shapes = validator.model.shapes;
    // WHEN
    const dangling = Object.entries(shapes).flatMap(([name, s]) => [
      ...Object.values(s.members ?? {}).map(m => m.shape), s.member?.shape, s.key?.shape, s.value?.shape,
    ].filter((ref): ref is string => ref !== undefined && !(ref in shapes)).map(ref => `${name} -> ${ref}`));
    const patterns = Object.values(shapes).filter(s => s.pattern !== undefined);
    // THEN
    expect(dangling).toEqual([]);
    expect(patterns.length).toBeGreaterThan(50);
    for (const shape of patterns) expect(compilePattern(shape.pattern!)).toBeInstanceOf(RegExp);
  });
});

describe('the validator', () => {
  test('accepts a valid request, with a ".$" path for a required member', () => {
    expect(validator.validate('CreateTrainingJob', validTrainingRequest())).toEqual([]);
  });

  test('reports an unknown member', () => {
    // GIVEN
    const request = { ...validTrainingRequest(), TrainingImage: 'x' };
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual([expect.stringMatching(/^TrainingImage: unknown member of CreateTrainingJobRequest; allowed: .*AlgorithmSpecification/)]);
  });

  test('reports an unknown ".$" member and an unknown nested member', () => {
    // GIVEN
    const request = validTrainingRequest();
    request['JobName.$'] = '$.name';
    request.ResourceConfig.InstanceSize = 'large';
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual([
      expect.stringMatching(/^ResourceConfig\.InstanceSize: unknown member of ResourceConfig/),
      expect.stringMatching(/^JobName\.\$: unknown member/),
    ]);
  });

  test('reports a missing required member, top-level and nested', () => {
    // GIVEN
    const request = validTrainingRequest();
    delete request['TrainingJobName.$'];
    delete request.InputDataConfig[0].ChannelName;
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual([
      'InputDataConfig[0].ChannelName: required member of Channel is missing',
      'TrainingJobName: required member of CreateTrainingJobRequest is missing',
    ]);
  });

  test('reports a ".$" value that is not a path, and a member given twice', () => {
    // GIVEN
    const { RoleArn: _roleArn, ...rest } = validTrainingRequest();
    const request = { ...rest, 'RoleArn.$': 'byoa.role', 'TrainingJobName': 'job' };
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual([
      expect.stringMatching(/^RoleArn\.\$: a "\.\$" value must be a Step Functions path/),
      'TrainingJobName: member TrainingJobName is given both as "TrainingJobName" and as "TrainingJobName.$"',
    ]);
  });

  test('reports a value that is not one of the enum', () => {
    // GIVEN
    const request = validTrainingRequest();
    request.AlgorithmSpecification.TrainingInputMode = 'file';
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual(['AlgorithmSpecification.TrainingInputMode: "file" is not one of the values of TrainingInputMode: Pipe, File, FastFile']);
  });

  test('reports an instance type SageMaker does not know', () => {
    // GIVEN
    const request = validTrainingRequest();
    request.ResourceConfig.InstanceType = 'ml.t2.medium';
    // WHEN / THEN
    expect(validator.validate('CreateTrainingJob', request)).toEqual([expect.stringMatching(/^ResourceConfig\.InstanceType: "ml\.t2\.medium" is not one of the values of TrainingInstanceType/)]);
  });

  test('reports a string that is too long, and one that is too short', () => {
    // GIVEN
    const request = validTrainingRequest();
    request.AlgorithmSpecification.MetricDefinitions = [{ Name: 'n'.repeat(256), Regex: '' }];
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual([
      expect.stringMatching(/^AlgorithmSpecification\.MetricDefinitions\[0\]\.Name: "n+\.\.\. is 256 characters long, more than the maximum 255 \(MetricName\)$/),
      'AlgorithmSpecification.MetricDefinitions[0].Regex: "" is 0 characters long, less than the minimum 1 (MetricRegex)',
      'AlgorithmSpecification.MetricDefinitions[0].Regex: "" does not match the pattern .+ of MetricRegex',
    ]);
  });

  test('reports a pattern mismatch, matching the pattern against the whole value', () => {
    // GIVEN
    const request = validTrainingRequest();
    request.RoleArn = 'arn:aws:iam::123456789012:user/x';
    request.InputDataConfig[0].ChannelName = 'train ing'; // [A-Za-z0-9\.\-_]+ matches "train" and "ing", not the whole value
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual([
      expect.stringMatching(/^RoleArn: "arn:aws:iam::123456789012:user\/x" does not match the pattern arn:aws.*:role.* of RoleArn$/),
      expect.stringMatching(/^InputDataConfig\[0\]\.ChannelName: "train ing" does not match the pattern/),
    ]);
  });

  test('reports numbers out of range, fractional integers and wrong types', () => {
    // GIVEN
    const request = validTrainingRequest();
    request.ResourceConfig.KeepAlivePeriodInSeconds = 21601;
    request.ResourceConfig.VolumeSizeInGB = 30.5;
    request.StoppingCondition.MaxRuntimeInSeconds = 0;
    request.StoppingCondition.MaxWaitTimeInSeconds = '3600';
    request.EnableNetworkIsolation = 'false';
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual([
      'ResourceConfig.VolumeSizeInGB: expected a whole number (integer OptionalVolumeSizeInGB), got 30.5',
      'ResourceConfig.KeepAlivePeriodInSeconds: 21601 is more than the maximum 21600 (KeepAlivePeriodInSeconds)',
      'StoppingCondition.MaxRuntimeInSeconds: 0 is less than the minimum 1 (MaxRuntimeInSeconds)',
      'StoppingCondition.MaxWaitTimeInSeconds: expected a number (integer MaxWaitTimeInSeconds), got string "3600"',
      'EnableNetworkIsolation: expected a boolean (Boolean), got string "false"',
    ]);
  });

  test('reports lists and maps with too many entries and map keys that do not match', () => {
    // GIVEN
    const request = validTrainingRequest();
    request.InputDataConfig = Array.from({ length: 21 }, (_, i) => ({ ...request.InputDataConfig[0], ChannelName: `c${i}` }));
    request.Environment = { 'BAD-KEY': 'x' };
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual([
      'InputDataConfig: 21 entries, more than the maximum 20',
      'Environment{key "BAD-KEY"}: "BAD-KEY" does not match the pattern [a-zA-Z_][a-zA-Z0-9_]* of TrainingEnvironmentKey',
    ]);
  });

  test('accepts unresolved CloudFormation intrinsics and CDK tokens as strings, but not as numbers', () => {
    // GIVEN
    const request = validTrainingRequest();
    request.RoleArn = { 'Fn::GetAtt': ['Role', 'Arn'] };
    request.OutputDataConfig.S3OutputPath = { 'Fn::Join': ['', ['s3://', { Ref: 'Bucket' }, '/']] };
    request.AlgorithmSpecification.TrainingImage = '${Token[TOKEN.123]}';
    request.ResourceConfig.InstanceCount = { Ref: 'Count' };
    // WHEN
    const problems = validator.validate('CreateTrainingJob', request);
    // THEN
    expect(problems).toEqual(['ResourceConfig.InstanceCount: expected a number (integer TrainingInstanceCount), got object {"Ref":"Count"}']);
  });

  test('translates Java POSIX classes in patterns', () => {
    // GIVEN
    const regex = compilePattern('arn:[\\p{Alnum}\\-]+:lambda:\\p{Alnum}+');
    // WHEN / THEN
    expect(regex.test('arn:aws-cn:lambda:abc1')).toBe(true);
    expect(regex.test('arn:aws:lambda:a_b')).toBe(false);
    expect(regex.test('xarn:aws:lambda:a')).toBe(false);
  });
});

describe.each(PIPELINES)('state machine of %s', (_name, build, integrations) => {
  let synthesized: Synthesized;
  let tasks: SageMakerTaskState[];
  beforeAll(() => {
    synthesized = build();
    tasks = sageMakerTasks(definitionOf(synthesized.template));
  });

  test('calls the expected SageMaker integrations', () => {
    expect([...new Set(tasks.map(t => t.integration))].sort()).toEqual(integrations);
  });

  test('every SageMaker Task state\'s Parameters conform to SageMaker\'s API model', () => {
    expect(tasks.length).toBeGreaterThanOrEqual(3);
    expect(taskProblems(tasks)).toEqual([]);
  });

  test('the run spec\'s requests conform to SageMaker\'s API model', () => {
    const specs = runSpecsOf(synthesized.app, synthesized.stack);
    expect(specs).toHaveLength(1);
    expect(runSpecProblems(specs[0], synthesized.template)).toEqual([]);
  });

  test('the names computed at run time fit every SageMaker name they are used as', () => {
    // GIVEN: the Pass state that names the jobs, `States.Format('<prefix>-{}', States.UUID())`
    const definition = definitionOf(synthesized.template);
    const format = allStates(definition).map(([, s]) => s.Parameters?.['name.$']).find(v => typeof v === 'string') as string;
    const prefix = /^States\.Format\('([^']*)-\{\}', States\.UUID\(\)\)$/.exec(format)?.[1];
    expect(prefix).toBeDefined();
    // WHEN: the longest value it can produce
    const name = `${prefix}-0f8fad5b-d9cb-469f-a165-70867728950e`;
    // THEN
    for (const shape of ['TrainingJobName', 'ModelName', 'TransformJobName', 'EndpointConfigName']) {
      expect({ shape, problems: validator.validateShape(shape, name) }).toEqual({ shape, problems: [] });
    }
  });
});

describe('the conformance check of a state machine', () => {
  test('fails when a Task state sends what SageMaker would reject', () => {
    // GIVEN: the iris state machine's training state, changed the way a rendering bug would
    const tasks = sageMakerTasks(definitionOf(iris().template));
    const train = tasks.find(t => t.operation === 'CreateTrainingJob')!;
    train.parameters.ResourceConfig.InstanceType = 'ml.t2.medium';
    train.parameters.TrainingImage = train.parameters.AlgorithmSpecification.TrainingImage;
    // WHEN
    const problems = taskProblems(tasks);
    // THEN
    expect(problems).toEqual([
      expect.stringMatching(/^Train \(CreateTrainingJob\) ResourceConfig\.InstanceType: "ml\.t2\.medium" is not one of the values of TrainingInstanceType/),
      expect.stringMatching(/^Train \(CreateTrainingJob\) TrainingImage: unknown member of CreateTrainingJobRequest/),
    ]);
  });
});

describe('run spec of the iris example in local mode', () => {
  test('conforms to SageMaker\'s API model once its local locations are mapped to S3', () => {
    // GIVEN
    const { app, stack, template } = iris(true);
    // WHEN
    const specs = runSpecsOf(app, stack);
    // THEN
    expect(specs).toHaveLength(1);
    expect(specs[0].options.localMode).toBe(true);
    expect(JSON.stringify(specs[0].training)).toContain('file://asset.');
    expect(runSpecProblems(specs[0], template)).toEqual([]);
  });
});

describe('RealtimeEndpoint', () => {
  /** The CloudFormation properties of a resource type, which use SageMaker's member names. */
  function propertiesOf(template: any, type: string): any {
    const resources = Object.values(template.Resources).filter((r: any) => r.Type === type) as any[];
    expect(resources).toHaveLength(1);
    return new PlaceholderResolver(template).resolveDeep(resources[0].Properties);
  }

  test.each([
    ['multi-variant, KMS', (stack: Stack) => ({
      encryptionKey: new kms.Key(stack, 'Key'),
      environment: { MODEL_SERVER_WORKERS: '2' },
      enableNetworkIsolation: true,
      variants: [
        { variantName: 'Blue', instanceType: InstanceType.ML_M5_XLARGE, initialInstanceCount: 2, volumeSize: Size.gibibytes(64), modelDataDownloadTimeout: Duration.minutes(10), containerStartupHealthCheckTimeout: Duration.minutes(5) },
        { instanceType: InstanceType.ML_T2_MEDIUM, initialVariantWeight: 0.5 },
      ],
    })],
    ['serverless', () => ({ serverless: { memorySizeInMB: 2048, maxConcurrency: 10 } })],
  ])('%s: the model, endpoint config and endpoint conform to SageMaker\'s API model', (_name, extra) => {
    // GIVEN
    const { template } = synth(stack => new RealtimeEndpoint(stack, 'Endpoint', {
      image: repositoryImage(stack),
      modelData: ModelData.fromBucket(dataBucket(stack), 'iris/model.tar.gz'),
      endpointName: 'iris',
      ...extra(stack),
    }));
    // WHEN: CloudFormation generates the names; the API requires them
    const model = { ModelName: 'model-name-from-cfn', ...propertiesOf(template, 'AWS::SageMaker::Model') };
    const config = { EndpointConfigName: 'config-name-from-cfn', ...propertiesOf(template, 'AWS::SageMaker::EndpointConfig') };
    const endpoint = propertiesOf(template, 'AWS::SageMaker::Endpoint');
    // THEN
    expect(config.ProductionVariants.length).toBeGreaterThanOrEqual(1);
    expect(unresolvedPaths([model, config, endpoint])).toEqual([]);
    expect(validator.validate('CreateModel', model)).toEqual([]);
    expect(validator.validate('CreateEndpointConfig', config)).toEqual([]);
    expect(validator.validate('CreateEndpoint', endpoint)).toEqual([]);
  });
});

describe('the library\'s values are values SageMaker accepts', () => {
  test.each([
    ['training', 'TrainingInstanceType'],
    ['transform', 'TransformInstanceType'],
    ['hosting', 'ProductionVariantInstanceType'],
  ] as const)('every InstanceType constant the library accepts for %s is in the API\'s %s', (use, shape) => {
    // GIVEN: the named constants (the list the library accepts comes from
    // @aws-sdk/client-sagemaker, whose model may be newer or older than the
    // extract, so only the constants the library documents are compared)
    const allowed = validator.shape(shape).enum!;
    const constants = Object.values(InstanceType).filter((v): v is InstanceType => v instanceof InstanceType).map(t => t.toString());
    // WHEN
    const accepted = constants.filter(t => allowedInstanceTypes(use).includes(t));
    // THEN
    expect(accepted).toContain('ml.m5.large');
    expect(accepted.filter(t => !allowed.includes(t))).toEqual([]);
  });

  test.each([
    ['InputMode', 'TrainingInputMode', InputMode],
    ['CompressionType', 'CompressionType', CompressionType],
    ['S3DataDistribution', 'S3DataDistribution', S3DataDistribution],
    ['RecordWrapperType', 'RecordWrapper', RecordWrapperType],
    ['S3DataType', 'S3DataType', S3DataType],
    ['SplitType', 'SplitType', SplitType],
    ['BatchStrategy', 'BatchStrategy', BatchStrategy],
    ['AssembleWith', 'AssemblyType', AssembleWith],
    ['JoinSource', 'JoinSource', JoinSource],
  ] as [string, string, object][])('every value of %s is in the API\'s %s', (_name, shape, values) => {
    // GIVEN
    const allowed = validator.shape(shape).enum!;
    // WHEN / THEN
    expect(allowed).toBeDefined();
    expect(Object.values(values).filter(v => !allowed.includes(v))).toEqual([]);
  });
});

