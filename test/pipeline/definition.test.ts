import { Aws, CfnParameter, Fn, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ByoaPipeline } from '../../src';
import { renderWithPlaceholders } from '../../src/pipeline/private/definition';
import { definitionText, flatten, minimalPipelineProps, newStack, stateMachineDefinition } from '../support/pipeline-fixtures';

/** The definition aws-cdk-lib's own `Stack.toJsonString` renders (what `DefinitionBody.fromChainable` gives), flattened. */
function renderedByCdk(stack: Stack, json: object): string {
  return flatten(stack.resolve(stack.toJsonString(json)));
}

/** Our rendering with its placeholders substituted, flattened the same way. */
function renderedWithPlaceholders(stack: Stack, json: object): string {
  const rendered = renderWithPlaceholders(json);
  if (!rendered) throw new Error('not renderable');
  const substitutions = Object.fromEntries(Object.entries(rendered.substitutions).map(([key, token]) => [key, stack.resolve(token)]));
  return definitionText({ DefinitionString: rendered.text, DefinitionSubstitutions: substitutions }, flatten);
}

describe('renderWithPlaceholders', () => {
  test('gives, once substituted, the definition Stack.toJsonString gives: tokens in strings, repeated tokens, number tokens', () => {
    const stack = new Stack();
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
    const bucket = new CfnParameter(stack, 'Bucket').valueAsString;
    const json = {
      StartAt: 'A',
      States: {
        A: {
          Type: 'Task',
          Resource: `arn:${Aws.PARTITION}:states:::sagemaker:createTrainingJob.sync`,
          Parameters: { InstanceCount: count, Out: `s3://${bucket}/training/`, Again: `s3://${bucket}/x/`, Quote: 'a "quoted" \\ text' },
          Next: 'B',
        },
        B: { Type: 'Pass', Parameters: { Region: Aws.REGION, Path: `arn:${Aws.PARTITION}:s3:::${bucket}` }, End: true },
      },
    };
    const rendered = renderWithPlaceholders(json)!;
    // One placeholder per token: the partition and the bucket appear twice each.
    expect(Object.keys(rendered.substitutions)).toHaveLength(4);
    expect(rendered.text).toContain('"InstanceCount":${Token');
    expect(rendered.text).not.toMatch(/Token\[/);
    // (as text: the number token's placeholder is unquoted, so the flattened text is not JSON)
    expect(renderedWithPlaceholders(stack, json)).toBe(renderedByCdk(stack, json));
  });

  test.each([
    ['a literal ${ (CloudFormation would read it as a placeholder)', { A: { Parameters: { Command: 'echo ${HOME}' } } }],
    ['a literal ${ next to a token', { A: { Parameters: { Command: `echo \${HOME} ${Aws.REGION}` } } }],
    ['a token in a key', { A: { Parameters: { [Aws.REGION]: 'x' } } }],
    ['a list token', { A: { Parameters: { Subnets: Fn.split(',', Fn.importValue('Subnets')) } } }],
    ['a token object', { A: { Parameters: { Any: Lazy.any({ produce: () => ({ x: 1 }) }) } } }],
  ])('is not used for a definition with %s', (_what, states) => {
    expect(renderWithPlaceholders({ StartAt: 'A', States: states })).toBeUndefined();
  });
});

describe('the pipeline state machine definition', () => {
  test('is one literal DefinitionString, with the tokens in DefinitionSubstitutions', () => {
    const { stack } = newStack();
    new ByoaPipeline(stack, 'Iris', minimalPipelineProps(stack));
    const [machine] = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine')) as any[];
    expect(typeof machine.Properties.DefinitionString).toBe('string');
    const placeholders = [...new Set(machine.Properties.DefinitionString.match(/\$\{[A-Za-z0-9]+\}/g))].map((p: any) => p.slice(2, -1));
    expect(placeholders.sort()).toEqual(Object.keys(machine.Properties.DefinitionSubstitutions).sort());
    expect(stateMachineDefinition(Template.fromStack(stack)).States.Train.Resource).toBe('arn:${Ref:AWS::Partition}:states:::sagemaker:createTrainingJob.sync');
  });

  test('falls back to an Fn::Join when a value holds a literal ${', () => {
    const { stack } = newStack();
    const props = minimalPipelineProps(stack);
    new ByoaPipeline(stack, 'Iris', { ...props, training: { ...props.training, hyperparameters: { command: 'echo ${HOME}' } } });
    const [machine] = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine')) as any[];
    expect(machine.Properties.DefinitionString['Fn::Join']).toBeDefined();
    expect(machine.Properties.DefinitionSubstitutions).toBeUndefined();
    expect(stateMachineDefinition(Template.fromStack(stack)).States.Train.Parameters.HyperParameters.command).toBe('echo ${HOME}');
  });
});
