import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { InstanceType } from '../instance-type';
import { AssembleWith, BatchStrategy, JoinSource, SplitType } from './enums';
import { TransformInput } from './transform-input';
import { CompressionType, S3DataType } from '../training/enums';

/**
 * The batch transform job of a pipeline: the `CreateTransformJob` request it
 * sends with the trained model, validated at synth time.
 */
export interface BatchTransformProps {
  /** The data to transform. */
  readonly input: TransformInput;
  /**
   * MIME type sent as each request's `Content-Type`.
   * @default - not set
   */
  readonly contentType?: string;
  /**
   * Compression of the input objects.
   * @default CompressionType.NONE
   */
  readonly compressionType?: CompressionType;
  /**
   * What the input location names.
   * @default S3DataType.S3_PREFIX
   */
  readonly s3DataType?: S3DataType;
  /**
   * How input files are cut into records.
   * @default SplitType.NONE
   */
  readonly splitType?: SplitType;
  /**
   * Records per request; needs a `splitType` other than NONE.
   * @default - the container's `/execution-parameters`, else MultiRecord
   */
  readonly batchStrategy?: BatchStrategy;
  /**
   * Largest request payload in MB, 0 to 100 (0: no limit, chunked).
   * `maxPayloadInMB x maxConcurrentTransforms` must be at most 100.
   * @default - the container's `/execution-parameters`, else 6
   */
  readonly maxPayloadInMB?: number;
  /**
   * Requests in flight per instance.
   * @default - the container's `/execution-parameters`, else 1
   */
  readonly maxConcurrentTransforms?: number;
  /**
   * How responses are assembled into each `.out` file.
   * @default AssembleWith.NONE
   */
  readonly assembleWith?: AssembleWith;
  /**
   * MIME type sent as each request's `Accept`.
   * @default - not set
   */
  readonly accept?: string;
  /**
   * KMS key that encrypts the transform output in S3.
   * @default - the pipeline's output encryption
   */
  readonly outputEncryptionKey?: kms.IKey;
  /**
   * KMS key for the transform instances' volumes.
   * @default - AWS managed encryption
   */
  readonly volumeEncryptionKey?: kms.IKey;
  /**
   * JSONPath (at most 63 characters) applied to each input record before it
   * is sent, for example `$[1:4]` (columns 1 to 4, inclusive).
   * @default '$'
   */
  readonly inputFilter?: string;
  /**
   * Joins the input record with the output.
   * @default JoinSource.NONE
   */
  readonly joinSource?: JoinSource;
  /**
   * JSONPath (at most 63 characters) applied to the joined record.
   * @default '$'
   */
  readonly outputFilter?: string;
  /**
   * Timeout of each invocation, 1 second to 1 hour.
   * @default Duration.minutes(10)
   */
  readonly invocationsTimeout?: Duration;
  /**
   * Retries of a failed invocation, 0 to 3.
   * @default 3
   */
  readonly invocationsMaxRetries?: number;
  /**
   * Environment variables of the container (at most 16; keys
   * `[a-zA-Z_][a-zA-Z0-9_]{0,1023}`, values up to 10240 characters).
   * @default - none
   */
  readonly environment?: { [name: string]: string };
  /**
   * Instance type, from SageMaker's transform list.
   * @default InstanceType.ML_M5_LARGE
   */
  readonly instanceType?: InstanceType;
  /**
   * Number of instances.
   * @default 1
   */
  readonly instanceCount?: number;
}
