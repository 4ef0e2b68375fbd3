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
  /** Where the algorithm image comes from (the training image). */
  readonly image: ImageSpec;
  /**
   * The model's image (endpoints and batch transform) when it is not
   * `image`: a framework's `*-inference` image, or `inferenceImage`.
   * Absent: the model uses `image`.
   */
  readonly inferenceImage?: ImageSpec;
  /** Script mode: the training code. Absent: the image runs on its own. */
  readonly code?: CodeSpec;
  /** The model's code (script mode). Absent: the model has no code of its own. */
  readonly inferenceCode?: CodeSpec;
  /**
   * Whether the model artifact is repacked before the model is created:
   * `inferenceCode`'s files go under `code/` of a new `model.tar.gz`, and
   * the model's `SAGEMAKER_SUBMIT_DIRECTORY` is `/opt/ml/model/code`.
   */
  readonly repack?: boolean;
  /** The framework of a script-mode pipeline and its resolved versions. */
  readonly framework?: FrameworkSpec;
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

/** A framework and its resolved version. */
export interface FrameworkSpec {
  /** Name in the image table: `sklearn`, `xgboost`, `pytorch`, `tensorflow`, `mxnet`. */
  readonly name: string;
  /** The resolved version (`1.2-1`, `2.19.0`); absent for an extended image (`fromAsset` with `framework`). */
  readonly version?: string;
  readonly pythonVersion?: string;
}

/**
 * Script-mode code: a `sourcedir.tar.gz` (a gzip tar of the source
 * directory's contents) and the entry point in it.
 */
export interface CodeSpec {
  /** The script, relative to the source directory (`train.py`). */
  readonly entryPoint: string;
  /**
   * The tarball: `file://asset.<hash>.gz` (relative to the cloud assembly)
   * for `SourceCode.fromAsset`, `s3://bucket/key` for `fromBucket` with a
   * concrete bucket name, else `unresolved://<construct path>/<key>`.
   */
  readonly location: string;
  /** `SourceCode.fromAsset` only: the source directory on the machine that ran `cdk synth`. */
  readonly sourceDirectory?: string;
}

export type ImageSpec = AssetImageSpec | RepositoryImageSpec | SageMakerImageSpec;

/** A SageMaker framework or built-in algorithm image. */
export interface SageMakerImageSpec {
  readonly kind: 'sagemaker';
  /** Full URI when the stack's region is concrete, else `unresolved://sagemaker/<repository>:<tag>`. */
  readonly imageUri: string;
  /** The stack's region, when concrete. */
  readonly region?: string;
  /** The registry account of `region`, when concrete. */
  readonly registryId?: string;
  /** Repository, for example `sagemaker-scikit-learn`. */
  readonly repository: string;
  /** Tag, for example `1.2-1-cpu-py3`. */
  readonly tag: string;
  /** Registry account of every region that has the image (`sagemakerImageUri(spec, region)` builds a URI). */
  readonly registries: { readonly [region: string]: string };
  /** The framework's name, for framework images. */
  readonly framework?: string;
  /** The resolved version. */
  readonly version: string;
  readonly pythonVersion?: string;
}

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
