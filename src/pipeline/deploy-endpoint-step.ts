import type { CreateEndpointConfigInput } from '@aws-sdk/client-sagemaker';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ERROR_PATH, failWithCaughtError } from './failure';
import { STATE_PATHS } from './private/step-helpers';
import { StepProps } from './step-props';
import { EndpointProps } from '../hosting/endpoint-props';
import { renderEndpointConfig, validateEndpoint } from '../hosting/endpoint-request';
import { sagemakerArn } from '../private/arns';
import { SageMakerTask, withPaths } from '../private/sagemaker-task';
import { Problems } from '../private/validation';

/** Props of a {@link DeployEndpointStep}. */
export interface DeployEndpointStepProps extends StepProps {
  /** The endpoint. */
  readonly endpoint: EndpointProps;
  /** The endpoint's name. */
  readonly endpointName: string;
  /**
   * How often the endpoint's status is read while it is created or updated.
   * @default Duration.seconds(30)
   */
  readonly pollInterval?: Duration;
}

/**
 * Creates an endpoint config for the model named `$.byoa.name`, then creates
 * the endpoint, or updates it when it exists, and waits until it is
 * `InService`. A `Failed` endpoint ends the execution in a Fail state whose
 * cause is SageMaker's `FailureReason`.
 */
export class DeployEndpointStep extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The rendered request (names are set per execution). @internal */
  public readonly _request: CreateEndpointConfigInput;

  constructor(scope: Construct, id: string, props: DeployEndpointStepProps) {
    super(scope, id);
    const problems = new Problems();
    validateEndpoint(problems, props.endpoint);
    problems.throwIfAny(this);
    const config = this._request = renderEndpointConfig(props.endpoint, { configName: '', modelName: '', kmsKeyId: props.endpoint.encryptionKey?.keyArn });
    const parameters = withPaths(config, { EndpointConfigName: STATE_PATHS.name });
    parameters.ProductionVariants = (parameters.ProductionVariants as any[]).map(v => withPaths(v, { ModelName: STATE_PATHS.name }));
    const configArn = sagemakerArn(this, 'endpoint-config', `${props.namePrefix}-*`);
    const endpointArn = sagemakerArn(this, 'endpoint', props.endpointName);
    const createConfig = new SageMakerTask(this, 'Create endpoint config', {
      integration: 'sagemaker:createEndpointConfig',
      parameters,
      resultPath: STATE_PATHS.endpointConfig,
      policies: [new iam.PolicyStatement({ actions: ['sagemaker:CreateEndpointConfig'], resources: [configArn] })],
    });
    const describePolicy = new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint'], resources: [endpointArn] });
    const exists = new SageMakerTask(this, 'Does the endpoint exist?', {
      integration: 'aws-sdk:sagemaker:describeEndpoint',
      parameters: { EndpointName: props.endpointName },
      resultPath: STATE_PATHS.endpoint,
      policies: [describePolicy],
    });
    const endpointRequest = { 'EndpointName': props.endpointName, 'EndpointConfigName.$': STATE_PATHS.name };
    // With a customer key, the caller of CreateEndpoint/UpdateEndpoint lets
    // SageMaker use it for the instances' volumes.
    const keyPolicies = props.endpoint.encryptionKey
      ? [new iam.PolicyStatement({ actions: ['kms:CreateGrant', 'kms:DescribeKey'], resources: [props.endpoint.encryptionKey.keyArn] })]
      : [];
    // One statement for both calls (same resources), registered by both states.
    const writePolicy = new iam.PolicyStatement({ actions: ['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint'], resources: [endpointArn, configArn] });
    const create = new SageMakerTask(this, 'Create endpoint', {
      integration: 'sagemaker:createEndpoint',
      parameters: endpointRequest,
      resultPath: STATE_PATHS.endpoint,
      policies: [writePolicy, ...keyPolicies],
    });
    const update = new SageMakerTask(this, 'Update endpoint', {
      integration: 'sagemaker:updateEndpoint',
      parameters: endpointRequest,
      resultPath: STATE_PATHS.endpoint,
      policies: [writePolicy, ...keyPolicies],
    });
    const wait = new sfn.Wait(this, 'Wait for the endpoint', { time: sfn.WaitTime.duration(props.pollInterval ?? Duration.seconds(30)) });
    const status = new SageMakerTask(this, 'Read endpoint status', {
      integration: 'aws-sdk:sagemaker:describeEndpoint',
      parameters: { EndpointName: props.endpointName },
      // Both fields are always in a DescribeEndpoint answer.
      resultSelector: { 'EndpointStatus.$': '$.EndpointStatus', 'EndpointArn.$': '$.EndpointArn', 'EndpointConfigName.$': '$.EndpointConfigName' },
      resultPath: STATE_PATHS.endpoint,
      policies: [describePolicy],
    });
    const failedDescription = new SageMakerTask(this, 'Describe failed endpoint', {
      integration: 'aws-sdk:sagemaker:describeEndpoint',
      parameters: { EndpointName: props.endpointName },
      resultPath: '$.byoa.failure',
      policies: [describePolicy],
    });
    const inService = new sfn.Pass(this, 'Endpoint in service');
    const caught = failWithCaughtError(this, 'Endpoint request failed');
    for (const task of [createConfig, create, update, status, failedDescription]) {
      task.addCatch(caught, { resultPath: ERROR_PATH });
    }
    // DescribeEndpoint fails with "Could not find endpoint" when there is none
    // yet: then create it. Any other failure (access denied, throttling) is
    // reported, not taken for a missing endpoint.
    exists.addCatch(new sfn.Choice(this, 'Endpoint missing?')
      .when(sfn.Condition.stringMatches('$.byoa.endpointLookup.Cause', '*Could not find endpoint*'), create)
      .otherwise(new sfn.Fail(this, 'Endpoint lookup failed', { errorPath: '$.byoa.endpointLookup.Error', causePath: '$.byoa.endpointLookup.Cause' })),
    { errors: ['States.TaskFailed'], resultPath: '$.byoa.endpointLookup' });
    failedDescription.next(new sfn.Choice(this, 'Endpoint has a FailureReason?')
      .when(sfn.Condition.isPresent('$.byoa.failure.FailureReason'),
        new sfn.Fail(this, 'Endpoint failed', { error: 'SageMaker.EndpointFailed', causePath: '$.byoa.failure.FailureReason' }))
      .otherwise(new sfn.Fail(this, 'Endpoint not deployed', {
        error: 'SageMaker.EndpointNotDeployed',
        causePath: "States.Format('Endpoint {} is {} with endpoint config {}, not the config of this execution', $.byoa.failure.EndpointName, $.byoa.failure.EndpointStatus, $.byoa.failure.EndpointConfigName)",
      })));

    createConfig.next(exists);
    exists.next(update);
    create.next(wait);
    update.next(wait);
    wait.next(status);
    const endpointStatus = `${STATE_PATHS.endpoint}.EndpointStatus`;
    // Success is InService WITH this execution's config: a failed update rolls
    // back to the previous config and also ends InService.
    status.next(new sfn.Choice(this, 'Endpoint status?')
      .when(sfn.Condition.and(
        sfn.Condition.stringEquals(endpointStatus, 'InService'),
        sfn.Condition.stringEqualsJsonPath(`${STATE_PATHS.endpoint}.EndpointConfigName`, STATE_PATHS.name),
      ), inService)
      .when(sfn.Condition.or(
        ...['Creating', 'Updating', 'SystemUpdating', 'RollingBack'].map(v => sfn.Condition.stringEquals(endpointStatus, v)),
      ), wait)
      // InService with another config (rolled back), Failed, UpdateRollbackFailed, OutOfService, Deleting.
      .otherwise(failedDescription));
    this.startState = createConfig;
    this.endStates = [inService];
  }
}
