import { Duration, Lazy, Size, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  ByoaPipeline, ByoaPipelineProps, EndpointProps, InstanceType, MetricDefinition, ProductionVariantProps, SplitType,
  TrainingChannel, TrainingInput, TransformInput, BatchTransformProps,
} from '../../src';
import { ByoaValidationError } from '../../src/private/errors';
import { dataBucket, minimalPipelineProps, newStack, PipelinePropsOverrides } from '../support/pipeline-fixtures';

const PATH = 'TestStack/Pipe';

/** Escapes a literal for use in a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The message of a pipeline that has exactly ONE problem: it names the
 * construct path and the property, then `rest` (the bad value and what is
 * allowed).
 */
function oneProblem(property: string, rest: RegExp): RegExp {
  return new RegExp(`^${escape(PATH)}: invalid configuration \\(1 problem\\):\\n  - ${escape(property)}: ${rest.source}`);
}

/** Builds the props in a fresh stack, with overrides computed from that stack. */
function propsIn(overrides: (stack: Stack) => PipelinePropsOverrides): { stack: Stack; props: ByoaPipelineProps } {
  const { stack } = newStack();
  return { stack, props: minimalPipelineProps(stack, overrides(stack)) };
}

function construct(stack: Stack, props: ByoaPipelineProps): ByoaPipeline {
  return new ByoaPipeline(stack, 'Pipe', props);
}

function channels(stack: Stack, ...names: string[]): TrainingChannel[] {
  const bucket = dataBucket(stack, 'ChannelBucket');
  return names.map(channelName => ({ channelName, input: TrainingInput.fromBucket(bucket, `data/${channelName}/`) }));
}

function transform(stack: Stack, extra: Partial<BatchTransformProps> = {}): BatchTransformProps {
  return { input: TransformInput.fromBucket(dataBucket(stack, 'BatchBucket'), 'batch/'), ...extra };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function map(n: number, value = 'v'): { [key: string]: string } {
  return Object.fromEntries(range(n).map(i => [`K${i}`, value]));
}

/** Asserts that constructing the pipeline with these training props throws exactly one problem. */
function expectTrainingProblem(training: (stack: Stack) => PipelinePropsOverrides['training'], property: string, rest: RegExp): void {
  // GIVEN
  const { stack, props } = propsIn(s => ({ training: training(s) }));
  // WHEN / THEN
  expect(() => construct(stack, props)).toThrow(oneProblem(property, rest));
}

type TransformExtra = Partial<BatchTransformProps> | ((stack: Stack) => Partial<BatchTransformProps>);

function expectTransformProblem(extra: TransformExtra, property: string, rest: RegExp): void {
  // GIVEN
  const { stack, props } = propsIn(s => ({ batchTransform: transform(s, typeof extra === 'function' ? extra(s) : extra) }));
  // WHEN / THEN
  expect(() => construct(stack, props)).toThrow(oneProblem(property, rest));
}

function expectEndpointProblem(endpoint: EndpointProps, property: string, rest: RegExp): void {
  // GIVEN
  const { stack, props } = propsIn(() => ({ endpoint }));
  // WHEN / THEN
  expect(() => construct(stack, props)).toThrow(oneProblem(property, rest));
}

describe('a valid pipeline', () => {
  test('the minimal props construct without error', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({}));
    // WHEN
    const pipeline = construct(stack, props);
    // THEN
    expect(pipeline.node.path).toBe(PATH);
    expect(pipeline.localMode).toBe(false);
  });

  test('every limit at its allowed edge constructs without error', () => {
    // GIVEN values at the edges of what SageMaker accepts
    const { stack, props } = propsIn(s => ({
      training: {
        channels: channels(s, ...range(20).map(i => `c.h-a_n${i}`)),
        hyperparameters: { ...map(99), ['k'.repeat(256)]: 'v'.repeat(2500) },
        metricDefinitions: range(40).map(i => ({ name: `m${i}`.padEnd(255, 'x'), regex: `m${i}=(\\d+)` })),
        instanceCount: 2,
        volumeSize: Size.gibibytes(1),
        maxRuntime: Duration.days(28),
        useSpotInstances: true,
        maxWait: Duration.days(28),
        environment: { ...map(99), ['E'.repeat(512)]: 'v'.repeat(512) },
        containerEntrypoint: range(100).map(i => `e${i}`),
        containerArguments: ['a'.repeat(256)],
      },
      batchTransform: transform(s, {
        splitType: SplitType.LINE,
        maxPayloadInMB: 100,
        maxConcurrentTransforms: 1,
        invocationsTimeout: Duration.hours(1),
        invocationsMaxRetries: 3,
        environment: map(16),
        inputFilter: `$${'a'.repeat(62)}`,
        outputFilter: '$',
      }),
      endpoint: {
        endpointName: 'a'.repeat(63),
        variants: range(10).map(i => ({
          variantName: `v${i}`,
          initialVariantWeight: 0,
          volumeSize: Size.gibibytes(512),
          modelDataDownloadTimeout: Duration.seconds(60),
          containerStartupHealthCheckTimeout: Duration.seconds(3600),
        })),
      },
      namePrefix: 'a'.repeat(26),
      outputPrefix: 'iris/v1/',
      modelEnvironment: { ['M'.repeat(1024)]: 'v'.repeat(1024) },
    }));
    // WHEN
    const pipeline = construct(stack, props);
    // THEN
    expect(pipeline.namePrefix).toBe('a'.repeat(26));
  });
});

