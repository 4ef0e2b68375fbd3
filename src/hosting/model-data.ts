import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { ByoaValidationError } from '../private/errors';

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

/** Lets `grantee` read that one object (not list the bucket). */
function grantReadObject(bucket: s3.IBucket, objectKey: string, grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(objectKey)] }));
  bucket.encryptionKey?.grantDecrypt(grantee);
}

class BucketModelData extends ModelData {
  constructor(private readonly bucket: s3.IBucket, private readonly objectKey: string) { super(); }
  public bind(_scope: Construct, grantee: iam.IGrantable): ModelDataConfig {
    grantReadObject(this.bucket, this.objectKey, grantee);
    return { uri: `s3://${this.bucket.bucketName}/${this.objectKey}` };
  }
}

class AssetModelData extends ModelData {
  private readonly assets = new Map<Stack, s3_assets.Asset>();
  constructor(private readonly filePath: string) { super(); }
  public bind(scope: Construct, grantee: iam.IGrantable): ModelDataConfig {
    if (!this.filePath.endsWith('.tar.gz')) {
      throw new ByoaValidationError(scope.node.path, [`ModelData.fromAsset path: ${JSON.stringify(this.filePath)} is not valid; allowed: a .tar.gz archive`]);
    }
    // One asset per stack, so that using it in two stacks makes no cross-stack reference.
    const stack = Stack.of(scope);
    let asset = this.assets.get(stack);
    if (!asset) {
      asset = new s3_assets.Asset(scope, 'ModelData', { path: path.resolve(this.filePath) });
      this.assets.set(stack, asset);
    }
    grantReadObject(asset.bucket, asset.s3ObjectKey, grantee);
    return { uri: asset.s3ObjectUrl };
  }
}
