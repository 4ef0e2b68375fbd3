import * as fs from 'fs';
import * as path from 'path';
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { ByoaValidationError } from './errors';
import { grantReadPrefix } from './grants';
import { suppressNagOnCdkSingleton } from './nag';

/** Where the data of a channel or a transform input lives, for each backend. */
export interface BoundDataLocation {
  /** The `s3://` URI SageMaker reads (may contain tokens). */
  readonly s3Uri: string;
  /**
   * The location local mode reads: `file://asset.<hash>` (relative to the
   * cloud assembly) for assets, the `s3://` URI for buckets whose name is
   * known at synth, else `unresolved://<construct path>`.
   */
  readonly localUri: string;
}

export interface DataBindOptions {
  /** Granted read access to the data. */
  readonly grantee?: iam.IGrantable;
  /** Bucket into which asset data is extracted for SageMaker. */
  readonly stagingBucket?: s3.IBucket;
  /** Key prefix under `stagingBucket` for extracted data. */
  readonly stagingPrefix?: string;
  /** In local mode nothing is deployed: only the asset is staged. */
  readonly localMode: boolean;
}

/**
 * Data from a local file or directory. CDK uploads a directory asset as ONE
 * zip object, which SageMaker would hand to the container as a zip file, so
 * the asset is extracted into the staging bucket by a `BucketDeployment`
 * under a prefix named after the asset hash (a new hash, a new prefix).
 */
export function bindAssetData(scope: Construct, id: string, assetPath: string, options: DataBindOptions): BoundDataLocation {
  const absolute = path.resolve(assetPath);
  if (!fs.existsSync(absolute)) {
    throw new ByoaValidationError(scope.node.path,
      [`input asset path: ${JSON.stringify(assetPath)} does not exist (resolved to ${absolute}); allowed: an existing file or directory`]);
  }
  const isFile = fs.statSync(absolute).isFile();
  const asset = new s3_assets.Asset(scope, `${id}Asset`, isFile
    ? { path: path.dirname(absolute), exclude: ['*', `!${path.basename(absolute)}`] }
    : { path: absolute });
  const localUri = `file://asset.${asset.assetHash}`;
  if (options.localMode) {
    return { s3Uri: localUri, localUri };
  }
  if (!options.stagingBucket) {
    throw new ByoaValidationError(scope.node.path, ['stagingBucket: an asset input needs a bucket to be extracted into; give one']);
  }
  const prefix = `${options.stagingPrefix ?? 'inputs/'}${asset.assetHash}/`;
  new s3deploy.BucketDeployment(scope, `${id}Deployment`, {
    sources: [s3deploy.Source.bucket(asset.bucket, asset.s3ObjectKey)],
    destinationBucket: options.stagingBucket,
    destinationKeyPrefix: prefix,
    extract: true,
    prune: false,
    retainOnDelete: false,
  });
  suppressNagOnCdkSingleton(scope, 'Custom::CDKBucketDeployment', 'BucketDeployment');
  if (options.grantee) {
    grantReadPrefix(options.stagingBucket, options.grantee, prefix);
  }
  return { s3Uri: `s3://${options.stagingBucket.bucketName}/${prefix}`, localUri };
}

/** Data already in a bucket. */
export function bindBucketData(scope: Construct, bucket: s3.IBucket, keyPrefix: string, options: DataBindOptions): BoundDataLocation {
  if (options.grantee && !options.localMode) {
    grantReadPrefix(bucket, options.grantee, keyPrefix);
  }
  const s3Uri = `s3://${bucket.bucketName}/${keyPrefix}`;
  const resolved = Stack.of(scope).resolve(s3Uri);
  const localUri = typeof resolved === 'string' && !Token.isUnresolved(resolved)
    ? resolved
    : `unresolved://${bucket.node.path}/${keyPrefix}`;
  return { s3Uri, localUri };
}

/** A data location before it is bound: the shared implementation of `TrainingInput` and `TransformInput`. */
export interface DataSource {
  /** The key prefix of a bucket location, for validation; undefined for assets. */
  readonly keyPrefix?: string;
  bind(scope: Construct, id: string, options: DataBindOptions): BoundDataLocation;
}

export function assetDataSource(assetPath: string): DataSource {
  return { bind: (scope, id, options) => bindAssetData(scope, id, assetPath, options) };
}

export function bucketDataSource(bucket: s3.IBucket, keyPrefix: string): DataSource {
  return { keyPrefix, bind: (scope, _id, options) => bindBucketData(scope, bucket, keyPrefix, options) };
}