describe('training channels', () => {
  test('no channel', () => {
    expectTrainingProblem(() => ({ channels: [] }), 'training.channels', /has 0 channels; allowed: 1 to 20/);
  });

  test('21 channels', () => {
    expectTrainingProblem(s => ({ channels: channels(s, ...range(21).map(i => `c${i}`)) }), 'training.channels', /has 21 channels; allowed: 1 to 20/);
  });

  test('a channel name with characters outside [A-Za-z0-9.-_]', () => {
    expectTrainingProblem(s => ({ channels: channels(s, 'my channel!') }), 'training.channels[0].channelName',
      /"my channel!" is not valid; allowed: 1-64 characters matching .+/);
  });

  test('a channel name of 65 characters', () => {
    expectTrainingProblem(s => ({ channels: channels(s, 'c'.repeat(65)) }), 'training.channels[0].channelName',
      new RegExp(`"${'c'.repeat(65)}" is not valid; allowed: 1-64 characters matching .+`));
  });

  test('an empty channel name', () => {
    expectTrainingProblem(s => ({ channels: channels(s, '') }), 'training.channels[0].channelName', /"" is not valid; allowed: 1-64 characters matching .+/);
  });

  test('two channels with the same name', () => {
    expectTrainingProblem(s => ({ channels: channels(s, 'training', 'validation', 'training') }), 'training.channels[2].channelName',
      /"training" is used by another channel; channel names must be unique/);
  });

  test('a bucket key prefix with a leading slash', () => {
    expectTrainingProblem(s => ({ channels: [{ channelName: 'training', input: TrainingInput.fromBucket(dataBucket(s, 'B'), '/datasets/iris/') }] }),
      'training.channels[0].input keyPrefix', /"\/datasets\/iris\/" is not valid; allowed: a key prefix without a leading "\/"/);
  });

  test.each([
    ['inputMode', 'Stream', 'File, Pipe, FastFile'],
    ['compressionType', 'Zip', 'None, Gzip'],
    ['s3DataDistributionType', 'Random', 'FullyReplicated, ShardedByS3Key'],
    ['recordWrapperType', 'Protobuf', 'None, RecordIO'],
    ['s3DataType', 'Folder', 'S3Prefix, ManifestFile, AugmentedManifestFile'],
  ])('a channel %s of %j', (property, value, allowed) => {
    expectTrainingProblem(s => ({ channels: [{ ...channels(s, 'training')[0], [property]: value as any }] }),
      `training.channels[0].${property}`, new RegExp(`"${value}" is not valid; allowed: one of ${allowed}$`));
  });

  test('a channel contentType of 257 characters', () => {
    expectTrainingProblem(s => ({ channels: [{ ...channels(s, 'training')[0], contentType: 't'.repeat(257) }] }),
      'training.channels[0].contentType', /"t+\.\.\. is not valid; allowed: a string of 0-256 characters \(got 257\)/);
  });

  test('a job inputMode of "Stream"', () => {
    expectTrainingProblem(() => ({ inputMode: 'Stream' as any }), 'training.inputMode', /"Stream" is not valid; allowed: one of File, Pipe, FastFile$/);
  });
});

describe('training hyperparameters', () => {
  test('101 hyperparameters', () => {
    expectTrainingProblem(() => ({ hyperparameters: map(101) }), 'training.hyperparameters', /has 101 entries; allowed: at most 100/);
  });

  test('a key of 257 characters', () => {
    expectTrainingProblem(() => ({ hyperparameters: { ['k'.repeat(257)]: '1' } }), 'training.hyperparameters key',
      /"k{116}\.\.\. is not valid; allowed: 1-256 characters/);
  });

  test('a value of 2501 characters', () => {
    expectTrainingProblem(() => ({ hyperparameters: { lr: '9'.repeat(2501) } }), 'training.hyperparameters.lr',
      /"9{116}\.\.\. is not valid; allowed: at most 2500 characters \(got 2501\)/);
  });

  test('an object value', () => {
    expectTrainingProblem(() => ({ hyperparameters: { layers: { depth: 3 } } }), 'training.hyperparameters.layers',
      /\{"depth":3\} is not valid; allowed: a string, a finite number or a boolean/);
  });

  test('an array value', () => {
    expectTrainingProblem(() => ({ hyperparameters: { layers: [1, 2] } }), 'training.hyperparameters.layers',
      /\[1,2\] is not valid; allowed: a string, a finite number or a boolean/);
  });

  test('a null value', () => {
    expectTrainingProblem(() => ({ hyperparameters: { seed: null } }), 'training.hyperparameters.seed',
      /null is not valid; allowed: a string, a finite number or a boolean/);
  });

  test('a NaN value is rejected', () => {
    expectTrainingProblem(() => ({ hyperparameters: { lr: NaN } }), 'training.hyperparameters.lr',
      /.+ is not valid; allowed: a string, a finite number or a boolean/);
  });

  // src defect: show() renders NaN and Infinity with JSON.stringify, which
  // turns them into `null`, so the message names a value the user never wrote.
  test('a NaN value is named as NaN in the message', () => {
    expectTrainingProblem(() => ({ hyperparameters: { lr: NaN } }), 'training.hyperparameters.lr',
      /NaN is not valid; allowed: a string, a finite number or a boolean/);
  });

  test('an Infinity value is rejected', () => {
    expectTrainingProblem(() => ({ hyperparameters: { lr: Infinity } }), 'training.hyperparameters.lr',
      /.+ is not valid; allowed: a string, a finite number or a boolean/);
  });
});

describe('training metric definitions', () => {
  const metric = (i: number): MetricDefinition => ({ name: `m${i}`, regex: `m${i}=(\\d+)` });

  test('41 metric definitions', () => {
    expectTrainingProblem(() => ({ metricDefinitions: range(41).map(metric) }), 'training.metricDefinitions',
      /has 41 metric definitions; allowed: 0 to 40/);
  });

  test('an empty name', () => {
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: '', regex: 'a=(\\d+)' }] }), 'training.metricDefinitions[0].name',
      /"" is not valid; allowed: a string of 1-255 characters \(got 0\)/);
  });

  test('a name of 256 characters', () => {
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: 'n'.repeat(256), regex: 'a=(\\d+)' }] }), 'training.metricDefinitions[0].name',
      /"n{116}\.\.\. is not valid; allowed: a string of 1-255 characters \(got 256\)/);
  });

  test('a name defined twice', () => {
    expectTrainingProblem(() => ({ metricDefinitions: [metric(1), { name: 'm1', regex: 'other=(\\d+)' }] }), 'training.metricDefinitions[1].name',
      /"m1" is defined twice; metric names must be unique/);
  });

  test('an empty regex', () => {
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: 'acc', regex: '' }] }), 'training.metricDefinitions[0].regex',
      /"" is not valid; allowed: a string of 1-500 characters \(got 0\)/);
  });

  test('a regex of 501 characters', () => {
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: 'acc', regex: `acc=(\\d+)${'x'.repeat(492)}` }] }), 'training.metricDefinitions[0].regex',
      /"acc=\(\\\\d\+\)x+\.\.\. is not valid; allowed: a string of 1-500 characters \(got 501\)/);
  });

  test('a regex that does not compile', () => {
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: 'acc', regex: 'acc=([0-9' }] }), 'training.metricDefinitions[0].regex',
      /"acc=\(\[0-9" is not valid; allowed: a regular expression that compiles/);
  });

  test('a regex without a capture group', () => {
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: 'acc', regex: 'acc=[0-9.]+' }] }), 'training.metricDefinitions[0].regex',
      /"acc=\[0-9\.\]\+" is not valid; allowed: a regular expression with exactly one capture group \(found 0\)/);
  });

  test('a regex with two capture groups', () => {
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: 'acc', regex: '(acc|loss)=([0-9.]+)' }] }), 'training.metricDefinitions[0].regex',
      /"\(acc\|loss\)=\(\[0-9\.\]\+\)" is not valid; allowed: a regular expression with exactly one capture group \(found 2\)/);
  });

  test('non-capturing groups do not count', () => {
    // GIVEN a regex with one capture group and one non-capturing group
    const { stack, props } = propsIn(() => ({ training: { metricDefinitions: [{ name: 'acc', regex: '(?:acc|accuracy)=([0-9.]+)' }] } }));
    // WHEN
    const pipeline = construct(stack, props);
    // THEN
    expect(pipeline.metricDefinitions).toEqual([{ name: 'acc', regex: '(?:acc|accuracy)=([0-9.]+)' }]);
  });
});

