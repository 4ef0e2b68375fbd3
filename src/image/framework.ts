import { Token } from 'aws-cdk-lib';
import { InstanceType } from '../instance-type';
import { imageRef, ImageLookupError, ImageUseName, literalImageUri, processorOf, processorsOf, regionsOf, resolveVersion, versionsOf } from './private/image-uri';
import { ByoaValidationError } from '../private/errors';

/** Which image of a framework: the one that trains, or the one that serves the model. */
export enum ImageUse {
  /** The training image (`*-training` for PyTorch and TensorFlow). */
  TRAINING = 'training',
  /** The model's image for endpoints and batch transform (`*-inference` for PyTorch and TensorFlow). */
  INFERENCE = 'inference',
}

/** Options that pick one image of a framework version. */
export interface FrameworkImageOptions {
  /**
   * Python version of the image (`py3`, `py310`, `py312`).
   * @default - the newest Python version the framework version lists
   */
  readonly pythonVersion?: string;
}

/** Options of {@link Framework.imageUri}. */
export interface FrameworkImageUriOptions extends FrameworkImageOptions {
  /** Framework version or alias (`1.2-1`, `2.19`, `2.19.0`). */
  readonly version: string;
  /** The region whose registry serves the image (ECR pulls are same-region). */
  readonly region: string;
  /**
   * The instance type the image runs on: it picks the processor (`cpu`, `gpu`, `inf`, `trn`).
   * @default - a CPU image
   */
  readonly instanceType?: InstanceType;
  /**
   * Training or inference image.
   * @default ImageUse.TRAINING
   */
  readonly use?: ImageUse;
}

/** Traits of a framework that change the requests. @internal */
export interface FrameworkTraits {
  /** The model uses the framework's `*-inference` image (PyTorch, TensorFlow, MXNet); else the training image. */
  readonly separateInferenceImage: boolean;
  /** The serving container needs the code inside `model.tar.gz` (PyTorch, MXNet). */
  readonly repackAlways: boolean;
  /** TensorFlow: `model_dir` hyperparameter; serving loads `code/inference.py` only. */
  readonly tensorflow: boolean;
  /** scikit-learn: CPU only, one instance. */
  readonly singleInstance: boolean;
}

/**
 * A SageMaker framework container that runs a user's script (script mode):
 * scikit-learn, XGBoost, PyTorch, TensorFlow or MXNet. The versions, Python
 * versions, processors and regions come from the library's image table
 * (generated from the SageMaker Python SDK's facts).
 */
export class Framework {
  /** scikit-learn (`sagemaker-scikit-learn`): one image for training and inference, CPU only, one instance. */
  public static readonly SKLEARN = new Framework('sklearn', { separateInferenceImage: false, repackAlways: false, tensorflow: false, singleInstance: true });
  /** XGBoost in script mode (`sagemaker-xgboost`): one image for training and inference. */
  public static readonly XGBOOST = new Framework('xgboost', { separateInferenceImage: false, repackAlways: false, tensorflow: false, singleInstance: false });
  /** PyTorch (`pytorch-training` / `pytorch-inference`). */
  public static readonly PYTORCH = new Framework('pytorch', { separateInferenceImage: true, repackAlways: true, tensorflow: false, singleInstance: false });
  /** TensorFlow (`tensorflow-training` / `tensorflow-inference`, TensorFlow Serving). */
  public static readonly TENSORFLOW = new Framework('tensorflow', { separateInferenceImage: true, repackAlways: false, tensorflow: true, singleInstance: false });
  /** Apache MXNet (`mxnet-training` / `mxnet-inference`). */
  public static readonly MXNET = new Framework('mxnet', { separateInferenceImage: true, repackAlways: true, tensorflow: false, singleInstance: false });

  /**
   * A framework by its name in SageMaker's image table: `sklearn`,
   * `xgboost`, `pytorch`, `tensorflow` or `mxnet` (`scikit-learn` is
   * accepted for `sklearn`).
   */
  public static of(name: string): Framework {
    const key = name === 'scikit-learn' ? 'sklearn' : name;
    const framework = Framework.ALL.find(f => f.name === key);
    if (!framework) {
      throw new ByoaValidationError('Framework.of', [`name: ${JSON.stringify(name)} is not valid; allowed: ${Framework.ALL.map(f => f.name).join(', ')}`]);
    }
    return framework;
  }

  private static get ALL(): Framework[] {
    return [Framework.SKLEARN, Framework.XGBOOST, Framework.PYTORCH, Framework.TENSORFLOW, Framework.MXNET];
  }

  /** @internal */
  public readonly _traits: FrameworkTraits;

  private constructor(
    /** The framework's name in SageMaker's image table (`sklearn`, `pytorch`, ...). */
    public readonly name: string,
    traits: FrameworkTraits,
  ) {
    this._traits = traits;
  }

  /** The framework versions the image table lists for an image use, oldest first (aliases not included). */
  public versions(use: ImageUse = ImageUse.TRAINING): string[] {
    return versionsOf(this.name, this._scopeFor(use), this._versionFilter);
  }

  /**
   * The literal URI of one of the framework's images in a region, for
   * example for a Dockerfile's `FROM` line (`FROM 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.8.0-gpu-py312`)
   * or a build argument. Throws a validation error naming what is allowed
   * for an unknown version or Python version, a processor the version has no
   * image for, or a region without that image.
   */
  public imageUri(options: FrameworkImageUriOptions): string {
    const property = `Framework.${this.name.toUpperCase()}.imageUri`;
    const problems: string[] = [];
    try {
      const use = this._scopeFor(options.use ?? ImageUse.TRAINING);
      const resolved = resolveVersion(this.name, use, options.version, options.pythonVersion, property, this._versionFilter);
      const processor = processorOf(options.instanceType?.toString() ?? 'ml.m5.large');
      const ref = imageRef(resolved, processor);
      if (!ref) {
        problems.push(`${property} instanceType: ${JSON.stringify(options.instanceType?.toString())} needs a ${processor} image; allowed: an instance type for ${processorsOf(resolved).join(', ')} (${this.name} ${resolved.version})`);
      } else if (Token.isUnresolved(options.region)) {
        problems.push(`${property} region: must be a concrete region name (a Dockerfile FROM line cannot hold a token)`);
      } else {
        const uri = literalImageUri(ref, options.region);
        if (uri) return uri;
        problems.push(`${property} region: ${JSON.stringify(options.region)} is not valid; allowed: a region that has ${ref.repository}:${ref.tag}: ${regionsOf(ref).join(', ')}`);
      }
    } catch (e) {
      if (!(e instanceof ImageLookupError)) throw e;
      problems.push(e.message);
    }
    throw new ByoaValidationError(property, problems);
  }

  /** The name. */
  public toString(): string {
    return this.name;
  }

  /** The table scope that holds the image for a use (scikit-learn and XGBoost serve with the training image). @internal */
  public _scopeFor(use: ImageUse | ImageUseName): ImageUseName {
    return use === ImageUse.INFERENCE && this._traits.separateInferenceImage ? 'inference' : 'training';
  }

  /** XGBoost's version `1` is the built-in algorithm's legacy image, not a script-mode container. @internal */
  public get _versionFilter(): (version: string) => boolean {
    return this.name === 'xgboost' ? (v: string) => v !== '1' : () => true;
  }
}
