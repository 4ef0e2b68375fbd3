import { Annotations, CfnResource, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { bindTraining, bindTransform, DEFAULT_CHECKPOINT_PREFIX, localRegion } from './bind';
import { CreateModelStep } from './create-model-step';
import { DeployEndpointStep } from './deploy-endpoint-step';
import { JobNameStep } from './job-name-step';
import { applySubstitutions, SubstitutedDefinitionBody } from './private/definition';
import { ScriptPlan, scriptPlan, validateScriptPlan } from './private/script-plan';
import { REPACK_PATH, RepackModelStep } from './repack-model-step';
import { TrainingStep } from './training-step';
import { TransformStep } from './transform-step';
import { jsonEncode, REPACKED_CODE_DIRECTORY, scriptModelEnvironment } from '../code/private/script-mode';
import { BoundSourceCode, SourceCode } from '../code/source-code';
import { EndpointProps } from '../hosting/endpoint-props';
import { endpointVariants, renderEndpointConfig, renderModel, validateEndpoint, validateModelEnvironment, variantName } from '../hosting/endpoint-request';
import { AlgorithmImage } from '../image/algorithm-image';
import { ImageUse } from '../image/framework';
import { PipelineMonitoring, PipelineMonitoringOptions } from '../monitoring/pipeline-monitoring';
import { ByoaValidationError } from '../private/errors';
import { grantGetObjects, grantPutObjects, grantSageMakerLogsAndMetrics } from '../private/grants';
import { LOCAL_MODE_CONTEXT_KEY } from '../private/local-mode';
import { NagSuppression, suppressNag } from '../private/nag';
import { CodeSpec, RUN_SPEC_METADATA_TYPE, RunSpec } from '../private/run-spec';
import { Problems } from '../private/validation';
import { MetricDefinition, TrainingProps } from '../training/training-props';
import { validateTraining } from '../training/training-request';
import { BatchTransformProps } from '../transform/batch-transform-props';
import { validateTransform } from '../transform/transform-request';

const MAX_PREFIX_LENGTH = 26; // 63 - 1 - 36 (a UUID)
const PREFIX_PATTERN = /^[a-z0-9](-*[a-z0-9])*$/;

/** Props of a {@link ByoaPipeline}. */
export interface ByoaPipelineProps {
  /**
   * The algorithm's Docker image: the training image, and the model's image
   * unless `inferenceImage` is given. A framework image
   * (`AlgorithmImage.fromFramework`) gives the model the framework's
   * inference image (`*-inference` for PyTorch, TensorFlow and MXNet).
   */
  readonly image: AlgorithmImage;
  /**
   * The model's image (endpoint and batch transform), when it is not the
   * training image: SageMaker's "one image for training and hosting, or
   * separate images".
   * @default - `image` (for a framework image: the framework's inference image)
   */
  readonly inferenceImage?: AlgorithmImage;
  /**
   * The model's code in script mode: the serving functions (`model_fn`,
   * `input_fn`, `predict_fn`, `output_fn`). PyTorch and MXNet models, and
   * TensorFlow models with code, are repacked by a step of the state
   * machine: the code goes under `code/` of a new `model.tar.gz`.
   * TensorFlow Serving loads only `code/inference.py`.
   * @default - the training code (`training.code`); for TensorFlow none (the SavedModel is served as it is)
   */
  readonly inferenceCode?: SourceCode;
  /** The training job. */
  readonly training: TrainingProps;
  /**
   * A batch transform job run with the trained model.
   * @default - no batch transform
   */
  readonly batchTransform?: BatchTransformProps;
  /**
   * A real-time endpoint hosting the trained model, created on the first
   * execution and updated on the next ones.
   * @default - no endpoint
   */
  readonly endpoint?: EndpointProps;
  /**
   * Environment of the model's container (hosting and batch transform; at
   * most 100 entries, keys and values up to 1024 characters).
   * @default - none
   */
  readonly modelEnvironment?: { [name: string]: string };
  /**
   * The SageMaker execution role. When given, the pipeline adds the grants it
   * needs to it (if it is mutable).
   * @default - a least-privilege role is created
   */
  readonly role?: iam.IRole;
  /**
   * The bucket for model artifacts, transform results and extracted asset inputs.
   * @default - a bucket is created: public access blocked, SSL enforced, encrypted (with `encryptionKey` when given), retained on stack deletion
   */
  readonly outputBucket?: s3.IBucket;
  /**
   * Key prefix of everything the pipeline writes to the output bucket (for
   * example `iris/`); empty or ending in `/`.
   * @default ''
   */
  readonly outputPrefix?: string;
  /**
   * Bucket that receives the server access logs of the created output bucket.
   * @default - no server access logs
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * Key prefix of the server access logs.
   * @default - the pipeline's name prefix followed by `/`
   */
  readonly serverAccessLogsPrefix?: string;
  /**
   * KMS key of the created output bucket and of the jobs' outputs.
   * @default - S3-managed encryption
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Prefix of the names of the jobs, models and endpoint configs (lower case,
   * at most 26 characters, `[a-z0-9](-*[a-z0-9])*`); each execution appends a
   * UUID.
   * @default - derived from the construct path
   */
  readonly namePrefix?: string;
  /**
   * Runs the pipeline on the local Docker engine instead of SageMaker: the
   * stack then holds no SageMaker, Step Functions or IAM resources, and
   * `byoa local run <construct path>` runs it from the cloud assembly.
   * @default - the context value `byoa:localMode`, else false
   */
  readonly localMode?: boolean;
  /**
   * State machine name.
   * @default - generated
   */
  readonly stateMachineName?: string;
  /**
   * Maximum duration of an execution.
   * @default - no limit beyond the jobs' own
   */
  readonly timeout?: Duration;
  /**
   * Logs the state machine's executions (all events, without execution data)
   * to a new log group.
   * @default true
   */
  readonly stateMachineLogging?: boolean;
  /**
   * Log metric filters, metrics, alarms and a dashboard for the pipeline
   * (see `PipelineMonitoring`). Unless set otherwise here, an error-line
   * counter watches the training and endpoint logs, and metric filters are
   * derived from the training metric definitions that a filter can express.
   * @default - error-line counters on the training and endpoint logs; no alarms, topic or dashboard
   */
  readonly monitoring?: PipelineMonitoringOptions;
  /**
   * Removal policy of the created output bucket.
   * @default RemovalPolicy.RETAIN
   */
  readonly outputBucketRemovalPolicy?: RemovalPolicy;
}

/**
 * A "bring your own algorithm" SageMaker pipeline from one definition:
 * a Step Functions state machine that trains the algorithm image, creates the
 * model, runs a batch transform and/or creates or updates a real-time
 * endpoint, with a least-privilege execution role and an output bucket.
 *
 * The same definition runs locally on Docker: `cdk synth` writes the
 * pipeline's run specification (the SageMaker requests the state machine
 * sends) into the cloud assembly, and `byoa local run <path>` runs it.
 */
export class ByoaPipeline extends Construct {
  /** The context key that turns local mode on for every pipeline that does not set `localMode` (`cdk synth -c byoa:localMode=true`). */
  public static readonly LOCAL_MODE_CONTEXT_KEY = LOCAL_MODE_CONTEXT_KEY;

  /** Whether the pipeline was synthesized in local mode. */
  public readonly localMode: boolean;
  /** Prefix of the names of the jobs, models and endpoint configs. */
  public readonly namePrefix: string;
  /** The endpoint's name, when the pipeline has an endpoint. */
  public readonly endpointName?: string;
  /** The training metric definitions (for monitoring). */
  public readonly metricDefinitions: MetricDefinition[];

  private readonly _stateMachine?: sfn.StateMachine;
  private readonly _monitoring?: PipelineMonitoring;
  private readonly _role?: iam.IRole;
  private readonly _outputBucket?: s3.IBucket;

  constructor(scope: Construct, id: string, props: ByoaPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const contextValue = this.node.tryGetContext(ByoaPipeline.LOCAL_MODE_CONTEXT_KEY);
    this.localMode = props.localMode ?? (contextValue === true || contextValue === 'true');
    this.namePrefix = props.namePrefix ?? defaultPrefix(this);
    this.metricDefinitions = (props.training.metricDefinitions ?? []).map(m => ({ name: m.name, regex: m.regex }));
    if (props.endpoint) {
      this.endpointName = props.endpoint.endpointName ?? this.namePrefix;
    }
    const plan = scriptPlan(props);
    validate(this, props, plan);

    const outputPrefix = props.outputPrefix ?? '';
    const names = { jobName: this.namePrefix, modelName: this.namePrefix };
    let spec: Pick<RunSpec, 'training' | 'model' | 'endpointConfig' | 'transform'>;
    let cloud: RunSpec['cloud'];
    let imageUri: string;
    let trainingCode: BoundSourceCode | undefined;
    let inferenceCode: BoundSourceCode | undefined;

    if (this.localMode) {
      Annotations.of(this).addInfo(`${this.node.path} is in local mode: it creates no SageMaker, Step Functions or IAM resources. Run it with \`byoa local run ${this.node.path}\` after \`cdk synth\`.`);
      imageUri = `${this.namePrefix}:local`;
      const roleArn = `arn:aws:iam::${concrete(stack.account) ?? '000000000000'}:role/byoa-local-mode`;
      const ctx = { jobName: names.jobName, roleArn, imageUri, outputPath: 'file://output/', inputsPrefix: `${outputPrefix}inputs/`, localMode: true, framework: plan.framework };
      const training = bindTraining(this, props.training, ctx);
      trainingCode = training.code;
      inferenceCode = plan.inferenceCode === props.training.code ? training.code : plan.inferenceCode?._bind(this);
      const environment = modelEnvironment(plan, inferenceCode, inferenceCode?.localUri, localRegion(this), props.modelEnvironment);
      spec = {
        training: training.local,
        model: renderModel({ roleArn, imageUri, environment, enableNetworkIsolation: props.training.enableNetworkIsolation }),
        endpointConfig: props.endpoint ? renderEndpointConfig(props.endpoint, {}) : undefined,
        transform: props.batchTransform ? bindTransform(this, props.batchTransform, { ...ctx, modelName: names.modelName }).local : undefined,
      };
    } else {
      const role = props.role ?? new iam.Role(this, 'ExecutionRole', {
        assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
        description: `SageMaker execution role of ${this.node.path}`,
      });
      this._role = role;
      const bucket = props.outputBucket ?? new s3.Bucket(this, 'OutputBucket', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
        encryptionKey: props.encryptionKey,
        removalPolicy: props.outputBucketRemovalPolicy ?? RemovalPolicy.RETAIN,
        autoDeleteObjects: false,
        serverAccessLogsBucket: props.serverAccessLogsBucket,
        serverAccessLogsPrefix: props.serverAccessLogsBucket ? (props.serverAccessLogsPrefix ?? `${this.namePrefix}/`) : undefined,
      });
      this._outputBucket = bucket;
      imageUri = props.image.bind(this, role, { use: ImageUse.TRAINING, instanceType: plan.trainingInstanceType }).imageUri;
      const modelImageUri = plan.inferenceImage.bind(this, role, { use: ImageUse.INFERENCE, instanceType: plan.inferenceInstanceType }).imageUri;
      grantExecutionRole(role, bucket, outputPrefix, props);

      const stepProps = { role, namePrefix: this.namePrefix };
      // One security group for the training job and the model, when none is given.
      const trainingProps: TrainingProps = props.training.vpc && !props.training.securityGroups
        ? { ...props.training, securityGroups: [new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.training.vpc, description: `SageMaker jobs and models of ${this.node.path}` })] }
        : props.training;
      const base = `s3://${bucket.bucketName}/${outputPrefix}`;
      const training = new TrainingStep(this, 'Training', {
        ...stepProps,
        training: { ...trainingProps, outputEncryptionKey: props.training.outputEncryptionKey ?? props.encryptionKey },
        imageUri,
        outputPath: `${base}training/`,
        stagingBucket: bucket,
        inputsPrefix: `${outputPrefix}inputs/`,
        framework: plan.framework,
      });
      trainingCode = training._request.code;
      inferenceCode = plan.inferenceCode === props.training.code ? trainingCode : plan.inferenceCode?._bind(this, role);
      let chain: sfn.Chain = new JobNameStep(this, 'Name the jobs', { namePrefix: this.namePrefix }).next(training);
      let modelDataUrlPath: string | undefined;
      if (plan.repack) {
        const repack = new RepackModelStep(this, 'Repack', {
          code: plan.inferenceCode!,
          bucket,
          trainingPrefix: `${outputPrefix}training/`,
          encryptionKey: props.encryptionKey,
        });
        chain = chain.next(repack);
        modelDataUrlPath = `${REPACK_PATH}.modelDataUrl`;
      }
      const model = new CreateModelStep(this, 'Model', {
        modelDataUrlPath,
        ...stepProps,
        imageUri: modelImageUri,
        environment: modelEnvironment(plan, inferenceCode, inferenceCode?.s3Uri, stack.region, props.modelEnvironment),
        enableNetworkIsolation: props.training.enableNetworkIsolation,
        training: trainingProps,
      });
      chain = chain.next(model);
      let transform: TransformStep | undefined;
      if (props.batchTransform) {
        transform = new TransformStep(this, 'Transform', {
          ...stepProps,
          transform: { ...props.batchTransform, outputEncryptionKey: props.batchTransform.outputEncryptionKey ?? props.encryptionKey },
          outputPath: `${base}transform/`,
          stagingBucket: bucket,
          inputsPrefix: `${outputPrefix}inputs/`,
        });
        chain = chain.next(transform);
      }
      let endpoint: DeployEndpointStep | undefined;
      if (props.endpoint) {
        endpoint = new DeployEndpointStep(this, 'Endpoint', { ...stepProps, endpoint: props.endpoint, endpointName: this.endpointName! });
        chain = chain.next(endpoint);
      }
      chain = chain.next(new sfn.Succeed(this, 'Done'));

      const definitionBody = new SubstitutedDefinitionBody(chain);
      this._stateMachine = new sfn.StateMachine(this, 'StateMachine', {
        stateMachineName: props.stateMachineName,
        definitionBody,
        timeout: props.timeout,
        tracingEnabled: true,
        logs: props.stateMachineLogging === false ? undefined : {
          destination: new logs.LogGroup(this, 'StateMachineLogs', { retention: logs.RetentionDays.ONE_YEAR }),
          level: sfn.LogLevel.ALL,
          includeExecutionData: false,
        },
      });
      applySubstitutions(this._stateMachine, definitionBody);
      this._monitoring = new PipelineMonitoring(this, 'Monitoring', {
        kmsKey: props.encryptionKey,
        ...props.monitoring,
        logs: props.monitoring?.logs ?? { training: true, endpoint: props.endpoint !== undefined },
        stateMachine: this._stateMachine,
        endpointName: this.endpointName,
        endpointVariantName: props.endpoint && !props.endpoint.serverless ? variantName(endpointVariants(props.endpoint)[0], 0) : undefined,
        metricDefinitions: this.metricDefinitions,
        trainingJobNamePrefix: `${this.namePrefix}-`,
      });
      recordNagSuppressions(this, this._stateMachine, {
        namePrefix: this.namePrefix,
        code: trainingCode !== undefined || inferenceCode !== undefined,
        repack: plan.repack,
        kms: usesKmsKey(props, bucket),
        checkpointPrefix: props.training.checkpoint ? (props.training.checkpoint.keyPrefix ?? DEFAULT_CHECKPOINT_PREFIX) : undefined,
      });
      // Logical ids as tokens: the metadata is resolved at synth, after any overrideLogicalId.
      const ownBucket = props.outputBucket ? undefined : bucket.node.defaultChild as CfnResource;
      cloud = {
        stackName: stack.stackName,
        stateMachineLogicalId: (this._stateMachine.node.defaultChild as CfnResource).logicalId,
        outputBucketLogicalId: ownBucket?.logicalId,
      };
      spec = {
        training: training._request.local,
        model: model._request,
        endpointConfig: endpoint?._request,
        transform: transform?._request.local,
      };
    }

    const trainingImageSpec = props.image._runSpec(this, { use: ImageUse.TRAINING, instanceType: plan.trainingInstanceType });
    const inferenceImageSpec = plan.inferenceImage._runSpec(this, { use: ImageUse.INFERENCE, instanceType: plan.inferenceInstanceType });
    const runSpec: RunSpec = {
      version: 1,
      pipeline: this.node.path,
      region: concrete(stack.region),
      account: concrete(stack.account),
      image: trainingImageSpec,
      inferenceImage: JSON.stringify(inferenceImageSpec) === JSON.stringify(trainingImageSpec) ? undefined : inferenceImageSpec,
      code: codeSpec(trainingCode),
      inferenceCode: codeSpec(inferenceCode),
      repack: plan.repack || undefined,
      framework: plan.framework ? {
        name: plan.framework.name,
        version: trainingImageSpec.kind === 'sagemaker' ? trainingImageSpec.version : undefined,
        pythonVersion: trainingImageSpec.kind === 'sagemaker' ? trainingImageSpec.pythonVersion : undefined,
      } : undefined,
      options: { localMode: this.localMode, smEnvironment: props.training.smEnvironment ?? false },
      ...spec,
      training: {
        ...spec.training,
        TrainingJobName: names.jobName,
        HyperParameters: trainingCode
          ? { ...spec.training.HyperParameters, sagemaker_job_name: jsonEncode(names.jobName) }
          : spec.training.HyperParameters,
      },
      transform: spec.transform ? { ...spec.transform, TransformJobName: names.jobName, ModelName: names.modelName } : undefined,
      model: {
        ...spec.model,
        ModelName: names.modelName,
        // The code's staged location and the placeholder region, as in the training request.
        PrimaryContainer: {
          ...spec.model.PrimaryContainer,
          Environment: modelEnvironment(plan, inferenceCode, inferenceCode?.localUri, localRegion(this), props.modelEnvironment),
        },
      },
      endpointConfig: spec.endpointConfig
        ? {
          ...spec.endpointConfig,
          EndpointConfigName: names.jobName,
          ProductionVariants: spec.endpointConfig.ProductionVariants?.map(v => ({ ...v, ModelName: names.modelName })),
        }
        : undefined,
      endpointName: this.endpointName,
      cloud,
    };
    this.node.addMetadata(RUN_SPEC_METADATA_TYPE, runSpec, { stackTrace: false });
  }

  /** The state machine that runs the pipeline. Not available in local mode. */
  public get stateMachine(): sfn.StateMachine {
    return this.cloudOnly(this._stateMachine, 'stateMachine');
  }

  /** Metric filters, metrics, alarms and dashboard of the pipeline. Not available in local mode. */
  public get monitoring(): PipelineMonitoring {
    return this.cloudOnly(this._monitoring, 'monitoring');
  }

  /** The SageMaker execution role. Not available in local mode. */
  public get role(): iam.IRole {
    return this.cloudOnly(this._role, 'role');
  }

  /** The output bucket. Not available in local mode. */
  public get outputBucket(): s3.IBucket {
    return this.cloudOnly(this._outputBucket, 'outputBucket');
  }

  /** Adds a statement to the execution role's policy (ignored in local mode). */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this._role?.addToPrincipalPolicy(statement);
  }

  private cloudOnly<T>(value: T | undefined, name: string): T {
    if (value === undefined) {
      throw new ByoaValidationError(this.node.path, [`${name}: does not exist in local mode (localMode: true or the context value ${ByoaPipeline.LOCAL_MODE_CONTEXT_KEY}); `
        + 'local mode creates no cloud resources']);
    }
    return value;
  }
}

