import { createHash } from 'crypto';
import * as path from 'path';
import { Aws, CfnMapping, Fn, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecr_assets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BuiltInAlgorithm } from './built-in-algorithm';
import { Framework, FrameworkImageOptions, ImageUse } from './framework';
import { InstanceType } from '../instance-type';
import {
  imageRef, ImageLookupError, ImageUseCheck, ImageUseName, literalImageUri, processorOf, processorsOf, regionsOf,
  resolveVersion, ResolvedVersion, SageMakerImageRef,
} from './private/image-uri';
import { ByoaValidationError } from '../private/errors';
import { ImageSpec } from '../private/run-spec';
import { Problems } from '../private/validation';

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
  /**
   * The SageMaker framework whose image the Dockerfile extends (`FROM <framework image URI>`):
   * script mode then behaves as for that framework (the model repack of
   * PyTorch and MXNet, TensorFlow's `model_dir`).
   * @default - not a framework image
   */
  readonly framework?: Framework;
}

/** Options of {@link AlgorithmImage.bind}. */
export interface AlgorithmImageBindOptions {
  /**
   * Which image: the training job's, or the model's (endpoints and batch
   * transform). Only SageMaker framework images differ by use.
   * @default ImageUse.TRAINING
   */
  readonly use?: ImageUse;
  /**
   * The instance type the image runs on: SageMaker framework images have
   * one image per processor (`cpu`, `gpu`, `inf`, `trn`).
   * @default - a CPU instance type
   */
  readonly instanceType?: InstanceType;
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
   * SageMaker's prebuilt container of a framework (scikit-learn, XGBoost,
   * PyTorch, TensorFlow, MXNet) that runs the user's script: give the
   * pipeline's `training.code`. The region's registry is chosen at synth
   * (concrete region) or at deploy time (environment-agnostic stack: a
   * `CfnMapping` of the regions that have the image and `AWS::URLSuffix`);
   * the processor (`cpu`, `gpu`, ...) follows each use's instance type; for
   * PyTorch, TensorFlow and MXNet the model gets the `*-inference` image.
   *
   * An unknown version or Python version throws a validation error here,
   * naming the allowed ones; a region without the image, an instance type the
   * version has no image for, or scikit-learn on more than one instance fail
   * the pipeline's validation.
   *
   * @param framework the framework
   * @param version a version or alias from the image table (`1.2-1`, `2.19` for `2.19.0`)
   */
  public static fromFramework(framework: Framework, version: string, options: FrameworkImageOptions = {}): AlgorithmImage {
    return new SageMakerImage(framework.name, `AlgorithmImage.fromFramework(Framework.${framework.name.toUpperCase()})`,
      version, options.pythonVersion, framework, framework._versionFilter);
  }

  /**
   * The image of one of SageMaker's built-in algorithms (linear-learner,
   * kmeans, XGBoost in algorithm mode, ...): train it with hyperparameters
   * and channels; the same image serves the model. Region rules as for
   * {@link fromFramework}.
   * @param algorithm the algorithm
   * @param version a version from the image table
   * @default version - the newest version listed (`1` for most algorithms)
   */
  public static fromBuiltInAlgorithm(algorithm: BuiltInAlgorithm, version?: string): AlgorithmImage {
    return new SageMakerImage(algorithm.name, `AlgorithmImage.fromBuiltInAlgorithm(${algorithm.name})`,
      version ?? algorithm.defaultVersion, undefined, undefined, () => true);
  }

  /**
   * Resolves the image for a construct and, when a grantee is given, lets it
   * pull the image (that repository only). SageMaker's framework images
   * resolve per use and instance type (`options`).
   */
  public abstract bind(scope: Construct, grantee?: iam.IGrantable, options?: AlgorithmImageBindOptions): AlgorithmImageConfig;

  /**
   * How local mode gets this image.
   * @internal
   */
  public abstract _runSpec(scope: Construct, options?: AlgorithmImageBindOptions): ImageSpec;

  /**
   * The framework whose script-mode contract the image implements.
   * @internal
   */
  public get _framework(): Framework | undefined {
    return undefined;
  }

  /**
   * Whether this is a built-in algorithm's image (no user code).
   * @internal
   */
  public get _builtInAlgorithm(): boolean {
    return false;
  }

  /**
   * Checks the image against where it runs.
   * @internal
   */
  public _validate(_problems: Problems, _region: string | undefined, _uses: ImageUseCheck[]): void {
    // Images built or taken from a repository run anywhere.
  }

  /**
   * The processors the image has one image each for (none: one image for every instance type).
   * @internal
   */
  public _processors(_use: ImageUseName): readonly string[] {
    return [];
  }
}

