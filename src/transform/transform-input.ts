import * as s3 from 'aws-cdk-lib/aws-s3';
import { assetDataSource, bucketDataSource, DataSource } from '../private/data-location';

/**
 * The input of a batch transform job: a local file or directory (uploaded by
 * `cdk deploy`, read in place by local mode) or a prefix in a bucket.
 */
export class TransformInput {
  /**
   * Data from a local file or directory. Each file gives one
   * `<relative path>.out` in the transform output.
   */
  public static fromAsset(path: string): TransformInput {
    return new TransformInput(assetDataSource(path));
  }

  /**
   * Every object under `keyPrefix` in `bucket` (an `S3Prefix` data source).
   * @param keyPrefix key prefix, for example `batch/2024-06/` (no leading slash)
   */
  public static fromBucket(bucket: s3.IBucket, keyPrefix: string): TransformInput {
    return new TransformInput(bucketDataSource(bucket, keyPrefix));
  }

  private constructor(
    /** @internal */
    public readonly _source: DataSource,
  ) {}
}
