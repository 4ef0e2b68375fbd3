import { Template } from 'aws-cdk-lib/assertions';
import { ByoaPipeline, TrainingInput } from '../../src';
import { RUN_SPEC_METADATA_TYPE, RunSpec } from '../../src/private/run-spec';
import { smEnvironment } from '../../src/private/sm-environment';
import { dataBucket, minimalPipelineProps, newStack, stateMachineDefinition } from '../support/pipeline-fixtures';

describe('smEnvironment', () => {
  test('a single-instance job: every variable, by the toolkit\'s rules', () => {
    // GIVEN channels in no particular order, hyperparameters already rendered to strings
    const channels = ['training', 'testing'];
    const hyperparameters = { epochs: '5', flag: 'true', lr: '0.1', name: 'resnet' };
    // WHEN
    const env = smEnvironment(channels, hyperparameters, 1);
    // THEN
    expect(env).toEqual({
      SM_MODEL_DIR: '/opt/ml/model',
      SM_INPUT_DIR: '/opt/ml/input',
      SM_INPUT_CONFIG_DIR: '/opt/ml/input/config',
      SM_OUTPUT_DIR: '/opt/ml/output',
      SM_OUTPUT_DATA_DIR: '/opt/ml/output/data',
      SM_CHANNELS: '["testing","training"]',
      SM_CHANNEL_TRAINING: '/opt/ml/input/data/training',
      SM_CHANNEL_TESTING: '/opt/ml/input/data/testing',
      SM_HPS: '{"epochs":5,"flag":true,"lr":0.1,"name":"resnet"}',
      SM_HP_EPOCHS: '5',
      SM_HP_FLAG: 'true',
      SM_HP_LR: '0.1',
      SM_HP_NAME: 'resnet',
      SM_HOSTS: '["algo-1"]',
      SM_CURRENT_HOST: 'algo-1',
    });
  });

  test('a multi-instance job: all hosts, and no SM_CURRENT_HOST (it differs per container)', () => {
    // GIVEN / WHEN
    const env = smEnvironment(['train'], {}, 3);
    // THEN
    expect(env.SM_HOSTS).toBe('["algo-1","algo-2","algo-3"]');
    expect(env).not.toHaveProperty('SM_CURRENT_HOST');
    expect(env.SM_HPS).toBe('{}');
  });

  test.each<[string, string, string]>([
    ['lower case', 'learning_rate', 'SM_HP_LEARNING_RATE'],
    ['mixed case', 'maxDepth', 'SM_HP_MAXDEPTH'],
    ['a hyphen (kept)', 'learning-rate', 'SM_HP_LEARNING-RATE'],
    ['a dot (kept)', 'opt.lr', 'SM_HP_OPT.LR'],
  ])('a hyperparameter name with %s is upper-cased and nothing else changed', (_name, key, variable) => {
    // GIVEN / WHEN
    const env = smEnvironment(['train'], { [key]: '1' }, 1);
    // THEN
    expect(env[variable]).toBe('1');
    expect(Object.keys(env).filter(k => k.startsWith('SM_HP_'))).toEqual([variable]);
  });

  test('channel names are upper-cased and nothing else changed', () => {
    // GIVEN / WHEN
    const env = smEnvironment(['train-v2.csv'], {}, 1);
    // THEN
    expect(env['SM_CHANNEL_TRAIN-V2.CSV']).toBe('/opt/ml/input/data/train-v2.csv');
    expect(env.SM_CHANNELS).toBe('["train-v2.csv"]');
  });

  test.each<[string, string, string]>([
    ['a plain string stays as it is', 'adam', 'adam'],
    ['a number string is a number', '5', '5'],
    ['an exponent is rendered as JSON renders it', '1e+21', '1e+21'],
    ['a JSON object is compacted', '{"a": 1, "b": [1, 2]}', '{"a":1,"b":[1,2]}'],
    ['a JSON array is compacted', '[1, 2, 3]', '[1,2,3]'],
    ['a JSON string is unquoted', '"quoted"', 'quoted'],
    ['"null" is JSON null', 'null', 'null'],
  ])('SM_HP_ value: %s', (_name, raw, expected) => {
    // GIVEN / WHEN
    const env = smEnvironment(['train'], { x: raw }, 1);
    // THEN
    expect(env.SM_HP_X).toBe(expected);
  });

  test('SM_HPS holds the parsed values as compact JSON', () => {
    // GIVEN / WHEN
    const env = smEnvironment(['train'], { a: '{"k": [1, 2]}', b: 'text', c: 'false' }, 1);
    // THEN
    expect(env.SM_HPS).toBe('{"a":{"k":[1,2]},"b":"text","c":false}');
    expect(JSON.parse(env.SM_HPS)).toEqual({ a: { k: [1, 2] }, b: 'text', c: false });
  });

  // src defect: the toolkit renders with json.dumps(sort_keys=True,
  // separators=(",", ":"), ensure_ascii=True); src uses JSON.stringify, which
  // keeps insertion order, so SM_HPS differs from the toolkit's whenever the
  // hyperparameters are not given in sorted order.
  test('SM_HPS keys are sorted, as the toolkit sorts them', () => {
    // GIVEN / WHEN
    const env = smEnvironment(['train'], { lr: '0.1', epochs: '5' }, 1);
    // THEN
    expect(env.SM_HPS).toBe('{"epochs":5,"lr":0.1}');
  });

  // src defect: ensure_ascii=True escapes non-ASCII characters in JSON values.
  test('SM_HPS escapes non-ASCII characters, as the toolkit does', () => {
    // GIVEN / WHEN
    const env = smEnvironment(['train'], { name: 'café' }, 1);
    // THEN
    expect(env.SM_HPS).toBe('{"name":"caf\\u00e9"}');
    expect(env.SM_HP_NAME).toBe('café');
  });
});