function validate(pipeline: ByoaPipeline, props: ByoaPipelineProps, plan: ScriptPlan): void {
  const problems = new Problems();
  validateScriptPlan(problems, props, plan, concrete(Stack.of(pipeline).region));
  if (props.namePrefix !== undefined && !Token.isUnresolved(props.namePrefix)) {
    if (props.namePrefix.length > MAX_PREFIX_LENGTH || !PREFIX_PATTERN.test(props.namePrefix)) {
      problems.add('namePrefix', props.namePrefix, `1-${MAX_PREFIX_LENGTH} lower-case characters matching [a-z0-9](-*[a-z0-9])* (a UUID is appended to make job names of at most 63 characters)`);
    }
  }
  problems.checkKeyPrefix('outputPrefix', props.outputPrefix);
  if (props.timeout && !props.timeout.isUnresolved()) {
    // The state machine's TimeoutSeconds: CloudFormation and Step Functions reject 0 (and there are no fractions).
    const ms = props.timeout.toMilliseconds();
    if (ms < 1000 || ms % 1000 !== 0) {
      problems.add('timeout', props.timeout.toHumanString(), 'a whole number of seconds, at least 1 (the state machine\'s TimeoutSeconds)');
    }
  }
  if (props.outputPrefix && !Token.isUnresolved(props.outputPrefix) && /['{}\\]/.test(props.outputPrefix)) {
    problems.add('outputPrefix', props.outputPrefix, 'a key prefix without \' { } or \\ (the state machine builds output paths with States.Format)');
  }
  if (props.endpoint?.serverless && (props.training.vpc || props.training.enableNetworkIsolation)) {
    problems.addMessage('endpoint.serverless', 'cannot host a model with a VPC or network isolation (the model takes training.vpc and training.enableNetworkIsolation); use instance-backed variants');
  }
  if (props.outputPrefix && !Token.isUnresolved(props.outputPrefix) && !props.outputPrefix.endsWith('/')) {
    problems.add('outputPrefix', props.outputPrefix, 'empty, or a key prefix ending in "/" without a leading "/" (for example "iris/")');
  }
  validateTraining(problems, props.training);
  if (props.batchTransform) validateTransform(problems, props.batchTransform);
  if (props.endpoint) validateEndpoint(problems, props.endpoint);
  validateModelEnvironment(problems, 'modelEnvironment', props.modelEnvironment);
  problems.throwIfAny(pipeline);
}

function grantExecutionRole(role: iam.IRole, bucket: s3.IBucket, outputPrefix: string, props: ByoaPipelineProps): void {
  grantPutObjects(bucket, role, `${outputPrefix}training/*`);
  // The model is created from training/<job>/output/model.tar.gz.
  grantGetObjects(bucket, role, `${outputPrefix}training/*`);
  if (props.batchTransform) {
    grantPutObjects(bucket, role, `${outputPrefix}transform/*`);
  }
  props.encryptionKey?.grantEncryptDecrypt(role);
  grantSageMakerLogsAndMetrics(role);
  if (props.training.vpc) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SageMakerVpcAccess',
      actions: [
        'ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface',
        'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs',
        'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups',
      ],
      resources: ['*'],
    }));
  }
}

