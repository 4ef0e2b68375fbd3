import type { CreateEndpointConfigInput, CreateModelInput, CreateTransformJobRequest } from '@aws-sdk/client-sagemaker';
import { Annotations, ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EndpointProps } from '../hosting/endpoint-props';
import { renderEndpointConfig, renderModel, validateEndpoint, validateModelEnvironment } from '../hosting/endpoint-request';
import { Framework } from '../image/framework';
import { InstanceType } from '../instance-type';
import { BindContext, bindTraining, bindTransform, BoundRequest, BoundTraining, vpcSettings } from './bind';
import { failWithCaughtError, ERROR_PATH, jobFailureChain } from './failure';
import { sagemakerArn } from '../private/arns';
import { hasLocalStorage } from '../private/instance-types';
import { SageMakerTask, withPaths } from '../private/sagemaker-task';
import { Problems } from '../private/validation';
import { TrainingProps } from '../training/training-props';
import { DEFAULT_TRAINING_INSTANCE_TYPE, validateTraining } from '../training/training-request';
import { BatchTransformProps } from '../transform/batch-transform-props';
import { DEFAULT_TRANSFORM_INSTANCE_TYPE, validateTransform } from '../transform/transform-request';

/** Where the steps keep their results in the execution's state. */
export const STATE_PATHS = {
  name: '$.byoa.name',
  training: '$.byoa.training',
  model: '$.byoa.model',
  transform: '$.byoa.transform',
  endpointConfig: '$.byoa.endpointConfig',
  endpoint: '$.byoa.endpoint',
} as const;

/** Props shared by every step. */
export interface StepProps {
  /**
   * The SageMaker execution role the jobs and the model run with. The state
   * machine may pass it to SageMaker (`iam:PassRole`, only to SageMaker).
   */
  readonly role: iam.IRole;
  /**
   * Lower-case prefix of the names of the jobs, models and endpoint configs
   * this step creates (at most 26 characters): IAM permissions are scoped to
   * `<prefix>-*`. The full name is read from `$.byoa.name`, set by a
   * {@link JobNameStep}.
   */
  readonly namePrefix: string;
}

/** Props of a {@link JobNameStep}. */
export interface JobNameStepProps {
  /** Prefix of the names (lower case, at most 26 characters). */
  readonly namePrefix: string;
}

/**
 * A Pass state that sets `$.byoa.name` to `<namePrefix>-<UUID>`: a name that
 * is unique per execution and valid for SageMaker jobs, models and endpoint
 * configs (at most 63 characters). Put it before the other steps.
 */
export class JobNameStep extends sfn.Pass {
  constructor(scope: Construct, id: string, props: JobNameStepProps) {
    super(scope, id, {
      comment: 'Names this execution\'s SageMaker jobs, model and endpoint config',
      parameters: { 'name.$': `States.Format('${props.namePrefix}-{}', States.UUID())` },
      resultPath: '$.byoa',
    });
  }
}

function passRole(role: iam.IRole): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [role.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
  });
}

interface SyncJobTaskProps {
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
function syncJobTask(scope: Construct, stateName: string, props: SyncJobTaskProps): SageMakerTask {
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
  task.addCatch(jobFailureChain(scope, { kind: props.kind, jobNamePath: STATE_PATHS.name, jobArn }), { resultPath: ERROR_PATH });
  return task;
}

/** Props shared by the steps that run a job on data (training, batch transform). */
export interface DataJobStepProps extends StepProps {
  /** `S3OutputPath` of the job. */
  readonly outputPath: string;
  /** Bucket into which asset inputs are extracted. */
  readonly stagingBucket: s3.IBucket;
  /**
   * Key prefix in `stagingBucket` under which asset inputs are extracted
   * (`<prefix><asset hash>/`).
   * @default 'inputs/'
   */
  readonly inputsPrefix?: string;
}

/** Props of a {@link TrainingStep}. SageMaker writes `<outputPath><job name>/output/model.tar.gz`. */
export interface TrainingStepProps extends DataJobStepProps {
  /** The training job. */
  readonly training: TrainingProps;
  /** The algorithm image's URI (from `AlgorithmImage.bind`). */
  readonly imageUri: string;
  /**
   * Script mode (`training.code`): the framework whose container runs the
   * code. TensorFlow gets the SDK's `model_dir` hyperparameter.
   * @default - none
   */
  readonly framework?: Framework;
}

/**
 * Runs a training job and waits for it (`createTrainingJob.sync`). Its
 * result, at `$.byoa.training`, holds `TrainingJobName` and `ModelArtifacts`.
 * A failed job ends the execution in a Fail state whose cause is SageMaker's
 * `FailureReason`.
 */
export class TrainingStep extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** @internal */
  public readonly _request: BoundTraining;

