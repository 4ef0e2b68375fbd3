import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AlgorithmImage, InstanceType, ModelData, RealtimeEndpoint, RealtimeEndpointProps } from '../../src';

function setup(overrides: Partial<RealtimeEndpointProps> = {}) {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'iris');
  const bucket = s3.Bucket.fromBucketName(stack, 'Models', 'my-models');
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
    image: AlgorithmImage.fromEcrRepository(repository, 'v1'),
    modelData: ModelData.fromBucket(bucket, 'iris/model.tar.gz'),
    instanceType: InstanceType.ML_T2_MEDIUM,
    ...overrides,
  });
  return { stack, endpoint };
}

describe('RealtimeEndpoint', () => {
  test('hosts the model with CfnModel, CfnEndpointConfig and CfnEndpoint', () => {
    // GIVEN / WHEN
    const { stack } = setup({ endpointName: 'iris', environment: { MODEL_SERVER_WORKERS: '2' } });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: Match.anyValue(),
        ModelDataUrl: 's3://my-models/iris/model.tar.gz',
        Environment: { MODEL_SERVER_WORKERS: '2' },
      },
    });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ VariantName: 'AllTraffic', InstanceType: 'ml.t2.medium', InitialInstanceCount: 1, InitialVariantWeight: 1 })],
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'iris' });
    const model = Object.values(template.findResources('AWS::SageMaker::Model'))[0] as any;
    expect(JSON.stringify(model.Properties.PrimaryContainer.Image)).toContain('/iris:v1');
  });

  test('its role may pull only its image and read only its artifact', () => {
    // GIVEN / WHEN
    const { stack } = setup();

    // THEN
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const all = Object.values(statements).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const s3Read = all.find((s: any) => [].concat(s.Action).includes('s3:GetObject'));
    expect(s3Read.Action).toBe('s3:GetObject');
    expect(JSON.stringify(s3Read.Resource)).toMatch(/:s3:::my-models\/iris\/model.tar.gz"/);
    const pull = all.find((s: any) => [].concat(s.Action).includes('ecr:BatchGetImage'));
    expect(JSON.stringify(pull.Resource)).toContain('repository/iris');
    expect(all.some((s: any) => [].concat(s.Action).some((a: string) => a.startsWith('sagemaker:')))).toBe(false);
    expect(all.some((s: any) => [].concat(s.Action).includes('s3:List*'))).toBe(false);
  });

  test('grantInvoke allows sagemaker:InvokeEndpoint on this endpoint only', () => {
    // GIVEN
    const { stack, endpoint } = setup({ endpointName: 'iris' });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });

    // WHEN
    endpoint.grantInvoke(caller);

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Caller') }],
      PolicyDocument: {
        Statement: [{
          Action: 'sagemaker:InvokeEndpoint',
          Effect: 'Allow',
          // Ref of an AWS::SageMaker::Endpoint is its ARN.
          Resource: { Ref: Match.stringLikeRegexp('^Endpoint') },
        }],
      },
    });
  });

  test('autoscaling tracks invocations per instance on the variant', () => {
    // GIVEN
    const { stack, endpoint } = setup();

    // WHEN
    endpoint.addAutoScaling({ minCapacity: 1, maxCapacity: 4, targetInvocationsPerInstance: 100, scaleInCooldown: Duration.minutes(10) });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
      ResourceId: { 'Fn::Join': ['', ['endpoint/', Match.anyValue(), '/variant/AllTraffic']] },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 100,
        ScaleInCooldown: 600,
      },
    });
  });

  test('autoscaling rejects an unknown variant and a max below the min', () => {
    // GIVEN
    const { endpoint } = setup();

    // WHEN / THEN
    expect(() => endpoint.addAutoScaling({ minCapacity: 3, maxCapacity: 2, targetInvocationsPerInstance: 10, variantName: 'Blue' }))
      .toThrow(/Stack\/Endpoint[\s\S]*autoScaling.variantName: "Blue" is not valid; allowed: one of this endpoint's variants: AllTraffic[\s\S]*autoScaling.maxCapacity: 2/);
  });

  test('validates the endpoint like the pipeline does', () => {
    // GIVEN / WHEN / THEN
    expect(() => setup({ instanceType: InstanceType.of('ml.m5.superlarge'), initialInstanceCount: 0 }))
      .toThrow(/props.instanceType: "ml.m5.superlarge" is not valid; allowed: one of the \d+ hosting instance types[\s\S]*props.initialInstanceCount: 0/);
  });

  test('serverless endpoints render a ServerlessConfig', () => {
    // GIVEN / WHEN
    const { stack } = setup({ instanceType: undefined, serverless: { memorySizeInMB: 2048, maxConcurrency: 5 } });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } })],
    });
  });

  test('autoscaling is refused for a serverless endpoint', () => {
    // GIVEN
    const { endpoint } = setup({ instanceType: undefined, serverless: { memorySizeInMB: 2048, maxConcurrency: 5 } });

    // WHEN / THEN
    expect(() => endpoint.addAutoScaling({ minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 10 }))
      .toThrow(/autoScaling: a serverless endpoint scales by itself \(maxConcurrency\); instance-count autoscaling needs instance-backed variants/);
  });

  test('its role may write the container logs and SageMaker metrics', () => {
    // GIVEN / WHEN
    const { stack } = setup();

    // THEN
    const all = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const logs = all.find((s: any) => [].concat(s.Action).includes('logs:PutLogEvents'));
    expect(JSON.stringify(logs.Resource)).toContain('log-group:/aws/sagemaker/*');
    const metrics = all.find((s: any) => [].concat(s.Action).includes('cloudwatch:PutMetricData'));
    expect(metrics.Condition).toEqual({ StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } });
  });

  test('fromEndpointName keeps a token name as it is in the ARN', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'eu-west-1' } });
    const name = new CfnParameter(stack, 'EndpointName').valueAsString;

    // WHEN
    const imported = RealtimeEndpoint.fromEndpointName(stack, 'Imported', name);

    // THEN
    expect(stack.resolve(imported.endpointArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:111122223333:endpoint/', { Ref: 'EndpointName' }]] });
  });

  test('fromEndpointName imports an endpoint that can be granted', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'eu-west-1' } });
    const imported = RealtimeEndpoint.fromEndpointName(stack, 'Imported', 'My-Endpoint');
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });

    // WHEN
    imported.grantInvoke(caller);

    // THEN
    expect(imported.endpointArn).toBe('arn:' + stack.partition + ':sagemaker:eu-west-1:111122223333:endpoint/my-endpoint');
  });
});
