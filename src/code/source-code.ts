import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { sourceDirTarball } from './private/sourcedir';
import { grantReadPrefix } from '../private/grants';
import { isToken, Problems } from '../private/validation';

/** Options of {@link SourceCode.fromAsset}. */
export interface SourceCodeAssetOptions {
  /**
   * The script the framework container runs, relative to the directory
   * (`train.py`, `src/serve.py`). It must exist in the directory.
   */
  readonly entryPoint: string;
}

/** Where script-mode code is, once bound to a construct. @internal */
export interface BoundSourceCode {
  readonly entryPoint: string;
  /** `s3://bucket/key` of the `sourcedir.tar.gz` (may hold tokens). */
  readonly s3Uri: string;
  readonly bucket: s3.IBucket;
  readonly key: string;
  /** What the run spec holds: `file://asset...` for assets, else the `s3://` URI or `unresolved://...`. */
  readonly localUri: string;
  /** The object's last key segment: the file name in a `code` channel. */
  readonly fileName: string;
  /** For assets: the source directory. */
  readonly sourceDirectory?: string;
}

/**
 * The user's code for a SageMaker framework container ("script mode"): a
 * source directory and the entry point in it, shipped to the container as
 * `sourcedir.tar.gz`.
 */
export abstract class SourceCode {
  /**
   * A local source directory. At synth the library packs its CONTENTS into a
   * reproducible gzip tar (the same files give the same bytes and the same
   * asset hash), which `cdk deploy` uploads as a file asset and local mode
   * reads from the cloud assembly.
   */
  public static fromAsset(directory: string, options: SourceCodeAssetOptions): SourceCode {
    return new AssetSourceCode(directory, options.entryPoint);
  }

  /**
   * A `sourcedir.tar.gz` (a gzip tar of the source directory's contents)
   * already in a bucket.
   * @param bucket the bucket
   * @param key the object's key, for example `code/sourcedir.tar.gz`
   * @param entryPoint the script, relative to the archive's root
   */
  public static fromBucket(bucket: s3.IBucket, key: string, entryPoint: string): SourceCode {
    return new BucketSourceCode(bucket, key, entryPoint);
  }

  /** The script the container runs, relative to the source directory. */
  public abstract readonly entryPoint: string;

  /**
   * Stages the code for a construct and lets the grantee read it.
   * @internal
   */
  public abstract _bind(scope: Construct, grantee?: iam.IGrantable): BoundSourceCode;

  /**
   * Checks the code: an entry point that exists, a usable key.
   * @internal
   */
  public abstract _validate(problems: Problems, property: string): void;
}

function checkEntryPoint(problems: Problems, property: string, entryPoint: string): boolean {
  if (isToken(entryPoint)) return false;
  if (!entryPoint || entryPoint.startsWith('/') || entryPoint.split(/[\\/]/).includes('..')) {
    problems.add(`${property}.entryPoint`, entryPoint, 'a path relative to the source directory, without "..", for example "train.py"');
    return false;
  }
  return true;
}

class AssetSourceCode extends SourceCode {
  private readonly assets = new Map<Stack, s3_assets.Asset>();
  private tarball?: { file: string; hash: string };

  constructor(private readonly directory: string, public readonly entryPoint: string) {
    super();
  }

  public _validate(problems: Problems, property: string): void {
    const absolute = path.resolve(this.directory);
    if (!fs.existsSync(absolute) || !fs.statSync(absolute).isDirectory()) {
      problems.add(`${property} directory`, this.directory, `an existing directory (resolved to ${absolute})`);
      return;
    }
    if (checkEntryPoint(problems, property, this.entryPoint)) {
      const script = path.join(absolute, this.entryPoint);
      if (!fs.existsSync(script) || !fs.statSync(script).isFile()) {
        const scripts = fs.readdirSync(absolute).filter(f => /\.(py|sh)$/.test(f)).sort();
        problems.add(`${property}.entryPoint`, this.entryPoint,
          `a file in ${absolute}${scripts.length ? ` (it holds ${scripts.join(', ')})` : ' (it holds no .py or .sh file)'}`);
      }
    }
  }

  public _bind(scope: Construct, grantee?: iam.IGrantable): BoundSourceCode {
    const asset = this.asset(scope);
    if (grantee) grantReadPrefix(asset.bucket, grantee, asset.s3ObjectKey);
    return {
      entryPoint: this.entryPoint,
      s3Uri: asset.s3ObjectUrl,
      bucket: asset.bucket,
      key: asset.s3ObjectKey,
      localUri: `file://${asset.assetPath}`,
      fileName: asset.s3ObjectKey.split('/').pop()!,
      sourceDirectory: path.resolve(this.directory),
    };
  }

  /** One asset per stack; the tarball is made once. */
  private asset(scope: Construct): s3_assets.Asset {
    const stack = Stack.of(scope);
    let asset = this.assets.get(stack);
    if (!asset) {
      const { file, hash } = this.tarball ??= writeTarball(this.directory);
      asset = new s3_assets.Asset(scope, 'SourceCode', { path: file, assetHash: hash });
      this.assets.set(stack, asset);
    }
    return asset;
  }
}

/** Packs a directory into a temporary `sourcedir.tar.gz`, named after its hash so that equal contents share a file. */
function writeTarball(directory: string): { file: string; hash: string } {
  const bytes = sourceDirTarball(path.resolve(directory));
  const hash = createHash('sha256').update(bytes).digest('hex');
  const dir = path.join(os.tmpdir(), `byoa-sourcedir-${hash}`);
  const file = path.join(dir, 'sourcedir.tar.gz');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, bytes);
    fs.renameSync(partial, file);
  }
  return { file, hash };
}

class BucketSourceCode extends SourceCode {
  constructor(private readonly bucket: s3.IBucket, private readonly key: string, public readonly entryPoint: string) {
    super();
  }

  public _validate(problems: Problems, property: string): void {
    checkEntryPoint(problems, property, this.entryPoint);
    if (!isToken(this.key) && (!this.key || this.key.startsWith('/') || this.key.endsWith('/'))) {
      problems.add(`${property} key`, this.key, 'the key of a gzip tar object, without a leading "/" and not ending in "/" (for example "code/sourcedir.tar.gz")');
    }
  }

  public _bind(scope: Construct, grantee?: iam.IGrantable): BoundSourceCode {
    if (grantee) grantReadPrefix(this.bucket, grantee, this.key);
    const s3Uri = `s3://${this.bucket.bucketName}/${this.key}`;
    const resolved = Stack.of(scope).resolve(s3Uri);
    return {
      entryPoint: this.entryPoint,
      s3Uri,
      bucket: this.bucket,
      key: this.key,
      localUri: typeof resolved === 'string' && !Token.isUnresolved(resolved) ? resolved : `unresolved://${this.bucket.node.path}/${this.key}`,
      fileName: Token.isUnresolved(this.key) ? 'sourcedir.tar.gz' : this.key.split('/').pop()!,
    };
  }
}