/**
 * The model container's environment: in script mode the SDK's four
 * `SAGEMAKER_*` variables (the code's location, or `/opt/ml/model/code` for a
 * repacked model), then the user's `modelEnvironment`, which wins.
 */
function modelEnvironment(
  plan: ScriptPlan,
  code: BoundSourceCode | undefined,
  codeUri: string | undefined,
  region: string,
  user: { [name: string]: string } | undefined,
): { [name: string]: string } | undefined {
  if (!code || codeUri === undefined) return user;
  return { ...scriptModelEnvironment(code.entryPoint, plan.repack ? REPACKED_CODE_DIRECTORY : codeUri, region), ...user };
}

function codeSpec(code: BoundSourceCode | undefined): CodeSpec | undefined {
  return code ? { entryPoint: code.entryPoint, location: code.localUri, sourceDirectory: code.sourceDirectory } : undefined;
}

/**
 * The default name prefix: the construct path's parts (lower case, only
 * `[a-z0-9]`), joined with `-`, keeping as many WHOLE parts from the end
 * (the pipeline's own id first) as fit, then the 8-character hash CDK's
 * `Names.uniqueResourceName` gives the path (so that pipelines of the same
 * id in different stacks differ). `ScikitByo/DecisionTrees` becomes
 * `decisiontrees-e89bdb85`, never a word cut in the middle; a single part
 * longer than the room left is cut at its end.
 */