describe('training resources and stopping condition', () => {
  test('an instance type that is hosting-only (ml.t2.medium)', () => {
    expectTrainingProblem(() => ({ instanceType: InstanceType.ML_T2_MEDIUM }), 'training.instanceType',
      /"ml\.t2\.medium" is not valid; allowed: one of the \d+ training instance types SageMaker accepts \(for example ml\.m5\.large.*\)/);
  });

  test('ml.c5.large, also hosting-only', () => {
    expectTrainingProblem(() => ({ instanceType: InstanceType.ML_C5_LARGE }), 'training.instanceType', /"ml\.c5\.large" is not valid; allowed: one of the \d+ training/);
  });

  test('instanceCount 0', () => {
    expectTrainingProblem(() => ({ instanceCount: 0 }), 'training.instanceCount', /0 is not valid; allowed: an integer >= 1/);
  });

  test('a fractional instanceCount', () => {
    expectTrainingProblem(() => ({ instanceCount: 1.5 }), 'training.instanceCount', /1\.5 is not valid; allowed: an integer >= 1/);
  });

  test('volumeSize 0 GiB', () => {
    expectTrainingProblem(() => ({ volumeSize: Size.gibibytes(0) }), 'training.volumeSize', /"0 GiB" is not valid; allowed: a whole number of GiB, at least 1/);
  });

  test('a fractional volumeSize (1536 MiB)', () => {
    expectTrainingProblem(() => ({ volumeSize: Size.mebibytes(1536) }), 'training.volumeSize', /"1\.5 GiB" is not valid; allowed: a whole number of GiB, at least 1/);
  });

  test('maxRuntime 0 seconds', () => {
    expectTrainingProblem(() => ({ maxRuntime: Duration.seconds(0) }), 'training.maxRuntime (seconds)', /0 is not valid; allowed: an integer from 1 to 2419200/);
  });

  test('maxRuntime over 28 days', () => {
    expectTrainingProblem(() => ({ maxRuntime: Duration.days(28).plus(Duration.seconds(1)) }), 'training.maxRuntime (seconds)',
      /2419201 is not valid; allowed: an integer from 1 to 2419200/);
  });

  test('a fractional maxRuntime (1.5 s)', () => {
    expectTrainingProblem(() => ({ maxRuntime: Duration.millis(1500) }), 'training.maxRuntime (seconds)', /1\.5 is not valid; allowed: an integer from 1 to 2419200/);
  });

  test('maxWait without spot instances', () => {
    expectTrainingProblem(() => ({ maxWait: Duration.hours(2) }), 'training.maxWait', /is only allowed with useSpotInstances: true/);
  });

  test('maxWait shorter than maxRuntime with spot instances', () => {
    expectTrainingProblem(() => ({ useSpotInstances: true, maxRuntime: Duration.hours(2), maxWait: Duration.hours(1) }), 'training.maxWait (seconds)',
      /3600 is not valid; allowed: at least maxRuntime \(7200 seconds\)/);
  });

  test('maxWait shorter than the default maxRuntime (1 day) with spot instances', () => {
    expectTrainingProblem(() => ({ useSpotInstances: true, maxWait: Duration.hours(23) }), 'training.maxWait (seconds)',
      /82800 is not valid; allowed: at least maxRuntime \(86400 seconds\)/);
  });
});

