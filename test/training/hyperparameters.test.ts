import { Template } from 'aws-cdk-lib/assertions';
import { ByoaPipeline } from '../../src';
import { RUN_SPEC_METADATA_TYPE, RunSpec } from '../../src/private/run-spec';
import { Problems } from '../../src/private/validation';
import { renderHyperparameters, validateHyperparameters } from '../../src/training/hyperparameters';
import { minimalPipelineProps, newStack, stateMachineDefinition } from '../support/pipeline-fixtures';

describe('renderHyperparameters', () => {
  test.each<[string, unknown, string]>([
    ['a string as it is', 'gini', 'gini'],
    ['an empty string', '', ''],
    ['a string that looks like a number', '05', '05'],
    ['an integer', 5, '5'],
    ['a decimal', 0.1, '0.1'],
    ['a large number in exponent form', 1e21, '1e+21'],
    ['a small number in exponent form', 1e-7, '1e-7'],
    ['a negative number', -3.5, '-3.5'],
    ['negative zero as 0', -0, '0'],
    ['true', true, 'true'],
    ['false', false, 'false'],
  ])('renders %s', (_name, value, expected) => {
    // GIVEN
    const hyperparameters = { value };
    // WHEN
    const rendered = renderHyperparameters(hyperparameters);
    // THEN
    expect(rendered).toEqual({ value: expected });
  });

  test('keeps every key and their order, and renders nothing for undefined', () => {
    // GIVEN / WHEN
    const rendered = renderHyperparameters({ b: 1, a: 'x', c: true });
    // THEN
    expect(Object.keys(rendered)).toEqual(['b', 'a', 'c']);
    expect(renderHyperparameters(undefined)).toEqual({});
  });
});

describe('validateHyperparameters', () => {
  test('accepts strings, finite numbers and booleans', () => {
    // GIVEN
    const problems = new Problems();
    // WHEN
    validateHyperparameters(problems, 'hp', { a: 'x', b: 1.5, c: false, d: -0 });
    // THEN
    expect(problems.count).toBe(0);
  });

  test.each<[string, unknown]>([
    ['an object', { a: 1 }],
    ['an array', [1]],
    ['null', null],
    ['undefined', undefined],
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('rejects %s, naming the key', (_name, value) => {
    // GIVEN
    const problems = new Problems();
    // WHEN
    validateHyperparameters(problems, 'training.hyperparameters', { depth: value });
    // THEN
    expect(problems.count).toBe(1);
    expect(() => problems.throwIfAny('Scope')).toThrow(/training\.hyperparameters\.depth: .* is not valid; allowed: a string, a finite number or a boolean/);
  });
});

describe('in a pipeline', () => {
  test('the Train state and the run spec carry the same rendered strings', () => {
    // GIVEN
    const { stack } = newStack();
    const hyperparameters = { criterion: 'gini', max_depth: 5, lr: 0.1, big: 1e21, zero: -0, bootstrap: true };
    // WHEN
    const pipeline = new ByoaPipeline(stack, 'Pipe', minimalPipelineProps(stack, { training: { hyperparameters } }));
    // THEN
    const expected = { criterion: 'gini', max_depth: '5', lr: '0.1', big: '1e+21', zero: '0', bootstrap: 'true' };
    expect(stateMachineDefinition(Template.fromStack(stack)).States.Train.Parameters.HyperParameters).toEqual(expected);
    const spec = pipeline.node.metadata.find(m => m.type === RUN_SPEC_METADATA_TYPE)!.data as RunSpec;
    expect(spec.training.HyperParameters).toEqual(expected);
  });

  test('no hyperparameters: HyperParameters is left out', () => {
    // GIVEN
    const { stack } = newStack();
    // WHEN
    new ByoaPipeline(stack, 'Pipe', minimalPipelineProps(stack, { training: { hyperparameters: {} } }));
    // THEN
    const train = stateMachineDefinition(Template.fromStack(stack)).States.Train;
    expect(train.Parameters).not.toHaveProperty('HyperParameters');
    expect(train.Parameters.AlgorithmSpecification.TrainingInputMode).toBe('File');
  });
});
