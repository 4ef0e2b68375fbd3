import { Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SourceCode } from '../code/source-code';
import { InstanceType } from '../instance-type';
import { CompressionType, InputMode, RecordWrapperType, S3DataDistribution, S3DataType } from './enums';
import { TrainingInput } from './training-input';

/**
 * One input channel of a training job: `/opt/ml/input/data/<channelName>/`.
 */
export interface TrainingChannel {
  /** Channel name: 1-64 characters `[A-Za-z0-9\.\-_]+`, unique in the job. */
  readonly channelName: string;
  /** Where the channel's data comes from. */
  readonly input: TrainingInput;
  /**
   * MIME type of the data, passed to the container in `inputdataconfig.json`.
   * @default - not set
   */
  readonly contentType?: string;
  /**
   * Compression of the objects.
   * @default CompressionType.NONE
   */
  readonly compressionType?: CompressionType;
  /**
   * Input mode of this channel.
   * @default - the job's `inputMode`
   */
  readonly inputMode?: InputMode;
  /**
   * Distribution of the objects over the instances.
   * @default S3DataDistribution.FULLY_REPLICATED
   */
  readonly s3DataDistributionType?: S3DataDistribution;
  /**
   * Record wrapping.
   * @default RecordWrapperType.NONE
   */
  readonly recordWrapperType?: RecordWrapperType;
  /**
   * What the location names.
   * @default S3DataType.S3_PREFIX
   */
  readonly s3DataType?: S3DataType;
}

/**
 * A regular expression SageMaker applies to the algorithm's log lines: the
 * first (and only) capture group is read as the metric's value.
 */
export interface MetricDefinition {
  /** Metric name, 1-255 characters, for example `train:accuracy`. */
  readonly name: string;
  /** Regex, 1-500 characters, with exactly one capture group, for example `accuracy=([0-9\\.]+)`. */
  readonly regex: string;
}

/** Where training checkpoints are synchronised. */
export interface CheckpointLocation {
  /** The bucket. */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix in the bucket.
   * @default 'checkpoints/'
   */
  readonly keyPrefix?: string;
  /**
   * Path in the container that is synchronised.
   * @default '/opt/ml/checkpoints'
   */
  readonly localPath?: string;
}

/**
 * The training job of a pipeline: the `CreateTrainingJob` request it sends,
 * validated at synth time against SageMaker's limits.
 */
export interface TrainingProps {
  /** Input channels, 1 to 20, names unique. */
  readonly channels: TrainingChannel[];
  /**
   * Script mode: the code a SageMaker framework container runs
   * (`AlgorithmImage.fromFramework`, or an image that extends one). The
   * request then gets the SDK's `sagemaker_program`,
   * `sagemaker_submit_directory`, `sagemaker_container_log_level`,
   * `sagemaker_job_name` and `sagemaker_region` hyperparameters (TensorFlow
   * also `model_dir`), and every hyperparameter is JSON-encoded as the SDK
   * sends it (`"gini"` arrives as `"\"gini\""`). With
   * `enableNetworkIsolation`, the code goes in as a channel named `code`.
   * @default - no code: the image runs on its own
   */
  readonly code?: SourceCode;
  /**
   * Hyperparameters. Values may be strings, numbers or booleans; SageMaker
   * only takes strings, so they are rendered once, in one place, for the cloud
   * request and for local mode alike: strings as they are, numbers with
   * JavaScript's `String(n)` (`5` becomes `"5"`, `0.1` becomes `"0.1"`),
   * booleans as `"true"` / `"false"`. At most 100 entries, keys up to 256
   * characters, values up to 2500 characters.
   * @default - none
   */
  readonly hyperparameters?: { [name: string]: any };
  /**
   * Metrics to read from the algorithm's log lines (at most 40).
   * @default - none
   */
  readonly metricDefinitions?: MetricDefinition[];
  /**
   * Instance type, from SageMaker's training list.
   * @default InstanceType.ML_M5_LARGE
   */
  readonly instanceType?: InstanceType;
  /**
   * Number of instances (`algo-1` .. `algo-N`).
   * @default 1
   */
  readonly instanceCount?: number;
  /**
   * Size of the ML storage volume attached to each instance.
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;
  /**
   * How long the job may run before SageMaker stops it (1 second to 28 days).
   * @default Duration.days(1)
   */
  readonly maxRuntime?: Duration;
  /**
   * Default input mode of the channels.
   * @default InputMode.FILE
   */
  readonly inputMode?: InputMode;
  /**
   * Environment variables of the training container (at most 100; keys
   * `[a-zA-Z_][a-zA-Z0-9_]*` up to 512 characters, values up to 512).
   * @default - none
   */
  readonly environment?: { [name: string]: string };
  /**
   * Replaces the image's entrypoint (1-100 strings).
   * @default - the image's entrypoint
   */
  readonly containerEntrypoint?: string[];
  /**
   * Replaces the `train` argument (1-100 strings).
   * @default - `train`
   */
  readonly containerArguments?: string[];
  /**
   * Runs the container without network access.
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;
  /**
   * Encrypts traffic between the instances of a multi-instance job.
   * @default false
   */
  readonly enableInterContainerTrafficEncryption?: boolean;
  /**
   * VPC to run the job in. Needed for `vpcSubnets` and `securityGroups`.
   * @default - no VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of the VPC (1 to 16).
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups (1 to 5).
   * @default - one security group is created when a VPC is given
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Uses managed spot instances.
   * @default false
   */
  readonly useSpotInstances?: boolean;
  /**
   * With spot instances: how long to wait for capacity and run, at least `maxRuntime`.
   * @default - `maxRuntime` when spot instances are used
   */
  readonly maxWait?: Duration;
  /**
   * Where checkpoints are synchronised.
   * @default - no checkpoints
   */
  readonly checkpoint?: CheckpointLocation;
  /**
   * KMS key that encrypts the training volumes.
   * @default - AWS managed encryption
   */
  readonly volumeEncryptionKey?: kms.IKey;
  /**
   * KMS key that encrypts the model artifacts written to S3.
   * @default - the pipeline's output encryption
   */
  readonly outputEncryptionKey?: kms.IKey;
  /**
   * Adds the training toolkit's `SM_*` variables (`SM_MODEL_DIR`,
   * `SM_CHANNELS`, `SM_CHANNEL_<NAME>`, `SM_HPS`, `SM_HP_<NAME>`, `SM_HOSTS`,
   * ...) to the job's `Environment`, for script-style containers that expect
   * them. SageMaker itself sets none of them. They are set identically in the
   * cloud request and in local mode.
   * @default false
   */
  readonly smEnvironment?: boolean;
}
