import * as path from 'path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

/** What a {@link ModelData} resolves to once bound. */
export interface ModelDataConfig {
  /** The `s3://` URI of the `model.tar.gz` archive. */
  readonly uri: string;
}

/**
 * A trained model artifact (`model.tar.gz`): in a bucket, or a local file
 * uploaded as an asset.
 */
export abstract class ModelData {
  /** An archive already in S3. */
  public static fromBucket(bucket: s3.IBucket, objectKey: string): ModelData {
    return new BucketModelData(bucket, objectKey);
  }

  /** A local `model.tar.gz`, uploaded by `cdk deploy`. */
  public static fromAsset(filePath: string): ModelData {
    return new AssetModelData(filePath);
  }

  /** Resolves the archive's URI and lets `grantee` read it. */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): ModelDataConfig;
}

class BucketModelData extends ModelData {
  constructor(private readonly bucket: s3.IBucket, private readonly objectKey: string) { super(); }
  public bind(_scope: Construct, grantee: iam.IGrantable): ModelDataConfig {
    this.bucket.grantRead(grantee, this.objectKey);
    return { uri: `s3://${this.bucket.bucketName}/${this.objectKey}` };
  }
}

class AssetModelData extends ModelData {
  private asset?: s3_assets.Asset;
  constructor(private readonly filePath: string) { super(); }
  public bind(scope: Construct, grantee: iam.IGrantable): ModelDataConfig {
    if (!this.filePath.endsWith('.tar.gz')) {
      throw new Error(`${scope.node.path}: ModelData.fromAsset needs a .tar.gz archive, got ${JSON.stringify(this.filePath)}`);
    }
    this.asset ??= new s3_assets.Asset(scope, 'ModelData', { path: path.resolve(this.filePath) });
    this.asset.grantRead(grantee);
    return { uri: this.asset.s3ObjectUrl };
  }
}