class AssetImage extends AlgorithmImage {
  private readonly assets = new Map<Construct, ecr_assets.DockerImageAsset>();

  constructor(private readonly directory: string, private readonly options: AlgorithmImageAssetOptions) {
    super();
  }

  public get _framework(): Framework | undefined {
    return this.options.framework;
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

/** Registry account per region, the shape of the `CfnMapping` of an environment-agnostic stack. */
const ACCOUNT_KEY = 'account';
const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'];

/** A SageMaker framework or built-in algorithm image from the image table. */
class SageMakerImage extends AlgorithmImage {
  private readonly trainingVersion: ResolvedVersion;

  constructor(
    private readonly name: string,
    private readonly label: string,
    private readonly version: string,
    private readonly pythonVersion: string | undefined,
    private readonly framework: Framework | undefined,
    private readonly versionFilter: (v: string) => boolean,
  ) {
    super();
    try {
      this.trainingVersion = resolveVersion(name, 'training', version, pythonVersion, label, versionFilter);
    } catch (e) {
      if (e instanceof ImageLookupError) throw new ByoaValidationError(label, [e.message]);
      throw e;
    }
  }

  public get _framework(): Framework | undefined {
    return this.framework;
  }

  public get _builtInAlgorithm(): boolean {
    return this.framework === undefined;
  }

  public bind(scope: Construct, grantee?: iam.IGrantable, options: AlgorithmImageBindOptions = {}): AlgorithmImageConfig {
    const ref = this.refOrThrow(scope, options);
    const stack = Stack.of(scope);
    const region = stack.region;
    let imageUri: string;
    let account: string;
    if (!Token.isUnresolved(region)) {
      const uri = literalImageUri(ref, region);
      if (!uri) {
        throw new ByoaValidationError(scope.node.path, [regionProblem(ref, region)]);
      }
      imageUri = uri;
      account = ref.registries[region];
    } else {
      const mapping = registryMapping(stack, ref);
      account = mapping.findInMap(Aws.REGION, ACCOUNT_KEY);
      imageUri = Fn.join('', [account, '.dkr.ecr.', Aws.REGION, '.', Aws.URL_SUFFIX, `/${ref.repository}:${ref.tag}`]);
    }
    if (grantee) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: PULL_ACTIONS,
        resourceArns: [stack.formatArn({ service: 'ecr', account, resource: 'repository', resourceName: ref.repository })],
      });
      iam.Grant.addToPrincipal({ grantee, actions: ['ecr:GetAuthorizationToken'], resourceArns: ['*'] });
    }
    return { imageUri };
  }

  public _runSpec(scope: Construct, options: AlgorithmImageBindOptions = {}): ImageSpec {
    const ref = this.refOrThrow(scope, options);
    const region = Stack.of(scope).region;
    const concrete = Token.isUnresolved(region) ? undefined : region;
    const uri = concrete ? literalImageUri(ref, concrete) : undefined;
    return {
      kind: 'sagemaker',
      imageUri: uri ?? `unresolved://sagemaker/${ref.repository}:${ref.tag}`,
      region: uri ? concrete : undefined,
      registryId: uri ? ref.registries[concrete!] : undefined,
      repository: ref.repository,
      tag: ref.tag,
      registries: { ...ref.registries },
      framework: this.framework?.name,
      version: this.trainingVersion.version,
      pythonVersion: this.trainingVersion.pyVersion,
    };
  }

  public _validate(problems: Problems, region: string | undefined, uses: ImageUseCheck[]): void {
    const seen = new Set<string>();
    for (const check of uses) {
      let resolved: ResolvedVersion;
      try {
        resolved = this.resolved(check.use);
      } catch (e) {
        if (!(e instanceof ImageLookupError)) throw e;
        problems.addMessage(`${this.label} (model image)`, `${e.message.replace(/^[^:]*: /, '')}; or set inferenceImage to an image that has one`);
        continue;
      }
      const count = check.instanceCount;
      if (count !== undefined && this.framework?._traits.singleInstance && !Token.isUnresolved(count) && count > 1) {
        problems.add(check.property.replace(/instanceType$/, 'instanceCount'), count, `1: ${this.framework.name} trains on one instance only`);
      }
      if (Token.isUnresolved(check.instanceType)) continue;
      const processor = processorOf(check.instanceType);
      const ref = imageRef(resolved, processor);
      if (!ref) {
        problems.add(check.property, check.instanceType,
          `an instance type with a ${processorsOf(resolved).join(' or ')} processor: ${this.name} ${resolved.version} has no ${processor} ${check.use} image`);
        continue;
      }
      if (region !== undefined && !Token.isUnresolved(region) && !ref.registries[region] && !seen.has(ref.tag)) {
        seen.add(ref.tag);
        problems.addMessage(`${this.label} (stack region)`, regionProblem(ref, region));
      }
    }
  }

  public _processors(use: ImageUseName): readonly string[] {
    try {
      return processorsOf(this.resolved(use));
    } catch (e) {
      if (e instanceof ImageLookupError) return [];
      throw e;
    }
  }

  /** The version resolved for a use: scikit-learn and XGBoost serve with the training image. */
  private resolved(use: ImageUseName): ResolvedVersion {
    const scope = this.framework ? this.framework._scopeFor(use) : 'training';
    if (scope === 'training') return this.trainingVersion;
    return resolveVersion(this.name, scope, this.version, this.pythonVersion, this.label, this.versionFilter);
  }

  private refOrThrow(scope: Construct, options: AlgorithmImageBindOptions): SageMakerImageRef {
    const use: ImageUseName = options.use === ImageUse.INFERENCE ? 'inference' : 'training';
    const instanceType = options.instanceType?.toString();
    const problems = new Problems();
    this._validate(problems, undefined, [{ use, property: `${use} instanceType`, instanceType: instanceType ?? 'ml.m5.large' }]);
    problems.throwIfAny(scope);
    const processor = instanceType && !Token.isUnresolved(instanceType) ? processorOf(instanceType) : 'cpu';
    return imageRef(this.resolved(use), processor)!;
  }
}

function regionProblem(ref: SageMakerImageRef, region: string): string {
  return `${ref.repository}:${ref.tag} is not available in ${JSON.stringify(region)} (ECR pulls are same-region); allowed: a stack in one of ${regionsOf(ref).join(', ')}`;
}

/** One mapping per stack and registry map: region -> { account }, only the regions that have the image. */
function registryMapping(stack: Stack, ref: SageMakerImageRef): CfnMapping {
  const regions = regionsOf(ref);
  const digest = createHash('sha256').update(JSON.stringify(regions.map(r => [r, ref.registries[r]]))).digest('hex').slice(0, 8).toUpperCase();
  const id = `SageMakerImageRegistry${digest}`;
  const existing = stack.node.tryFindChild(id);
  if (existing) return existing as CfnMapping;
  return new CfnMapping(stack, id, {
    mapping: Object.fromEntries(regions.map(r => [r, { [ACCOUNT_KEY]: ref.registries[r] }])),
  });
}