describe('training environment and container', () => {
  test('101 environment variables', () => {
    expectTrainingProblem(() => ({ environment: map(101) }), 'training.environment', /has 101 entries; allowed: at most 100/);
  });

  test('an environment key that does not match [a-zA-Z_][a-zA-Z0-9_]*', () => {
    expectTrainingProblem(() => ({ environment: { '1-BAD': 'x' } }), 'training.environment key',
      /"1-BAD" is not valid; allowed: 1-512 characters matching .+/);
  });

  test('an environment key of 513 characters', () => {
    expectTrainingProblem(() => ({ environment: { ['K'.repeat(513)]: 'x' } }), 'training.environment key',
      /"K{116}\.\.\. is not valid; allowed: 1-512 characters matching .+/);
  });

  test('an environment value of 513 characters', () => {
    expectTrainingProblem(() => ({ environment: { MODE: 'v'.repeat(513) } }), 'training.environment.MODE',
      /"v{116}\.\.\. is not valid; allowed: at most 512 characters \(got 513\)/);
  });

  test.each([
    ['containerEntrypoint', 0],
    ['containerEntrypoint', 101],
    ['containerArguments', 0],
    ['containerArguments', 101],
  ])('%s with %d strings', (property, count) => {
    expectTrainingProblem(() => ({ [property]: range(count).map(i => `a${i}`) }), `training.${property}`,
      new RegExp(`has ${count} strings; allowed: 1 to 100`));
  });

  test('an empty string in containerArguments', () => {
    expectTrainingProblem(() => ({ containerArguments: ['train', ''] }), 'training.containerArguments[1]',
      /"" is not valid; allowed: a string of 1-256 characters \(got 0\)/);
  });
});

describe('training network', () => {
  const vpcOf = (s: Stack) => ec2.Vpc.fromVpcAttributes(s, 'Vpc', {
    vpcId: 'vpc-12345678', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1111'],
  });
  const groups = (s: Stack, n: number) => range(n).map(i => ec2.SecurityGroup.fromSecurityGroupId(s, `Sg${i}`, `sg-0000000${i}`));

  test('securityGroups without a vpc', () => {
    expectTrainingProblem(s => ({ securityGroups: groups(s, 1) }), 'training.vpc', /is required when vpcSubnets or securityGroups are given/);
  });

  test('vpcSubnets without a vpc', () => {
    expectTrainingProblem(() => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }), 'training.vpc',
      /is required when vpcSubnets or securityGroups are given/);
  });

  test('6 security groups', () => {
    expectTrainingProblem(s => ({ vpc: vpcOf(s), securityGroups: groups(s, 6) }), 'training.securityGroups', /has 6 security groups; allowed: 1 to 5/);
  });

  test('an empty list of security groups', () => {
    expectTrainingProblem(s => ({ vpc: vpcOf(s), securityGroups: [] }), 'training.securityGroups', /has 0 security groups; allowed: 1 to 5/);
  });
});

describe('training smEnvironment', () => {
  test('a hyperparameter name with a hyphen gives an invalid SM_HP_ key', () => {
    expectTrainingProblem(() => ({ smEnvironment: true, hyperparameters: { 'learning-rate': 0.1 } }), 'training.smEnvironment',
      /the toolkit variable "SM_HP_LEARNING-RATE" is not a valid Environment key .+: rename the channel or hyperparameter, or turn smEnvironment off/);
  });

  test('a channel name with a dot gives an invalid SM_CHANNEL_ key', () => {
    expectTrainingProblem(s => ({ smEnvironment: true, channels: channels(s, 'train.v2') }), 'training.smEnvironment',
      /the toolkit variable "SM_CHANNEL_TRAIN\.V2" is not a valid Environment key/);
  });

  test('a variable that smEnvironment sets is also set in environment', () => {
    expectTrainingProblem(() => ({ smEnvironment: true, environment: { SM_MODEL_DIR: '/somewhere' } }), 'training.smEnvironment',
      /environment variable SM_MODEL_DIR is set by smEnvironment; remove it from training.environment/);
  });

  test('environment plus the SM_* variables over 100 entries', () => {
    // GIVEN 95 user variables: with the 10 SM_* variables of one channel and no hyperparameters, 105 entries
    expectTrainingProblem(() => ({ smEnvironment: true, environment: map(95) }), 'training.environment (with smEnvironment)',
      /has 105 entries; allowed: at most 100/);
  });

  test('SM_HPS longer than 512 characters', () => {
    // GIVEN hyperparameters whose JSON is over 512 characters, but each value within 512
    expectTrainingProblem(() => ({ smEnvironment: true, hyperparameters: { a: 'x'.repeat(300), b: 'y'.repeat(300) } }),
      'training.environment (with smEnvironment).SM_HPS', /"\{\\"a\\":\\"x+\.\.\. is not valid; allowed: at most 512 characters \(got 615\)/);
  });
});

