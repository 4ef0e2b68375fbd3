import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';
import { CreateModelStep, DeployEndpointStep, JobNameStep, TrainingInput, TrainingStep, TransformInput, TransformStep } from '../../src';
import {
  actionsOf, dataBucket, DATA_BUCKET_NAME, mainPath, newStack, resourcesOf, stateMachineDefinition, statementsOfRole, TEST_ENV,
} from '../support/pipeline-fixtures';

const PREFIX = 'mysteps';
const IMAGE = `${TEST_ENV.account}.dkr.ecr.${TEST_ENV.region}.amazonaws.com/algo:1`;

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
}

const arn = (resource: string) => `arn:\${Ref:AWS::Partition}:sagemaker:${TEST_ENV.region}:${TEST_ENV.account}:${resource}`;

/** A user's own state machine built from the exported steps. */
function userStateMachine(stack: Stack): { role: iam.Role; bucket: s3.Bucket; machine: sfn.StateMachine } {
  const role = new iam.Role(stack, 'SageMakerRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const bucket = new s3.Bucket(stack, 'Staging');
  const common = { role, namePrefix: PREFIX };
  const definition = new JobNameStep(stack, 'Name', { namePrefix: PREFIX })
    .next(new TrainingStep(stack, 'Training', {
      ...common,
      training: { channels: [{ channelName: 'train', input: TrainingInput.fromBucket(dataBucket(stack), 'train/') }] },
      imageUri: IMAGE,
      outputPath: `s3://${bucket.bucketName}/models/`,
      stagingBucket: bucket,
    }))
    .next(new CreateModelStep(stack, 'Model', { ...common, imageUri: IMAGE }))
    .next(new TransformStep(stack, 'Transform', {
      ...common,
      transform: { input: TransformInput.fromBucket(dataBucket(stack, 'BatchData'), 'batch/') },
      outputPath: `s3://${bucket.bucketName}/predictions/`,
      stagingBucket: bucket,
    }))
    .next(new DeployEndpointStep(stack, 'Endpoint', { ...common, endpoint: {}, endpointName: 'my-endpoint' }));
  const machine = new sfn.StateMachine(stack, 'Mine', { definitionBody: sfn.DefinitionBody.fromChainable(definition) });
  return { role, bucket, machine };
}

describe('the exported steps in a user\'s own state machine', () => {
  test('the state machine role gets every step\'s IAM statements', () => {
    // GIVEN
    const { stack } = newStack();
    // WHEN
    const { role, machine } = userStateMachine(stack);
    // THEN
    const template = Template.fromStack(stack);
    const statements = statementsOfRole(template, logicalId(machine.role))
      .map(s => ({ actions: actionsOf(s), resources: resourcesOf(s), condition: s.Condition }));
    const granted = (action: string) => statements.filter(s => s.actions.includes(action)).flatMap(s => s.resources);
    expect(granted('sagemaker:CreateTrainingJob')).toEqual([arn(`training-job/${PREFIX}-*`)]);
    // Once: the failure chain's Describe call uses the .sync task's statement.
    expect(granted('sagemaker:DescribeTrainingJob')).toEqual([arn(`training-job/${PREFIX}-*`)]);
    expect(granted('sagemaker:CreateModel')).toEqual([arn(`model/${PREFIX}-*`)]);
    expect(granted('sagemaker:CreateTransformJob')).toEqual([arn(`transform-job/${PREFIX}-*`)]);
    expect(granted('sagemaker:CreateEndpointConfig')).toEqual([arn(`endpoint-config/${PREFIX}-*`)]);
    expect(granted('sagemaker:CreateEndpoint')).toEqual([arn('endpoint/my-endpoint'), arn(`endpoint-config/${PREFIX}-*`)]);
    expect(granted('sagemaker:UpdateEndpoint')).toEqual([arn('endpoint/my-endpoint'), arn(`endpoint-config/${PREFIX}-*`)]);
    expect(granted('sagemaker:DescribeEndpoint')).toEqual([arn('endpoint/my-endpoint')]);
    expect(granted('events:PutRule').sort()).toEqual([
      `arn:\${Ref:AWS::Partition}:events:${TEST_ENV.region}:${TEST_ENV.account}:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule`,
      `arn:\${Ref:AWS::Partition}:events:${TEST_ENV.region}:${TEST_ENV.account}:rule/StepFunctionsGetEventsForSageMakerTransformJobsRule`,
    ]);
    const passRoles = statements.filter(s => s.actions.includes('iam:PassRole'));
    expect(passRoles.length).toBeGreaterThanOrEqual(1);
    for (const statement of passRoles) {
      expect(statement).toEqual({
        actions: ['iam:PassRole'],
        resources: [`\${GetAtt:${logicalId(role)}.Arn}`],
        condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      });
    }
    expect(statements.flatMap(s => s.actions).filter(a => a.endsWith(':*'))).toEqual([]);
    expect(statements.filter(s => s.resources.includes('*'))).toEqual([]);
  });

  test('the steps grant the SageMaker role read access to the inputs', () => {
    // GIVEN
    const { stack } = newStack();
    // WHEN
    const { role } = userStateMachine(stack);
    // THEN
    const resources = statementsOfRole(Template.fromStack(stack), logicalId(role))
      .filter(s => actionsOf(s).includes('s3:GetObject')).flatMap(resourcesOf);
    expect(resources).toEqual(expect.arrayContaining([
      `arn:\${Ref:AWS::Partition}:s3:::${DATA_BUCKET_NAME}/train/*`,
      `arn:\${Ref:AWS::Partition}:s3:::${DATA_BUCKET_NAME}/batch/*`,
    ]));
  });

  test('the states run in order and the job name comes from the JobNameStep', () => {
    // GIVEN
    const { stack } = newStack();
    // WHEN
    userStateMachine(stack);
    // THEN
    const definition = stateMachineDefinition(Template.fromStack(stack));
    expect(mainPath(definition).slice(0, 5)).toEqual(['Name', 'Train', 'Create model', 'Batch transform', 'Create endpoint config']);
    expect(definition.States.Name.Parameters['name.$']).toBe(`States.Format('${PREFIX}-{}', States.UUID())`);
    expect(definition.States.Train.Parameters.AlgorithmSpecification.TrainingImage).toBe(IMAGE);
    expect(definition.States.Train.Parameters['TrainingJobName.$']).toBe('$.byoa.name');
    expect(definition.States['Batch transform'].Parameters.TransformOutput['S3OutputPath.$'])
      .toMatch(/^States\.Format\('s3:\/\/\$\{Ref:Staging[0-9A-F]+\}\/predictions\/\{\}\/', \$\.byoa\.name\)$/);
  });

  test('CreateModelStep reads the model artifact from a custom path', () => {
    // GIVEN
    const { stack } = newStack();
    const role = iam.Role.fromRoleArn(stack, 'Role', `arn:aws:iam::${TEST_ENV.account}:role/sm`);
    // WHEN
    const machine = new sfn.StateMachine(stack, 'Mine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new JobNameStep(stack, 'Name', { namePrefix: PREFIX })
        .next(new CreateModelStep(stack, 'Model', { role, namePrefix: PREFIX, imageUri: IMAGE, modelDataUrlPath: '$.input.modelUrl', environment: { A: 'b' } }))),
    });
    // THEN
    const template = Template.fromStack(stack);
    const state = stateMachineDefinition(template).States['Create model'];
    expect(state.Parameters.PrimaryContainer).toEqual({ 'Image': IMAGE, 'ModelDataUrl.$': '$.input.modelUrl', 'Environment': { A: 'b' } });
    expect(state.Parameters.ExecutionRoleArn).toBe(`arn:aws:iam::${TEST_ENV.account}:role/sm`);
    const statements = statementsOfRole(template, logicalId(machine.role));
    expect(statements.map(s => ({ actions: actionsOf(s), resources: resourcesOf(s) }))).toEqual([
      { actions: ['sagemaker:CreateModel'], resources: [arn(`model/${PREFIX}-*`)] },
      { actions: ['iam:PassRole'], resources: [`arn:aws:iam::${TEST_ENV.account}:role/sm`] },
    ]);
  });
});
