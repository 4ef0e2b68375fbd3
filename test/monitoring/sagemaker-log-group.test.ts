import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LogMetricFilter, SageMakerLogGroup } from '../../src/monitoring';

function customResourceCall(template: Template, prop: 'Create' | 'Update' | 'Delete'): any {
  const resources = template.findResources('Custom::SageMakerLogGroup');
  const [resource] = Object.values(resources);
  const value = resource.Properties[prop];
  if (value === undefined) return undefined;
  // The call is serialized to a string (a JSON string, or Fn::Join when it holds tokens).
  if (typeof value === 'string') return JSON.parse(value);
  return JSON.parse(value['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : '"TOKEN"')).join('').replace(/""TOKEN""/g, '"TOKEN"'));
}

describe('SageMakerLogGroup', () => {
  test('ensures the training log group exists without owning it', () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });

    // WHEN
    SageMakerLogGroup.forTrainingJobs(stack);

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::SageMakerLogGroup', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    const create = customResourceCall(template, 'Create');
    expect(create).toMatchObject({
      service: 'CloudWatchLogs',
      action: 'createLogGroup',
      parameters: { logGroupName: '/aws/sagemaker/TrainingJobs' },
      physicalResourceId: { id: '/aws/sagemaker/TrainingJobs' },
      ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
    });
    expect(customResourceCall(template, 'Update')).toMatchObject({ action: 'createLogGroup', ignoreErrorCodesMatching: 'ResourceAlreadyExistsException' });
    // Nothing happens on stack deletion: the shared group and its logs stay.
    expect(customResourceCall(template, 'Delete')).toBeUndefined();
  });

  test('the custom resource may only create that one log group', () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });

    // WHEN
    SageMakerLogGroup.forTransformJobs(stack);

    // THEN
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([{
      Action: 'logs:CreateLogGroup',
      Effect: 'Allow',
      Resource: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111111111111:log-group:/aws/sagemaker/TransformJobs']] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111111111111:log-group:/aws/sagemaker/TransformJobs:*']] },
      ],
    }]);
  });

  test('is a singleton per log group name in a stack', () => {
    // GIVEN
    const stack = new Stack();

    // WHEN
    const a = SageMakerLogGroup.forTrainingJobs(stack);
    const b = SageMakerLogGroup.forTrainingJobs(new Construct(stack, 'Nested'));
    const c = SageMakerLogGroup.forEndpoint(stack, 'my-endpoint');

    // THEN
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(c.logGroupName).toBe('/aws/sagemaker/Endpoints/my-endpoint');
    Template.fromStack(stack).resourceCountIs('Custom::SageMakerLogGroup', 2);
  });

  test('accepts a token endpoint name', () => {
    // GIVEN
    const stack = new Stack();
    const name = new logs.CfnLogGroup(stack, 'Other').ref; // any token

    // WHEN
    const group = SageMakerLogGroup.forEndpoint(stack, name);

    // THEN
    expect(SageMakerLogGroup.forEndpoint(stack, name)).toBe(group);
    const template = Template.fromStack(stack);
    const [resource] = Object.values(template.findResources('Custom::SageMakerLogGroup')) as any[];
    expect(JSON.stringify(resource.Properties.Create)).toContain('Ref');
  });

  test('a metric filter on the group depends on the custom resource', () => {
    // GIVEN
    const stack = new Stack();
    const group = SageMakerLogGroup.forTrainingJobs(stack);

    // WHEN
    new LogMetricFilter(stack, 'Errors', {
      logGroup: group,
      filterPattern: logs.FilterPattern.anyTerm('ERROR'),
      metricName: 'ErrorLines',
    });

    // THEN
    const template = Template.fromStack(stack);
    const [crId] = Object.keys(template.findResources('Custom::SageMakerLogGroup'));
    template.hasResource('AWS::Logs::MetricFilter', {
      DependsOn: Match.arrayWith([crId]),
      Properties: { LogGroupName: '/aws/sagemaker/TrainingJobs' },
    });
  });

  test('rejects more than 5 regex filters on one log group', () => {
    // GIVEN
    const stack = new Stack();
    const group = SageMakerLogGroup.forTrainingJobs(stack);

    // WHEN
    for (let i = 0; i < 6; i++) {
      new LogMetricFilter(stack, `F${i}`, { logGroup: group, filterPattern: logs.FilterPattern.literal(`%err${i}%`), metricName: `M${i}` });
    }

    // THEN
    expect(() => Template.fromStack(stack)).toThrow(/6 metric filters with %regex% terms.*at most 5 per log group/);
  });
});