describe('batch transform', () => {
  test('batchStrategy without splitType', () => {
    expectTransformProblem({ batchStrategy: 'MultiRecord' as any }, 'batchTransform.batchStrategy',
      /"MultiRecord" needs a splitType other than None \(Line, RecordIO or TFRecord\)/);
  });

  test('batchStrategy with splitType None', () => {
    expectTransformProblem({ batchStrategy: 'SingleRecord' as any, splitType: SplitType.NONE }, 'batchTransform.batchStrategy',
      /"SingleRecord" needs a splitType other than None/);
  });

  test('maxPayloadInMB 101', () => {
    expectTransformProblem({ maxPayloadInMB: 101 }, 'batchTransform.maxPayloadInMB', /101 is not valid; allowed: an integer from 0 to 100/);
  });

  test('maxPayloadInMB x maxConcurrentTransforms over 100', () => {
    expectTransformProblem({ maxPayloadInMB: 10, maxConcurrentTransforms: 11 }, 'batchTransform.maxPayloadInMB x maxConcurrentTransforms',
      /10 x 11 = 110 MB; allowed: at most 100 MB/);
  });

  test('a negative maxConcurrentTransforms', () => {
    expectTransformProblem({ maxConcurrentTransforms: -1 }, 'batchTransform.maxConcurrentTransforms', /-1 is not valid; allowed: an integer >= 0/);
  });

  test.each([
    ['splitType', 'Paragraph', 'None, Line, RecordIO, TFRecord'],
    ['assembleWith', 'Json', 'None, Line'],
    ['joinSource', 'Output', 'None, Input'],
    ['compressionType', 'Zip', 'None, Gzip'],
    ['s3DataType', 'Folder', 'S3Prefix, ManifestFile, AugmentedManifestFile'],
  ])('%s of %j', (property, value, allowed) => {
    expectTransformProblem({ [property]: value as any }, `batchTransform.${property}`, new RegExp(`"${value}" is not valid; allowed: one of ${allowed}$`));
  });

  test('batchStrategy of "Batch" (with a splitType)', () => {
    expectTransformProblem({ batchStrategy: 'Batch' as any, splitType: SplitType.LINE }, 'batchTransform.batchStrategy',
      /"Batch" is not valid; allowed: one of MultiRecord, SingleRecord$/);
  });

  test.each(['inputFilter', 'outputFilter'])('%s of 64 characters', (property) => {
    expectTransformProblem({ [property]: `$${'a'.repeat(63)}` }, `batchTransform.${property}`,
      /"\$a+\.\.\. is not valid|"\$a{63}" is not valid; allowed: a string of 0-63 characters \(got 64\)/);
  });

  test.each(['inputFilter', 'outputFilter'])('%s not starting with $', (property) => {
    expectTransformProblem({ [property]: 'features' }, `batchTransform.${property}`,
      /"features" is not valid; allowed: a JSONPath expression starting with "\$", for example \$\[1:4\] or \$\.features/);
  });

  test('invocationsTimeout 0 seconds', () => {
    expectTransformProblem({ invocationsTimeout: Duration.seconds(0) }, 'batchTransform.invocationsTimeout (seconds)',
      /0 is not valid; allowed: an integer from 1 to 3600/);
  });

  test('invocationsTimeout over 1 hour', () => {
    expectTransformProblem({ invocationsTimeout: Duration.seconds(3601) }, 'batchTransform.invocationsTimeout (seconds)',
      /3601 is not valid; allowed: an integer from 1 to 3600/);
  });

  test('invocationsMaxRetries 4', () => {
    expectTransformProblem({ invocationsMaxRetries: 4 }, 'batchTransform.invocationsMaxRetries', /4 is not valid; allowed: an integer from 0 to 3/);
  });

  test('17 environment variables', () => {
    expectTransformProblem({ environment: map(17) }, 'batchTransform.environment', /has 17 entries; allowed: at most 16/);
  });

  test('an environment key that does not match [a-zA-Z_][a-zA-Z0-9_]{0,1023}', () => {
    expectTransformProblem({ environment: { 'BAD-KEY': 'x' } }, 'batchTransform.environment key', /"BAD-KEY" is not valid; allowed: 1-1024 characters matching .+/);
  });

  test('an environment value of 10241 characters', () => {
    expectTransformProblem({ environment: { MODE: 'v'.repeat(10241) } }, 'batchTransform.environment.MODE',
      /"v+\.\.\. is not valid; allowed: at most 10240 characters \(got 10241\)/);
  });

  test('an instance type outside the transform list (ml.t2.medium)', () => {
    expectTransformProblem({ instanceType: InstanceType.ML_T2_MEDIUM }, 'batchTransform.instanceType',
      /"ml\.t2\.medium" is not valid; allowed: one of the \d+ transform instance types SageMaker accepts/);
  });

  test('instanceCount 0', () => {
    expectTransformProblem({ instanceCount: 0 }, 'batchTransform.instanceCount', /0 is not valid; allowed: an integer >= 1/);
  });

  test('contentType and accept of 257 characters', () => {
    // GIVEN
    const { stack, props } = propsIn(s => ({ batchTransform: transform(s, { contentType: 'c'.repeat(257), accept: 'a'.repeat(257) }) }));
    // WHEN / THEN both are named
    expect(() => construct(stack, props)).toThrow(/\(2 problems\)[\s\S]*batchTransform\.contentType: "c+\.\.\. is not valid; allowed: a string of 0-256 characters \(got 257\)[\s\S]*batchTransform\.accept: "a+\.\.\. is not valid/);
  });

  test('a bucket key prefix with a leading slash', () => {
    expectTransformProblem(s => ({ input: TransformInput.fromBucket(dataBucket(s, 'Other'), '/batch/') }), 'batchTransform.input keyPrefix',
      /"\/batch\/" is not valid; allowed: a key prefix without a leading "\/"/);
  });
});

describe('endpoint', () => {
  test('an endpoint name with an underscore', () => {
    expectEndpointProblem({ endpointName: 'iris_endpoint' }, 'endpoint.endpointName',
      /"iris_endpoint" is not valid; allowed: 1-63 characters matching \[a-zA-Z0-9\]\(-\*\[a-zA-Z0-9\]\)\{0,62\}/);
  });

  test('an endpoint name of 64 characters', () => {
    expectEndpointProblem({ endpointName: 'e'.repeat(64) }, 'endpoint.endpointName', /"e{64}" is not valid; allowed: 1-63 characters/);
  });

  test('serverless memory that is not a multiple of 1024', () => {
    expectEndpointProblem({ serverless: { memorySizeInMB: 1500, maxConcurrency: 5 } }, 'endpoint.serverless.memorySizeInMB',
      /1500 is not valid; allowed: 1024, 2048, 3072, 4096, 5120 or 6144/);
  });

  test('serverless memory above 6144 MB', () => {
    expectEndpointProblem({ serverless: { memorySizeInMB: 7168, maxConcurrency: 5 } }, 'endpoint.serverless.memorySizeInMB',
      /7168 is not valid; allowed: 1024, 2048, 3072, 4096, 5120 or 6144/);
  });

  test.each([0, 201])('serverless maxConcurrency %d', (maxConcurrency) => {
    expectEndpointProblem({ serverless: { memorySizeInMB: 2048, maxConcurrency } }, 'endpoint.serverless.maxConcurrency',
      new RegExp(`${maxConcurrency} is not valid; allowed: an integer from 1 to 200`));
  });

  test('serverless combined with variants', () => {
    expectEndpointProblem({ serverless: { memorySizeInMB: 2048, maxConcurrency: 5 }, variants: [{}] }, 'endpoint.serverless',
      /cannot be combined with variants, instanceType or initialInstanceCount/);
  });

  test('serverless combined with instanceType', () => {
    expectEndpointProblem({ serverless: { memorySizeInMB: 2048, maxConcurrency: 5 }, instanceType: InstanceType.ML_M5_LARGE }, 'endpoint.serverless',
      /cannot be combined with variants, instanceType or initialInstanceCount/);
  });

  test('variants combined with instanceType', () => {
    expectEndpointProblem({ variants: [{}], instanceType: InstanceType.ML_M5_LARGE }, 'endpoint.variants',
      /cannot be combined with instanceType or initialInstanceCount; set them on each variant/);
  });

  test('no variant', () => {
    expectEndpointProblem({ variants: [] }, 'endpoint.variants', /has 0 production variants; allowed: 1 to 10/);
  });

  test('11 variants', () => {
    expectEndpointProblem({ variants: range(11).map(i => ({ variantName: `v${i}` })) }, 'endpoint.variants', /has 11 production variants; allowed: 1 to 10/);
  });

  test('two variants with the same name', () => {
    expectEndpointProblem({ variants: [{ variantName: 'blue' }, { variantName: 'blue' }] }, 'endpoint.variants[1].variantName',
      /"blue" is used by another variant; variant names must be unique/);
  });

  test('a variant name equal to another variant\'s default name', () => {
    expectEndpointProblem({ variants: [{ variantName: 'Variant2' }, {}] }, 'endpoint.variants[1].variantName', /"Variant2" is used by another variant/);
  });

  test('a variant name with a dot', () => {
    expectEndpointProblem({ variants: [{ variantName: 'v.1' }] }, 'endpoint.variants[0].variantName', /"v\.1" is not valid; allowed: 1-63 characters matching/);
  });

  test('a hosting instance type that does not exist', () => {
    expectEndpointProblem({ instanceType: InstanceType.of('ml.m5.superlarge') }, 'endpoint.instanceType',
      /"ml\.m5\.superlarge" is not valid; allowed: one of the \d+ hosting instance types SageMaker accepts/);
  });

  test('a variant instance type that does not exist', () => {
    expectEndpointProblem({ variants: [{ instanceType: InstanceType.of('ml.m5.superlarge') }] }, 'endpoint.variants[0].instanceType',
      /"ml\.m5\.superlarge" is not valid; allowed: one of the \d+ hosting/);
  });

  test('initialInstanceCount 0', () => {
    expectEndpointProblem({ initialInstanceCount: 0 }, 'endpoint.initialInstanceCount', /0 is not valid; allowed: an integer >= 1/);
  });

  test('a negative variant weight', () => {
    expectEndpointProblem({ variants: [{ initialVariantWeight: -1 }] }, 'endpoint.variants[0].initialVariantWeight', /-1 is not valid; allowed: a number >= 0/);
  });

  test.each([0, 513, 1.5])('volumeSize %d GiB', (gib) => {
    expectEndpointProblem({ variants: [{ volumeSize: Size.gibibytes(gib) }] }, 'endpoint.variants[0].volumeSize',
      new RegExp(`"${gib} GiB" is not valid; allowed: a whole number of GiB from 1 to 512`));
  });

  test.each<[keyof ProductionVariantProps, number]>([
    ['modelDataDownloadTimeout', 59],
    ['modelDataDownloadTimeout', 3601],
    ['containerStartupHealthCheckTimeout', 59],
    ['containerStartupHealthCheckTimeout', 3601],
  ])('%s of %d seconds', (property, secs) => {
    expectEndpointProblem({ variants: [{ [property]: Duration.seconds(secs) }] }, `endpoint.variants[0].${property} (seconds)`,
      new RegExp(`${secs} is not valid; allowed: an integer from 60 to 3600`));
  });
});

describe('pipeline props', () => {
  test('a namePrefix of 27 characters', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ namePrefix: 'p'.repeat(27) }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('namePrefix',
      /"p{27}" is not valid; allowed: 1-26 lower-case characters matching \[a-z0-9\]\(-\*\[a-z0-9\]\)\* \(a UUID is appended .+\)/));
  });

  test('a namePrefix with upper case', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ namePrefix: 'IrisPipeline' }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('namePrefix', /"IrisPipeline" is not valid; allowed: 1-26 lower-case characters/));
  });

  test('an empty namePrefix', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ namePrefix: '' }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('namePrefix', /"" is not valid; allowed: 1-26 lower-case characters/));
  });

  test('an outputPrefix without a trailing slash', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ outputPrefix: 'iris' }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('outputPrefix', /"iris" is not valid; allowed: empty, or a key prefix ending in "\/" without a leading "\/"/));
  });

  test('an outputPrefix with a leading slash', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ outputPrefix: '/iris/' }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('outputPrefix', /"\/iris\/" is not valid; allowed: a key prefix without a leading "\/"/));
  });

  test('a modelEnvironment key of 1025 characters', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ modelEnvironment: { ['M'.repeat(1025)]: 'x' } }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('modelEnvironment key', /"M{116}\.\.\. is not valid; allowed: 1-1024 characters/));
  });

  test('a modelEnvironment value of 1025 characters', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ modelEnvironment: { MODE: 'x'.repeat(1025) } }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('modelEnvironment.MODE', /"x{116}\.\.\. is not valid; allowed: at most 1024 characters \(got 1025\)/));
  });

  test('101 modelEnvironment entries', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ modelEnvironment: map(101) }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('modelEnvironment', /has 101 entries; allowed: at most 100/));
  });

  test('validation also runs in local mode', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ localMode: true, training: { instanceCount: 0 } }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('training.instanceCount', /0 is not valid; allowed: an integer >= 1/));
  });
});