function defaultPrefix(scope: Construct): string {
  const unique = Names.uniqueResourceName(scope, { maxLength: MAX_PREFIX_LENGTH, separator: '-' }).toLowerCase();
  const hash = /-([a-z0-9]{8})$/.exec(unique)?.[1];
  const room = MAX_PREFIX_LENGTH - (hash ? hash.length + 1 : 0);
  const parts = scope.node.path.split('/').map((p) => p.toLowerCase().replace(/[^a-z0-9]/g, '')).filter((p) => p);
  const kept: string[] = [];
  for (const part of [...parts].reverse()) {
    const length = [part, ...kept].join('-').length;
    if (length <= room) {
      kept.unshift(part);
    } else {
      if (kept.length === 0) kept.unshift(part.slice(0, room));
      break;
    }
  }
  return [...kept, ...(hash ? [hash] : [])].join('-') || 'byoa';
}

function concrete(value: string): string | undefined {
  return Token.isUnresolved(value) ? undefined : value;
}

/** What decides which of the pipeline's cdk-nag findings can arise. */
interface NagFeatures {
  /** The prefix of the names each execution gives its jobs. */
  readonly namePrefix: string;
  /** Script mode: the roles read a code object. */
  readonly code: boolean;
  /** The model is repacked by a Lambda function. */
  readonly repack: boolean;
  /** A KMS key is granted with aws-cdk-lib's action groups. */
  readonly kms: boolean;
  /** The key prefix of the training checkpoints, when they are kept in S3. */
  readonly checkpointPrefix?: string;
}

