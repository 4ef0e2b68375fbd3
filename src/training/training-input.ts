import * as s3 from 'aws-cdk-lib/aws-s3';
import { assetDataSource, bucketDataSource, DataSource } from '../private/data-location';

/**
 * The data of one training channel: a local file or directory (uploaded by
 * `cdk deploy`, read in place by local mode) or a prefix in a bucket.
 */
export class TrainingInput {
  /**
   * Data from a local file or directory. The files appear under
   * `/opt/ml/input/data/<channel>/` with their relative paths.
   */
  public static fromAsset(path: string): TrainingInput {
    return new TrainingInput(assetDataSource(path));
  }

  /**
   * Every object under `keyPrefix` in `bucket` (an `S3Prefix` data source).
   * @param keyPrefix key prefix, for example `datasets/iris/` (no leading slash)
   */
  public static fromBucket(bucket: s3.IBucket, keyPrefix: string): TrainingInput {
    return new TrainingInput(bucketDataSource(bucket, keyPrefix));
  }

  private constructor(
    /** @internal */
    public readonly _source: DataSource,
  ) {}
}
