import { Template } from 'aws-cdk-lib/assertions';
import { ByoaPipeline, InstanceType, TransformInput } from '../../src';
import { stepOfState } from '../../src/cloud/execution-follower';
import { dataBucket, minimalPipelineProps, newStack, stateMachineDefinition } from '../support/pipeline-fixtures';

test('every state of the synthesized state machine belongs to the step the follower reports', () => {
  // GIVEN
  const { stack } = newStack();
  new ByoaPipeline(stack, 'Pipe', minimalPipelineProps(stack, {
    batchTransform: { input: TransformInput.fromBucket(dataBucket(stack, 'Batch'), 'batch/') },
    endpoint: { instanceType: InstanceType.ML_T2_MEDIUM },
  }));
  // WHEN
  const states = Object.keys(stateMachineDefinition(Template.fromStack(stack)).States);
  // THEN
  const byStep: { [step: string]: string[] } = {};
  for (const state of states) (byStep[stepOfState(state) ?? '-'] ??= []).push(state);
  expect(Object.keys(byStep).sort()).toEqual(['-', 'Batch transform', 'Create model', 'Endpoint', 'Train']);
  expect(byStep['-'].sort()).toEqual(['Done', 'Name the jobs']);
  expect(byStep.Train).toContain('Train');
  expect(byStep.Train.filter(s => s !== 'Train').every(s => /TrainingJob/.test(s))).toBe(true);
  expect(byStep['Create model'].sort()).toEqual(['Create model', 'Create model failed']);
  expect(byStep['Batch transform']).toContain('Batch transform');
  expect(byStep.Endpoint).toEqual(expect.arrayContaining(['Create endpoint config', 'Wait for the endpoint', 'Endpoint in service', 'Endpoint failed']));
});