describe('reporting', () => {
  test('all problems of one pipeline are reported in ONE error', () => {
    // GIVEN five independent problems in training, transform, endpoint and the pipeline props
    const { stack, props } = propsIn(s => ({
      namePrefix: 'BAD',
      training: { instanceCount: 0, hyperparameters: { layers: { depth: 3 } } },
      batchTransform: transform(s, { invocationsMaxRetries: 9 }),
      endpoint: { variants: [] },
    }));
    // WHEN
    let error: unknown;
    try {
      construct(stack, props);
    } catch (e) {
      error = e;
    }
    // THEN
    expect(error).toBeInstanceOf(ByoaValidationError);
    const validation = error as ByoaValidationError;
    expect(validation.constructPath).toBe(PATH);
    expect(validation.problems).toHaveLength(5);
    expect(validation.message).toMatch(/^TestStack\/Pipe: invalid configuration \(5 problems\):\n/);
    expect(validation.problems.map(p => p.split(':')[0])).toEqual([
      'namePrefix',
      'training.hyperparameters.layers',
      'training.instanceCount',
      'batchTransform.invocationsMaxRetries',
      'endpoint.variants',
    ]);
    expect(validation.message.split('\n').filter(line => line.startsWith('  - '))).toHaveLength(5);
  });

  test('nothing is added to the stack when validation fails', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ training: { instanceCount: 0 } }));
    // WHEN
    expect(() => construct(stack, props)).toThrow(ByoaValidationError);
    // THEN only the imported repository and bucket exist: no role, bucket or state machine
    const pipeline = stack.node.tryFindChild('Pipe');
    expect(pipeline?.node.children ?? []).toHaveLength(0);
  });

  test('unresolved tokens are skipped, not rejected', () => {
    // GIVEN tokens wherever the checks look at values
    const lazyNumber = (n: number) => Lazy.number({ produce: () => n });
    const lazyString = (s: string) => Token.asString(Lazy.string({ produce: () => s }));
    const { stack, props } = propsIn(s => ({
      namePrefix: lazyString('INVALID PREFIX'),
      outputPrefix: lazyString('no-slash'),
      training: {
        channels: [
          { channelName: lazyString('bad name!'), input: TrainingInput.fromBucket(dataBucket(s, 'B'), lazyString('/leading')) },
          { channelName: lazyString('bad name!'), input: TrainingInput.fromBucket(dataBucket(s, 'C'), 'x/'), contentType: lazyString('c') },
        ],
        hyperparameters: { lr: lazyNumber(NaN), depth: lazyString('d'.repeat(3000)) },
        metricDefinitions: [{ name: lazyString(''), regex: lazyString('no group') }],
        instanceType: InstanceType.of(lazyString('ml.t2.medium')),
        instanceCount: lazyNumber(0),
        volumeSize: Size.gibibytes(lazyNumber(0)),
        maxRuntime: Duration.seconds(lazyNumber(0)),
        environment: { MODE: lazyString('v'.repeat(600)) },
      },
      batchTransform: transform(s, {
        maxPayloadInMB: lazyNumber(500),
        maxConcurrentTransforms: lazyNumber(500),
        invocationsTimeout: Duration.seconds(lazyNumber(0)),
        invocationsMaxRetries: lazyNumber(9),
        inputFilter: lazyString('no-dollar'),
        instanceType: InstanceType.of(lazyString('ml.t2.medium')),
        instanceCount: lazyNumber(0),
      }),
      endpoint: {
        endpointName: lazyString('bad_name'),
        variants: [{
          variantName: lazyString('bad.name'),
          initialInstanceCount: lazyNumber(0),
          initialVariantWeight: lazyNumber(-1),
          volumeSize: Size.gibibytes(lazyNumber(0)),
          modelDataDownloadTimeout: Duration.seconds(lazyNumber(1)),
        }],
      },
      modelEnvironment: { MODE: lazyString('x'.repeat(2000)) },
    }));
    // WHEN
    const pipeline = construct(stack, props);
    // THEN it is constructed: these values are checked by SageMaker at deploy or run time
    expect(pipeline.node.findChild('StateMachine')).toBeDefined();
  });

  test('a token serverless configuration is skipped', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({
      endpoint: { serverless: { memorySizeInMB: Lazy.number({ produce: () => 1 }), maxConcurrency: Lazy.number({ produce: () => 0 }) } },
    }));
    // WHEN
    const pipeline = construct(stack, props);
    // THEN
    expect(pipeline.endpointName).toBe(pipeline.namePrefix);
  });
});

