import { DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { mocks, PIPELINE, runCli, useCloudTestEnv } from './cloud-fixtures';
import { resolveRegion } from '../../src/cloud/deployed-pipeline';
import type { RunSpec } from '../../src/private/run-spec';

const env = useCloudTestEnv();

describe('the region', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[k];
    process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
  });
  afterEach(() => {
    process.env = { ...saved };
  });
  const agnostic = { pipeline: 'Agnostic/Pipe' } as RunSpec;

  test('--region wins, then the stack\'s, then AWS_REGION', async () => {
    process.env.AWS_REGION = 'ap-south-1';
    expect(await resolveRegion('us-west-2', { ...agnostic, region: 'eu-west-1' }, undefined)).toBe('us-west-2');
    expect(await resolveRegion(undefined, { ...agnostic, region: 'eu-west-1' }, undefined)).toBe('eu-west-1');
    expect(await resolveRegion(undefined, agnostic, undefined)).toBe('ap-south-1');
  });

  test('an environment-agnostic stack and no configured region: says how to give one', async () => {
    await expect(resolveRegion(undefined, agnostic, undefined)).rejects.toThrow(
      "No AWS region: the stack of Agnostic/Pipe is environment-agnostic and none is configured. Give --region REGION, or set AWS_REGION or the profile's region.");
  });
});

test('a state machine that CloudFormation is still creating is not deployed yet', async () => {
  // GIVEN
  mocks.cloudformation.on(DescribeStackResourceCommand).resolves({
    StackResourceDetail: { StackName: 'CloudStack', LogicalResourceId: 'X', ResourceType: 'AWS::StepFunctions::StateMachine', ResourceStatus: 'CREATE_IN_PROGRESS', LastUpdatedTimestamp: new Date() },
  });
  // WHEN
  const { code, err } = await runCli(['cloud', 'run', PIPELINE, ...env.app()], env.clock);
  // THEN
  expect(code).toBe(1);
  expect(err).toEqual([`byoa: The state machine of pipeline ${PIPELINE} in stack CloudStack is not deployed (its resource status is CREATE_IN_PROGRESS). `
    + 'Deploy the stack (cdk deploy CloudStack) and try again.']);
});
