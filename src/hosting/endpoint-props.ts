import { Duration, Size } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { InstanceType } from '../instance-type';

/** One production variant of an endpoint. */
export interface ProductionVariantProps {
  /**
   * Variant name (1-63 characters `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`).
   * @default 'AllTraffic' for the first variant, `Variant<N>` for the others
   */
  readonly variantName?: string;
  /**
   * Instance type, from SageMaker's hosting list.
   * @default InstanceType.ML_M5_LARGE
   */
  readonly instanceType?: InstanceType;
  /**
   * Instances at creation, at least 1.
   * @default 1
   */
  readonly initialInstanceCount?: number;
  /**
   * Share of the traffic, relative to the other variants' weights (>= 0).
   * @default 1
   */
  readonly initialVariantWeight?: number;
  /**
   * Storage volume per instance, a whole number of GiB from 1 to 512
   * (SageMaker's `VolumeSizeInGB`).
   * @default - SageMaker's default for the instance type
   */
  readonly volumeSize?: Size;
  /**
   * Time allowed to download the model, 60 to 3600 seconds.
   * @default - SageMaker's default
   */
  readonly modelDataDownloadTimeout?: Duration;
  /**
   * Time allowed for the container to answer `/ping`, 60 to 3600 seconds.
   * @default - SageMaker's default
   */
  readonly containerStartupHealthCheckTimeout?: Duration;
}

/** A serverless endpoint's capacity. */
export interface ServerlessProps {
  /** Memory, 1024 to 6144 MB in steps of 1024. */
  readonly memorySizeInMB: number;
  /** Concurrent invocations, 1 to 200. */
  readonly maxConcurrency: number;
}

/**
 * The real-time endpoint of a pipeline: one or more production variants of
 * the trained model, or a serverless configuration.
 */
export interface EndpointProps {
  /**
   * Endpoint name (1-63 characters). The pipeline creates the endpoint on its
   * first execution and updates it on the next ones.
   * @default - derived from the pipeline's construct path
   */
  readonly endpointName?: string;
  /**
   * Instance type of a single variant (ignored when `variants` or `serverless` is given).
   * @default InstanceType.ML_M5_LARGE
   */
  readonly instanceType?: InstanceType;
  /**
   * Instance count of a single variant (ignored when `variants` or `serverless` is given).
   * @default 1
   */
  readonly initialInstanceCount?: number;
  /**
   * Production variants (1 to 10), each a share of the traffic.
   * @default - one variant from `instanceType` and `initialInstanceCount`
   */
  readonly variants?: ProductionVariantProps[];
  /**
   * Serverless capacity instead of instances.
   * @default - instance-backed variants
   */
  readonly serverless?: ServerlessProps;
  /**
   * KMS key that encrypts the endpoint instances' storage volumes.
   * @default - AWS managed encryption
   */
  readonly encryptionKey?: kms.IKey;
}