describe('S3 locations and networks', () => {
  test('a channel key prefix too long for a 1024-character S3 URI', () => {
    expectTrainingProblem(s => ({ channels: [{ channelName: 'training', input: TrainingInput.fromBucket(dataBucket(s, 'Long'), 'k'.repeat(956)) }] }),
      'training.channels[0].input keyPrefix', /"k{40}\.\.\. \(956 characters\)" is not valid; allowed: at most 955 characters, so that the s3:\/\/ URI fits in 1024/);
  });

  test('a transform input key prefix too long for a 1024-character S3 URI', () => {
    expectTransformProblem(s => ({ input: TransformInput.fromBucket(dataBucket(s, 'Long'), 'b'.repeat(1000)) }),
      'batchTransform.input keyPrefix', /"b{40}\.\.\. \(1000 characters\)" is not valid; allowed: at most 955 characters/);
  });

  test('a checkpoint key prefix with a leading slash', () => {
    expectTrainingProblem(s => ({ checkpoint: { bucket: dataBucket(s, 'Checkpoints'), keyPrefix: '/ckpt/' } }),
      'training.checkpoint.keyPrefix', /"\/ckpt\/" is not valid; allowed: a key prefix without a leading "\/"/);
  });

  test('more than 16 subnets', () => {
    expectTrainingProblem(s => ({
      vpc: ec2.Vpc.fromVpcAttributes(s, 'Vpc', {
        vpcId: 'vpc-1234',
        availabilityZones: ['eu-west-1a'],
        privateSubnetIds: range(17).map(i => `subnet-${i}`),
      }),
    }), 'training.vpcSubnets', /has 17 subnets; allowed: 1 to 16/);
  });
});

