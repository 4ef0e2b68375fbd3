import * as path from 'path';
import { Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecr_assets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ImageSpec } from '../private/run-spec';

/**
 * Options for building an algorithm image from a Dockerfile.
 */
export interface AlgorithmImageAssetOptions {
  /**
   * Dockerfile name, relative to the build directory.
   * @default 'Dockerfile'
   */
  readonly file?: string;
  /**
   * Build arguments (`--build-arg`).
   * @default - none
   */
  readonly buildArgs?: { [name: string]: string };
  /**
   * Multi-stage build target (`--target`).
   * @default - the last stage
   */
  readonly target?: string;
  /**
   * Platform to build for. SageMaker runs `linux/amd64` images on every
   * instance type except Graviton ones.
   * @default Platform.LINUX_AMD64
   */
  readonly platform?: ecr_assets.Platform;
  /**
   * Glob patterns of files to leave out of the build context.
   * @default - the `.dockerignore` file, if any
   */
  readonly exclude?: string[];
}

/**
 * What an {@link AlgorithmImage} resolves to once bound to a construct.
 */
export interface AlgorithmImageConfig {
  /** The image URI to give SageMaker (`AlgorithmSpecification.TrainingImage`, `PrimaryContainer.Image`). */
  readonly imageUri: string;
}

/**
 * The Docker image of a "bring your own algorithm" container: built from a
 * Dockerfile at synth/deploy time, or taken from an existing ECR repository.
 */
export abstract class AlgorithmImage {
  /**
   * Build the image from a directory that holds a Dockerfile. The image is
   * built by `cdk deploy` (with a `DockerImageAsset`) and, in local mode, by
   * the local runner from the staged copy in the cloud assembly.
   */
  public static fromAsset(directory: string, options: AlgorithmImageAssetOptions = {}): AlgorithmImage {
    return new AssetImage(directory, options);
  }

  /**
   * Use an image that already exists in an ECR repository.
   * @param repository the repository
   * @param tagOrDigest a tag (`latest`) or a digest (`sha256:...`)
   */
  public static fromEcrRepository(repository: ecr.IRepository, tagOrDigest: string = 'latest'): AlgorithmImage {
    return new RepositoryImage(repository, tagOrDigest);
  }

  /**
   * Resolves the image for a construct and, when a grantee is given, lets it
   * pull the image (that repository only).
   */
  public abstract bind(scope: Construct, grantee?: iam.IGrantable): AlgorithmImageConfig;

  /**
   * How local mode gets this image.
   * @internal
   */
  public abstract _runSpec(scope: Construct): ImageSpec;
}

class AssetImage extends AlgorithmImage {
  private readonly assets = new Map<Construct, ecr_assets.DockerImageAsset>();

  constructor(private readonly directory: string, private readonly options: AlgorithmImageAssetOptions) {
    super();
  }

  public bind(scope: Construct, grantee?: iam.IGrantable): AlgorithmImageConfig {
    const asset = this.asset(scope);
    if (grantee) {
      asset.repository.grantPull(grantee);
    }
    return { imageUri: asset.imageUri };
  }

  public _runSpec(scope: Construct): ImageSpec {
    const asset = this.asset(scope);
    return {
      kind: 'asset',
      directory: `asset.${asset.assetHash}`,
      sourceDirectory: path.resolve(this.directory),
      file: this.options.file,
      buildArgs: this.options.buildArgs,
      target: this.options.target,
      platform: (this.options.platform ?? ecr_assets.Platform.LINUX_AMD64).platform,
    };
  }

  /** One asset per stack that uses this image. */
  private asset(scope: Construct): ecr_assets.DockerImageAsset {
    const stack = Stack.of(scope);
    let asset = this.assets.get(stack);
    if (!asset) {
      asset = new ecr_assets.DockerImageAsset(scope, 'AlgorithmImage', {
        directory: this.directory,
        file: this.options.file,
        buildArgs: this.options.buildArgs,
        target: this.options.target,
        exclude: this.options.exclude,
        platform: this.options.platform ?? ecr_assets.Platform.LINUX_AMD64,
      });
      this.assets.set(stack, asset);
    }
    return asset;
  }
}

class RepositoryImage extends AlgorithmImage {
  constructor(private readonly repository: ecr.IRepository, private readonly tagOrDigest: string) {
    super();
  }

  public bind(_scope: Construct, grantee?: iam.IGrantable): AlgorithmImageConfig {
    if (grantee) {
      this.repository.grantPull(grantee);
    }
    return { imageUri: this.imageUri() };
  }

  public _runSpec(_scope: Construct): ImageSpec {
    // repositoryUriForTag() always holds the AWS::URLSuffix token, so the URI
    // is built here from its parts when they are all concrete.
    const account = this.repository.env.account;
    const region = this.repository.env.region;
    const name = this.repository.repositoryName;
    if ([account, region, name, this.tagOrDigest].some(v => Token.isUnresolved(v))) {
      return { kind: 'repository', imageUri: `unresolved://${this.repository.node.path}` };
    }
    const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    const reference = this.tagOrDigest.startsWith('sha256:') ? `@${this.tagOrDigest}` : `:${this.tagOrDigest}`;
    return {
      kind: 'repository',
      imageUri: `${account}.dkr.ecr.${region}.${suffix}/${name}${reference}`,
      registryId: account,
      region,
    };
  }

  private imageUri(): string {
    if (!Token.isUnresolved(this.tagOrDigest) && this.tagOrDigest.startsWith('sha256:')) {
      return this.repository.repositoryUriForDigest(this.tagOrDigest);
    }
    return this.repository.repositoryUriForTag(this.tagOrDigest);
  }
}