  constructor(scope: Construct, id: string, props: TrainingStepProps) {
    super(scope, id);
    const problems = new Problems();
    validateTraining(problems, props.training);
    problems.throwIfAny(this);
    warnVolumeKeyWithLocalStorage(this, 'training', props.training.instanceType ?? DEFAULT_TRAINING_INSTANCE_TYPE, props.training.volumeEncryptionKey);
    this._request = bindTraining(this, props.training, { ...bindContext(props, props.outputPath, props.stagingBucket), framework: props.framework });
    // Script mode: the SDK's job name and TensorFlow's model_dir name this execution's job (JSON-encoded).
    const perExecution: { [field: string]: string } = {};
    if (props.training.code) {
      perExecution['HyperParameters.sagemaker_job_name'] = `States.Format('"{}"', ${STATE_PATHS.name})`;
      if (props.framework?._traits.tensorflow) {
        perExecution['HyperParameters.model_dir'] = `States.Format('"${props.outputPath}{}/model"', ${STATE_PATHS.name})`;
      }
    }
    const task = syncJobTask(this, 'Train', {
      kind: 'TrainingJob',
      namePrefix: props.namePrefix,
      comment: 'Trains the model and waits for the training job to end',
      parameters: withPaths(this._request.cloud, { TrainingJobName: STATE_PATHS.name, ...perExecution }),
      resultSelector: { 'TrainingJobName.$': '$.TrainingJobName', 'ModelArtifacts.$': '$.ModelArtifacts' },
      resultPath: STATE_PATHS.training,
      policies: [passRole(props.role)],
    });
    this.startState = task;
    this.endStates = [task];
  }
}

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
    const network = props.training ? vpcSettings(this, props.training) : {};
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

/** Props of a {@link TransformStep}. Results go to `<outputPath><job name>/`. */
export interface TransformStepProps extends DataJobStepProps {
  /** The batch transform job. */
  readonly transform: BatchTransformProps;
}

/**
 * Runs a batch transform job with the model named `$.byoa.name` and waits
 * for it (`createTransformJob.sync`). Results go to
 * `<outputPath><job name>/`. A failed job ends the execution in a Fail state
 * whose cause is SageMaker's `FailureReason`.
 */
export class TransformStep extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** @internal */
  public readonly _request: BoundRequest<CreateTransformJobRequest>;

  constructor(scope: Construct, id: string, props: TransformStepProps) {
    super(scope, id);
    const problems = new Problems();
    validateTransform(problems, props.transform);
    problems.throwIfAny(this);
    warnVolumeKeyWithLocalStorage(this, 'batchTransform', props.transform.instanceType ?? DEFAULT_TRANSFORM_INSTANCE_TYPE, props.transform.volumeEncryptionKey);
    this._request = bindTransform(this, props.transform, { ...bindContext(props, props.outputPath, props.stagingBucket), modelName: '' });
    const task = syncJobTask(this, 'Batch transform', {
      kind: 'TransformJob',
      namePrefix: props.namePrefix,
      comment: 'Runs the batch transform and waits for it to end',
      parameters: withPaths(this._request.cloud, {
        'TransformJobName': STATE_PATHS.name,
        'ModelName': STATE_PATHS.name,
        'TransformOutput.S3OutputPath': `States.Format('${props.outputPath}{}/', ${STATE_PATHS.name})`,
      }),
      resultSelector: { 'TransformJobName.$': '$.TransformJobName', 'TransformOutput.$': '$.TransformOutput' },
      resultPath: STATE_PATHS.transform,
      policies: [],
    });
    this.startState = task;
    this.endStates = [task];
  }
}

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
    const create = new SageMakerTask(this, 'Create endpoint', {
      integration: 'sagemaker:createEndpoint',
      parameters: endpointRequest,
      resultPath: STATE_PATHS.endpoint,
      policies: [new iam.PolicyStatement({ actions: ['sagemaker:CreateEndpoint'], resources: [endpointArn, configArn] }), ...keyPolicies],
    });
    const update = new SageMakerTask(this, 'Update endpoint', {
      integration: 'sagemaker:updateEndpoint',
      parameters: endpointRequest,
      resultPath: STATE_PATHS.endpoint,
      policies: [new iam.PolicyStatement({ actions: ['sagemaker:UpdateEndpoint'], resources: [endpointArn, configArn] }), ...keyPolicies],
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

/** SageMaker refuses a volume key on instance types with local storage: say so at synth. */
function warnVolumeKeyWithLocalStorage(scope: Construct, property: string, instanceType: InstanceType, key: kms.IKey | undefined): void {
  const name = instanceType.toString();
  if (key && !Token.isUnresolved(name) && hasLocalStorage(name)) {
    Annotations.of(scope).addWarningV2('cdk-sagemaker-byoa:volume-key-with-local-storage',
      `${property}.volumeEncryptionKey: ${name} has local instance storage, which SageMaker encrypts itself; SageMaker rejects a VolumeKmsKeyId for such instance types. Remove the key or choose an instance type without local storage.`);
  }
}

function bindContext(props: StepProps & { imageUri?: string; inputsPrefix?: string }, outputPath: string, stagingBucket: s3.IBucket): BindContext {
  return {
    inputsPrefix: props.inputsPrefix ?? 'inputs/',
    jobName: '',
    roleArn: props.role.roleArn,
    grantee: props.role,
    imageUri: props.imageUri ?? '',
    outputBucket: stagingBucket,
    outputPath,
    localMode: false,
  };
}
