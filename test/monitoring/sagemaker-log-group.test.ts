import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LogMetricFilter, SageMakerLogGroup } from '../../src/monitoring';

/** The LogGroupNames of the stack's one Custom::SageMakerLogGroups resource. */
function ensuredNames(template: Template): unknown[] {
  const resources = Object.values(template.findResources('Custom::SageMakerLogGroups')) as any[];
  expect(resources).toHaveLength(1);
  return resources[0].Properties.LogGroupNames;
}

/** The inline statements of the role of the function behind Custom::SageMakerLogGroups. */
function providerStatements(template: Template): any[] {
  const [resource] = Object.values(template.findResources('Custom::SageMakerLogGroups')) as any[];
  const functionId = resource.Properties.ServiceToken['Fn::GetAtt'][0];
  const fn = template.toJSON().Resources[functionId];
  const role = template.toJSON().Resources[fn.Properties.Role['Fn::GetAtt'][0]];
  return role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
}

describe('SageMakerLogGroup', () => {
  test('ensures the training log group exists without owning it', () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });

    // WHEN
    SageMakerLogGroup.forTrainingJobs(stack);

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    expect(ensuredNames(template)).toEqual(['/aws/sagemaker/TrainingJobs']);
    // The function is the library's handler, staged with aws-cdk-lib's entrypoint (which answers CloudFormation).
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: '__entrypoint__.handler', Runtime: 'nodejs24.x' });
  });

  test('the function may only create the log groups of the stack', () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });

    // WHEN
    SageMakerLogGroup.forTransformJobs(stack);
    SageMakerLogGroup.forEndpoint(stack, 'churn');

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const arn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:eu-west-1:111111111111:log-group:${name}`]] });
    expect(providerStatements(template)).toEqual([{
      Effect: 'Allow',
      Action: 'logs:CreateLogGroup',
      Resource: [
        arn('/aws/sagemaker/TransformJobs'), arn('/aws/sagemaker/TransformJobs:*'),
        arn('/aws/sagemaker/Endpoints/churn'), arn('/aws/sagemaker/Endpoints/churn:*'),
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
    // One resource for both groups, each named once.
    expect(ensuredNames(Template.fromStack(stack))).toEqual(['/aws/sagemaker/TrainingJobs', '/aws/sagemaker/Endpoints/my-endpoint']);
  });

  test('accepts a token endpoint name', () => {
    // GIVEN
    const stack = new Stack();
    const other = new logs.CfnLogGroup(stack, 'Other');
    const name = other.ref; // any token

    // WHEN
    const group = SageMakerLogGroup.forEndpoint(stack, name);

    // THEN
    expect(SageMakerLogGroup.forEndpoint(stack, name)).toBe(group);
    const template = Template.fromStack(stack);
    expect(ensuredNames(template)).toEqual([{ 'Fn::Join': ['', ['/aws/sagemaker/Endpoints/', { Ref: stack.getLogicalId(other) }]] }]);
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
    const [crId] = Object.keys(template.findResources('Custom::SageMakerLogGroups'));
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
