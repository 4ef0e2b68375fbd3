import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { suppressNag } from '../../src/private/nag';

function rulesOn(stack: Stack): Record<string, string[]> {
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, any> };
  return Object.fromEntries(Object.values(template.Resources).map(
    (r: any) => [r.Type, (r.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((s: { id: string }) => s.id)]));
}

describe('suppressNag', () => {
  // GIVEN a scope with an IAM role and its policy, a user with an inline policy, a bucket and a function
  function scopeWithResources(): { stack: Stack; scope: Construct } {
    const stack = new Stack(new App(), 'Stack');
    const scope = new Construct(stack, 'Scope');
    const role = new iam.Role(scope, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    new iam.CfnUser(scope, 'User', {
      policies: [{ policyName: 'Inline', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] } }],
    });
    const bucket = new s3.Bucket(scope, 'Bucket');
    bucket.grantRead(role);
    new lambda.Function(scope, 'Function', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}'), role });
    return { stack, scope };
  }

  test('records each suppression only on the resource types its rule inspects (IAM5 on an identity only if it has inline policies)', () => {
    const { stack, scope } = scopeWithResources();

    // WHEN
    suppressNag(scope, [
      { id: 'AwsSolutions-IAM5', reason: 'wildcards of the test' },
      { id: 'AwsSolutions-IAM4', reason: 'managed policies of the test' },
      { id: 'AwsSolutions-L1', reason: 'runtime of the test' },
      { id: 'AwsSolutions-S1', reason: 'a rule this library has no type list for' },
    ]);

    // THEN
    expect(rulesOn(stack)).toEqual({
      'AWS::IAM::Role': ['AwsSolutions-IAM4', 'AwsSolutions-S1'],
      'AWS::IAM::User': ['AwsSolutions-IAM5', 'AwsSolutions-IAM4', 'AwsSolutions-S1'],
      'AWS::IAM::Policy': ['AwsSolutions-IAM5', 'AwsSolutions-S1'],
      'AWS::S3::Bucket': ['AwsSolutions-S1'],
      'AWS::Lambda::Function': ['AwsSolutions-L1', 'AwsSolutions-S1'],
    });
  });

  test('adds to the suppressions a resource already has, and leaves resources no rule applies to without metadata', () => {
    const { stack, scope } = scopeWithResources();

    // WHEN
    suppressNag(scope, [{ id: 'AwsSolutions-IAM5', reason: 'first reason' }]);
    suppressNag(scope, [{ id: 'AwsSolutions-IAM4', reason: 'second reason', appliesTo: ['Policy::x', '/^y$/g'] }]);

    // THEN
    expect(rulesOn(stack)).toEqual({
      'AWS::IAM::Role': ['AwsSolutions-IAM4'],
      'AWS::IAM::User': ['AwsSolutions-IAM5', 'AwsSolutions-IAM4'],
      'AWS::IAM::Policy': ['AwsSolutions-IAM5'],
      'AWS::S3::Bucket': [],
      'AWS::Lambda::Function': [],
    });
    const role = scope.node.findAll().find(c => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::IAM::Role') as CfnResource;
    expect(role.getMetadata('cdk_nag').rules_to_suppress[0]).toEqual({ id: 'AwsSolutions-IAM4', reason: 'second reason', applies_to: ['Policy::x', { regex: '/^y$/g' }] });
  });
});
