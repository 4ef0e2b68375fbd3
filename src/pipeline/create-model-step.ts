import type { CreateModelInput } from '@aws-sdk/client-sagemaker';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { bindNetwork } from './bind';
import { ERROR_PATH, failWithCaughtError } from './failure';
import { passRole, STATE_PATHS } from './private/step-helpers';
import { StepProps } from './step-props';
import { renderModel, validateModelEnvironment } from '../hosting/endpoint-request';
import { sagemakerArn } from '../private/arns';
import { SageMakerTask, withPaths } from '../private/sagemaker-task';
import { Problems } from '../private/validation';
import { TrainingProps } from '../training/training-props';

/** Props of a {@link CreateModelStep}. */
export interface CreateModelStepProps extends StepProps {
  /** The algorithm image's URI. */
  readonly imageUri: string;
  /**
   * Environment of the model's container (at most 100 entries).
   * @default - none
   */
  readonly environment?: { [name: string]: string };
  /**
   * Runs the model's containers without network access.
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;
  /**
   * Path of the model artifact's S3 URI in the execution's state.
   * @default '$.byoa.training.ModelArtifacts.S3ModelArtifacts'
   */
  readonly modelDataUrlPath?: string;
  /**
   * Network settings for the model (from the training job's VPC).
   * @default - no VPC
   */
  readonly training?: TrainingProps;
}

/** Creates a SageMaker model from the trained artifact (`createModel`). */
export class CreateModelStep extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The rendered request (`ModelName` and `ModelDataUrl` are set per execution). @internal */
  public readonly _request: CreateModelInput;

  constructor(scope: Construct, id: string, props: CreateModelStepProps) {
    super(scope, id);
    const problems = new Problems();
    validateModelEnvironment(problems, 'environment', props.environment);
    problems.throwIfAny(this);
    const network = props.training ? bindNetwork(this, props.training) : {};
    const request = this._request = renderModel({
      modelName: '',
      roleArn: props.role.roleArn,
      imageUri: props.imageUri,
      environment: props.environment,
      enableNetworkIsolation: props.enableNetworkIsolation,
      ...network,
    });
    const task = new SageMakerTask(this, 'Create model', {
      integration: 'sagemaker:createModel',
      parameters: withPaths(request, {
        'ModelName': STATE_PATHS.name,
        'PrimaryContainer.ModelDataUrl': props.modelDataUrlPath ?? `${STATE_PATHS.training}.ModelArtifacts.S3ModelArtifacts`,
      }),
      resultPath: STATE_PATHS.model,
      policies: [
        new iam.PolicyStatement({ actions: ['sagemaker:CreateModel'], resources: [sagemakerArn(this, 'model', `${props.namePrefix}-*`)] }),
        passRole(props.role),
      ],
    });
    task.addCatch(failWithCaughtError(this, 'Create model failed'), { resultPath: ERROR_PATH });
    this.startState = task;
    this.endStates = [task];
  }
}
