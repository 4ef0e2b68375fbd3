/**
 * What the step constructs share (INTERNAL, not exported from the package):
 * where they keep their results in the execution's state, the `.sync` job
 * task with its permissions and failure chain, `iam:PassRole`, and the bind
 * context of the cloud backend.
 */
import { Annotations, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InstanceType } from '../../instance-type';
import { sagemakerArn } from '../../private/arns';
import { hasLocalStorage } from '../../private/instance-types';
import { SageMakerTask } from '../../private/sagemaker-task';
import { BindContext } from '../bind';
import { ERROR_PATH, jobFailureChain } from '../failure';
import type { StepProps } from '../step-props';

/** Where the steps keep their results in the execution's state. */
export const STATE_PATHS = {
  name: '$.byoa.name',
  training: '$.byoa.training',
  model: '$.byoa.model',
  transform: '$.byoa.transform',
  endpointConfig: '$.byoa.endpointConfig',
  endpoint: '$.byoa.endpoint',
} as const;

/** `iam:PassRole` of the execution role, to SageMaker only. */
export function passRole(role: iam.IRole): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [role.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
  });
}

export interface SyncJobTaskProps {
  readonly kind: 'TrainingJob' | 'TransformJob';
  readonly namePrefix: string;
  readonly comment: string;
  readonly parameters: { [key: string]: any };
  readonly resultSelector: { [key: string]: any };
  readonly resultPath: string;
  /** Statements beyond Create/Describe/Stop and the events rule. */
  readonly policies: iam.PolicyStatement[];
}

/**
 * A `.sync` job task (`createTrainingJob.sync`, `createTransformJob.sync`):
 * the permissions Step Functions needs to run and watch the job (its own
 * EventBridge rule included), and a catcher that ends in a Fail state with
 * SageMaker's FailureReason.
 */
export function syncJobTask(scope: Construct, stateName: string, props: SyncJobTaskProps): SageMakerTask {
  const resource = props.kind === 'TrainingJob' ? 'training-job' : 'transform-job';
  const jobArn = sagemakerArn(scope, resource, `${props.namePrefix}-*`);
  const ruleName = `StepFunctionsGetEventsForSageMaker${props.kind}sRule`;
  const task = new SageMakerTask(scope, stateName, {
    integration: `sagemaker:create${props.kind}.sync`,
    comment: props.comment,
    parameters: props.parameters,
    resultSelector: props.resultSelector,
    resultPath: props.resultPath,
    policies: [
      new iam.PolicyStatement({
        actions: [`sagemaker:Create${props.kind}`, `sagemaker:Describe${props.kind}`, `sagemaker:Stop${props.kind}`],
        resources: [jobArn],
      }),
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [Stack.of(scope).formatArn({ service: 'events', resource: 'rule', resourceName: ruleName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
      }),
      ...props.policies,
    ],
  });
  task.addCatch(jobFailureChain(scope, { kind: props.kind, jobNamePath: STATE_PATHS.name }), { resultPath: ERROR_PATH });
  return task;
}

/** SageMaker refuses a volume key on instance types with local storage: say so at synth. */
export function warnVolumeKeyWithLocalStorage(scope: Construct, property: string, instanceType: InstanceType, key: kms.IKey | undefined): void {
  const name = instanceType.toString();
  if (key && !Token.isUnresolved(name) && hasLocalStorage(name)) {
    Annotations.of(scope).addWarningV2('cdk-sagemaker-byoa:volume-key-with-local-storage',
      `${property}.volumeEncryptionKey: ${name} has local instance storage, which SageMaker encrypts itself; SageMaker rejects a VolumeKmsKeyId for such instance types. Remove the key or choose an instance type without local storage.`);
  }
}

export function bindContext(
  props: StepProps & { imageUri?: string; inputsPrefix?: string }, outputPath: string, stagingBucket: s3.IBucket,
): BindContext {
  return {
    inputsPrefix: props.inputsPrefix ?? 'inputs/',
    jobName: '',
    roleArn: props.role.roleArn,
    grantee: props.role,
    imageUri: props.imageUri ?? '',
    stagingBucket,
    outputPath,
    localMode: false,
  };
}