/**
 * Records the cdk-nag findings the pipeline causes by design, each with its
 * reason. They are scoped with `appliesTo` to the exact wildcards the
 * pipeline writes, so anything a user adds to the roles is still reported.
 * Each one goes only where its finding can arise: the state machine's role
 * holds the SageMaker, X-Ray, log delivery and repack-invoke grants; the
 * execution role and the repack function's role hold the S3, KMS, logs and
 * ECR ones; a feature the pipeline does not use adds nothing.
 */
function recordNagSuppressions(pipeline: Construct, stateMachine: sfn.StateMachine, features: NagFeatures): void {
  const star: NagSuppression = {
    id: 'AwsSolutions-IAM5',
    reason: 'Resource "*" is needed by ecr:GetAuthorizationToken (not resource-scoped), cloudwatch:PutMetricData (limited by a cloudwatch:namespace condition to /aws/sagemaker/*), X-Ray trace writes and Step Functions log delivery (neither is resource-scoped).',
    appliesTo: ['Resource::*'],
  };
  const stateMachineRole: NagSuppression[] = [star, {
    id: 'AwsSolutions-IAM5',
    reason: `Each execution names its jobs, model and endpoint config "${features.namePrefix}-<UUID>": permissions are scoped to "${features.namePrefix}-*".`,
    appliesTo: [`/^Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:(training-job|model|transform-job|endpoint-config)\\/${features.namePrefix}-\\*$/g`],
  }];
  const otherRoles: NagSuppression[] = [{
    id: 'AwsSolutions-IAM5',
    reason: 'S3 grants are limited to the pipeline\'s own key prefixes (inputs/<asset hash>/, training/, transform/); the action wildcards are aws-cdk-lib\'s object-level grant action groups (PutObject*, Abort*).',
    appliesTo: [
      '/^Action::s3:(PutObject|Abort)\\*$/g',
      '/^Resource::.*\\/(inputs\\/[0-9a-f]{64}|training|transform)\\/\\*$/g',
    ],
  }, {
    id: 'AwsSolutions-IAM5',
    reason: 'SageMaker writes its logs to log groups it names under /aws/sagemaker/ (TrainingJobs, TransformJobs, Endpoints/<name>) and creates them on first use.',
    appliesTo: ['Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/*'],
  }, star];
  if (features.kms) {
    otherRoles.push({
      id: 'AwsSolutions-IAM5',
      reason: 'KMS grants of the pipeline\'s key use aws-cdk-lib\'s action groups (GenerateDataKey*, ReEncrypt*) on that key only.',
      appliesTo: ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
    });
  }
  if (features.checkpointPrefix !== undefined) {
    otherRoles.push({
      id: 'AwsSolutions-IAM5',
      reason: `SageMaker syncs the training checkpoints with the prefix "${features.checkpointPrefix}" of the checkpoint bucket: the grants are limited to that prefix (aws-cdk-lib's PutObject*, Abort* action groups).`,
      appliesTo: [
        '/^Action::s3:(PutObject|Abort)\\*$/g',
        `/^Resource::.*\\/${escapeRegExp(features.checkpointPrefix)}\\*$/g`,
      ],
    });
  }
  if (features.code) {
    otherRoles.push({
      id: 'AwsSolutions-IAM5',
      reason: 'Script mode: the roles read the code object (sourcedir.tar.gz) by its content-hash key; the trailing * is the S3Prefix data source SageMaker lists for the code channel, and matches only that key.',
      appliesTo: ['/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-[^/]+\\/[0-9a-f]{64}\\.gz\\*$/g'],
    });
  }
  if (features.repack) {
    otherRoles.push({
      id: 'AwsSolutions-IAM5',
      reason: 'The repack function reads each training job\'s model.tar.gz and writes its repacked one: the key holds the job\'s name, known only per execution.',
      appliesTo: ['/^Resource::<[A-Za-z0-9]+\\.Arn>\\/(.*\\/)?training\\/\\*\\/(output|repacked)\\/model\\.tar\\.gz$/g'],
    });
    stateMachineRole.push({
      id: 'AwsSolutions-IAM5',
      reason: 'The state machine invokes the repack function; Step Functions\' LambdaInvoke grants its versions and aliases (<function ARN>:*) too.',
      appliesTo: ['/^Resource::<[A-Za-z0-9]*RepackFunction[0-9A-F]+\\.Arn>:\\*$/g'],
    });
  }
  suppressNag(stateMachine, stateMachineRole);
  for (const child of pipeline.node.children) {
    if (child !== stateMachine) suppressNag(child, otherRoles);
  }
}

/** `text` as a literal in a regular expression (cdk-nag's `appliesTo` regexes), "/" escaped too. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Whether any KMS key of the pipeline is granted with aws-cdk-lib's action groups (GenerateDataKey*, ReEncrypt*). */
function usesKmsKey(props: ByoaPipelineProps, outputBucket: s3.IBucket): boolean {
  const training = props.training;
  const transform = props.batchTransform;
  return [
    props.encryptionKey, outputBucket.encryptionKey, training.volumeEncryptionKey, training.outputEncryptionKey,
    training.checkpoint?.bucket.encryptionKey, transform?.volumeEncryptionKey, transform?.outputEncryptionKey,
  ].some(key => key !== undefined);
}
