import type {
  CreateEndpointConfigInput,
  CreateModelInput,
  CreateTrainingJobRequest,
  CreateTransformJobRequest,
} from '@aws-sdk/client-sagemaker';

/**
 * The run specification of one pipeline: what `cdk synth` writes into the
 * cloud assembly (as construct metadata of type {@link RUN_SPEC_METADATA_TYPE}
 * on the pipeline's construct path) so that local mode can run the pipeline
 * from `cdk.out` alone, the way the SAM CLI runs Lambda functions.
 *
 * The requests are the SAME objects the cloud backend sends from its state
 * machine (rendered by one function each: `renderTrainingJob`, `renderModel`,
 * `renderTransformJob`, `renderEndpointConfig`), with
 * two differences that only matter to local mode:
 *
 * - names that Step Functions computes per execution (`TrainingJobName`,
 *   `ModelName`, `TransformJobName`, `EndpointConfigName`) hold the pipeline's
 *   name prefix instead; the local runner appends its own unique suffix;
 * - every S3 location that comes from an asset is a `file://` URI relative to
 *   the cloud assembly directory (for example `file://asset.1a2b...`), pointing
 *   at the staged asset. Locations in buckets stay `s3://` URIs; a location
 *   whose bucket name is only known after deployment is an `unresolved://`
 *   URI (the runner reports it up front).
 *
 * `RoleArn`, `ExecutionRoleArn` and output S3 paths are kept as rendered (they
 * may be CloudFormation intrinsics); local mode ignores them.
 */
export interface RunSpec {
  /** Format version of this document. */
  readonly version: 1;
  /** Construct path of the pipeline, for example `IrisStack/Iris`. */
  readonly pipeline: string;
  /** The stack's region when it is concrete, else undefined (environment-agnostic). */
  readonly region?: string;
  /** The stack's account when it is concrete. */
  readonly account?: string;
  /** Where the algorithm image comes from. */
  readonly image: ImageSpec;
  /** Options of the pipeline that change what local mode does. */
  readonly options: RunSpecOptions;
  /** CreateTrainingJob request. */
  readonly training: CreateTrainingJobRequest;
  /**
   * CreateModel request. `PrimaryContainer.ModelDataUrl` is empty: it is the
   * training job's `ModelArtifacts.S3ModelArtifacts` at run time.
   */
  readonly model: CreateModelInput;
  /** CreateTransformJob request, when the pipeline has a batch transform. */
  readonly transform?: CreateTransformJobRequest;
  /** CreateEndpointConfig request, when the pipeline has an endpoint. */
  readonly endpointConfig?: CreateEndpointConfigInput;
  /** Endpoint name, when the pipeline has an endpoint and the name is concrete. */
  readonly endpointName?: string;
  /**
   * Where the deployed pipeline is found (absent in local mode, which deploys
   * nothing): `byoa cloud` looks these logical ids up with CloudFormation's
   * `DescribeStackResource`.
   */
  readonly cloud?: CloudSpec;
  /**
   * Set by the reader, not by synth: the (nested) cloud assembly directory the
   * spec was read from, against which `file://` URIs resolve.
   */
  readonly assemblyDirectory?: string;
}

/** The deployed resources of a pipeline, as the stack's template names them. */
export interface CloudSpec {
  /** The CloudFormation stack that holds the pipeline. */
  readonly stackName: string;
  /** Logical id of the `AWS::StepFunctions::StateMachine` (its physical id is the ARN). */
  readonly stateMachineLogicalId: string;
  /** Logical id of the output bucket, when the pipeline created it. */
  readonly outputBucketLogicalId?: string;
}

export interface RunSpecOptions {
  /** Whether the pipeline was synthesized in local mode (no cloud resources). */
  readonly localMode: boolean;
  /**
   * Whether the training toolkit's `SM_*` variables were added to the
   * training request's `Environment` (they are then already in
   * `training.Environment`; local mode sets nothing more).
   */
  readonly smEnvironment: boolean;
}

export type ImageSpec = AssetImageSpec | RepositoryImageSpec;

/** An image built from a Dockerfile asset staged in the cloud assembly. */
export interface AssetImageSpec {
  readonly kind: 'asset';
  /** The staged build context, relative to the cloud assembly directory. */
  readonly directory: string;
  /** The original build directory on the machine that ran `cdk synth` (used when the staged copy is missing). */
  readonly sourceDirectory?: string;
  /** Dockerfile name relative to the build context. @default 'Dockerfile' */
  readonly file?: string;
  readonly buildArgs?: { [name: string]: string };
  readonly target?: string;
  /** `linux/amd64` unless set otherwise. */
  readonly platform?: string;
}

/** An existing image in an ECR repository. */
export interface RepositoryImageSpec {
  readonly kind: 'repository';
  /** Full image URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG` or `@sha256:...`) when concrete. */
  readonly imageUri: string;
  /** Registry region, parsed from the URI when concrete. */
  readonly region?: string;
  /** Registry account id, parsed from the URI when concrete. */
  readonly registryId?: string;
}

/** Metadata type under which `ByoaPipeline` writes its {@link RunSpec}. */
export const RUN_SPEC_METADATA_TYPE = 'byoa:run-spec';