describe('rules across properties', () => {
  test('a serverless endpoint with a training VPC or network isolation', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({
      training: { enableNetworkIsolation: true },
      endpoint: { serverless: { memorySizeInMB: 2048, maxConcurrency: 5 } },
    }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('endpoint.serverless',
      /cannot host a model with a VPC or network isolation \(the model takes training.vpc and training.enableNetworkIsolation\); use instance-backed variants/));
  });

  test('an outputPrefix with a character States.Format cannot hold', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ outputPrefix: "it's/" }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('outputPrefix', /"it's\/" is not valid; allowed: a key prefix without ' \{ \} or \\ /));
  });

  test('a volume key on an instance type with local storage is a warning', () => {
    // GIVEN
    const { stack, props } = propsIn(s => ({
      training: { instanceType: InstanceType.ML_G5_XLARGE, volumeEncryptionKey: new kms.Key(s, 'VolumeKey') },
    }));
    // WHEN
    construct(stack, props);
    // THEN
    Annotations.fromStack(stack).hasWarning('/TestStack/Pipe/Training', Match.stringLikeRegexp(
      'training.volumeEncryptionKey: ml.g5.xlarge has local instance storage.*SageMaker rejects a VolumeKmsKeyId'));
  });
});

describe('SageMaker behaviours: patterns, sizes in bytes, Python regexes, timeouts', () => {
  test('a modelEnvironment key outside [a-zA-Z_][a-zA-Z0-9_]* (BAD-KEY passed synth and failed at deploy)', () => {
    // GIVEN
    const { stack, props } = propsIn(() => ({ modelEnvironment: { 'BAD-KEY': 'x' } }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('modelEnvironment key', /"BAD-KEY" is not valid; allowed: 1-1024 characters matching \^\[a-zA-Z_\]\[a-zA-Z0-9_\]\*\$/));
  });

  test('a modelEnvironment over 32 KB combined (each entry within its own limit)', () => {
    // GIVEN 40 entries of 3 + 1000 bytes = 40,120 bytes
    const { stack, props } = propsIn(() => ({ modelEnvironment: map(40, 'v'.repeat(1000)) }));
    // WHEN / THEN
    expect(() => construct(stack, props)).toThrow(oneProblem('modelEnvironment',
      /keys and values add up to 40110 bytes in UTF-8; allowed: at most 32768 \(32 KB\) combined/));
  });

  test('a modelEnvironment of exactly 32 KB is accepted', () => {
    // GIVEN 32 entries of 4 + 1020 bytes = 32,768 bytes
    const env = Object.fromEntries(range(32).map(i => [`K${String(i).padStart(3, '0')}`, 'v'.repeat(1020)]));
    const { stack, props } = propsIn(() => ({ modelEnvironment: env }));
    // WHEN / THEN
    expect(() => construct(stack, props)).not.toThrow();
  });

  test('multi-byte values are counted in bytes: a modelEnvironment value of 513 characters in 1026 bytes', () => {
    const { stack, props } = propsIn(() => ({ modelEnvironment: { MODE: 'é'.repeat(513) } }));
    expect(() => construct(stack, props)).toThrow(oneProblem('modelEnvironment.MODE',
      /"é{116}\.\.\. is not valid; allowed: at most 1024 bytes in UTF-8 \(got 1026 bytes in 513 characters\)/));
  });

  test('multi-byte values are counted in bytes: a hyperparameter of 1300 characters in 2600 bytes', () => {
    expectTrainingProblem(() => ({ hyperparameters: { text: 'é'.repeat(1300) } }), 'training.hyperparameters.text',
      /".+ is not valid; allowed: at most 2500 bytes in UTF-8 \(got 2600 bytes in 1300 characters\)/);
  });

  test('multi-byte values are counted in bytes: a training environment value and a metric name', () => {
    expectTrainingProblem(() => ({ environment: { MODE: '€'.repeat(200) } }), 'training.environment.MODE',
      /".+ is not valid; allowed: at most 512 bytes in UTF-8 \(got 600 bytes in 200 characters\)/);
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: 'ü'.repeat(128), regex: 'acc=([0-9.]+)' }] }), 'training.metricDefinitions[0].name',
      /".+ is not valid; allowed: a string of 1-255 bytes in UTF-8 \(got 256 bytes in 128 characters\)/);
  });

  test('a metric regex in Python syntax is accepted, as SageMaker accepts it', () => {
    // GIVEN
    const regex = '\\Aepoch=\\d+ (?P<name>loss)=(?:(?P=name))?([0-9.]+)';
    const { stack, props } = propsIn(() => ({ training: { metricDefinitions: [{ name: 'loss', regex: '(?i)loss=(?P<loss>[0-9.]+)' }] } }));
    // WHEN
    const pipeline = construct(stack, props);
    // THEN
    expect(pipeline.metricDefinitions).toEqual([{ name: 'loss', regex: '(?i)loss=(?P<loss>[0-9.]+)' }]);
    // and one capture group is still the rule (a named group counts)
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: 'loss', regex }] }), 'training.metricDefinitions[0].regex',
      /".+" is not valid; allowed: a regular expression with exactly one capture group \(found 2\)/);
  });

  test('a Python regex that cannot be used says why', () => {
    expectTrainingProblem(() => ({ metricDefinitions: [{ name: 'loss', regex: '(?x) loss = ([0-9.]+)' }] }), 'training.metricDefinitions[0].regex',
      /".+" is not valid; allowed: a regular expression that compiles \(Python syntax such as \(\?P<name>\.\.\.\) is accepted, as SageMaker does; here: verbose mode \(\?x\) is not supported/);
  });

  test.each([
    [Duration.seconds(0), '0 seconds'],
    [Duration.millis(1500), '1 second 500 millis'],
  ])('a state machine timeout of %s', (timeout, shown) => {
    const { stack, props } = propsIn(() => ({ timeout }));
    expect(() => construct(stack, props)).toThrow(oneProblem('timeout',
      new RegExp(`"${escape(shown)}" is not valid; allowed: a whole number of seconds, at least 1`)));
  });

  test('a state machine timeout of 1 second is accepted', () => {
    const { stack, props } = propsIn(() => ({ timeout: Duration.seconds(1) }));
    expect(() => construct(stack, props)).not.toThrow();
  });
});