describe('smEnvironment: true in a pipeline', () => {
  function pipelineWith(smEnvironmentOn: boolean) {
    const { stack } = newStack();
    const pipeline = new ByoaPipeline(stack, 'Pipe', minimalPipelineProps(stack, {
      training: {
        channels: [
          { channelName: 'training', input: TrainingInput.fromBucket(dataBucket(stack), 'train/') },
          { channelName: 'eval', input: TrainingInput.fromBucket(dataBucket(stack, 'Eval'), 'eval/') },
        ],
        hyperparameters: { depth: 3, lr: 0.1, optimizer: 'adam' },
        environment: { MODE: 'fast' },
        smEnvironment: smEnvironmentOn,
      },
    }));
    const train = stateMachineDefinition(Template.fromStack(stack)).States.Train.Parameters;
    const spec = pipeline.node.metadata.find(m => m.type === RUN_SPEC_METADATA_TYPE)!.data as RunSpec;
    return { train, spec };
  }

  test('puts the variables into BOTH the Train state\'s Environment and the run spec\'s', () => {
    // GIVEN / WHEN
    const { train, spec } = pipelineWith(true);
    // THEN
    const expected = {
      MODE: 'fast',
      ...smEnvironment(['training', 'eval'], { depth: '3', lr: '0.1', optimizer: 'adam' }, 1),
    };
    expect(train.Environment).toEqual(expected);
    expect(spec.training.Environment).toEqual(expected);
    expect(train.Environment).toMatchObject({
      SM_CHANNELS: '["eval","training"]',
      SM_CHANNEL_EVAL: '/opt/ml/input/data/eval',
      SM_HP_DEPTH: '3',
      SM_HP_OPTIMIZER: 'adam',
      SM_HPS: '{"depth":3,"lr":0.1,"optimizer":"adam"}',
      SM_CURRENT_HOST: 'algo-1',
    });
    expect(spec.options.smEnvironment).toBe(true);
  });

  test('without smEnvironment only the user\'s environment is set', () => {
    // GIVEN / WHEN
    const { train, spec } = pipelineWith(false);
    // THEN
    expect(train.Environment).toEqual({ MODE: 'fast' });
    expect(spec.training.Environment).toEqual({ MODE: 'fast' });
    expect(spec.options.smEnvironment).toBe(false);
  });

  test('a multi-instance job gets no SM_CURRENT_HOST in either', () => {
    // GIVEN
    const { stack } = newStack();
    // WHEN
    const pipeline = new ByoaPipeline(stack, 'Pipe', minimalPipelineProps(stack, { training: { instanceCount: 2, smEnvironment: true } }));
    // THEN
    const train = stateMachineDefinition(Template.fromStack(stack)).States.Train.Parameters;
    const spec = pipeline.node.metadata.find(m => m.type === RUN_SPEC_METADATA_TYPE)!.data as RunSpec;
    for (const env of [train.Environment, spec.training.Environment]) {
      expect(env.SM_HOSTS).toBe('["algo-1","algo-2"]');
      expect(env).not.toHaveProperty('SM_CURRENT_HOST');
    }
  });
});
