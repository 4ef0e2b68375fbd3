import { compareVersions, imageNames, versionsOf } from './private/image-uri';
import { ByoaValidationError } from '../private/errors';

/** Images in the table that are frameworks (script mode), not built-in algorithms. */
const FRAMEWORK_IMAGES = ['sklearn', 'pytorch', 'tensorflow', 'mxnet'];

/**
 * One of SageMaker's built-in algorithms: SageMaker's own image (closed
 * source, except XGBoost) trained with the user's hyperparameters and
 * channels. Use with {@link AlgorithmImage.fromBuiltInAlgorithm}.
 */
export class BuiltInAlgorithm {
  /** BlazingText (`blazingtext`). */
  public static readonly BLAZINGTEXT = new BuiltInAlgorithm('blazingtext');
  /** Factorization Machines (`factorization-machines`). */
  public static readonly FACTORIZATION_MACHINES = new BuiltInAlgorithm('factorization-machines');
  /** DeepAR forecasting (`forecasting-deepar`). */
  public static readonly FORECASTING_DEEPAR = new BuiltInAlgorithm('forecasting-deepar');
  /** Image classification (`image-classification`). */
  public static readonly IMAGE_CLASSIFICATION = new BuiltInAlgorithm('image-classification');
  /** IP Insights (`ipinsights`). */
  public static readonly IP_INSIGHTS = new BuiltInAlgorithm('ipinsights');
  /** k-means (`kmeans`). */
  public static readonly KMEANS = new BuiltInAlgorithm('kmeans');
  /** k-nearest neighbours (`knn`). */
  public static readonly KNN = new BuiltInAlgorithm('knn');
  /** Latent Dirichlet Allocation (`lda`). */
  public static readonly LDA = new BuiltInAlgorithm('lda');
  /** Linear Learner (`linear-learner`). */
  public static readonly LINEAR_LEARNER = new BuiltInAlgorithm('linear-learner');
  /** Neural Topic Model (`ntm`). */
  public static readonly NTM = new BuiltInAlgorithm('ntm');
  /** Object detection (`object-detection`). */
  public static readonly OBJECT_DETECTION = new BuiltInAlgorithm('object-detection');
  /** Object2Vec (`object2vec`). */
  public static readonly OBJECT2VEC = new BuiltInAlgorithm('object2vec');
  /** Principal Component Analysis (`pca`). */
  public static readonly PCA = new BuiltInAlgorithm('pca');
  /** Random Cut Forest (`randomcutforest`). */
  public static readonly RANDOM_CUT_FOREST = new BuiltInAlgorithm('randomcutforest');
  /** Semantic segmentation (`semantic-segmentation`). */
  public static readonly SEMANTIC_SEGMENTATION = new BuiltInAlgorithm('semantic-segmentation');
  /** Sequence to sequence (`seq2seq`). */
  public static readonly SEQ2SEQ = new BuiltInAlgorithm('seq2seq');
  /**
   * XGBoost as a built-in algorithm ("algorithm mode": no user script; the
   * hyperparameters configure it). Versions are the `sagemaker-xgboost`
   * ones (`1.7-1`, ...) and the legacy `1`.
   */
  public static readonly XGBOOST = new BuiltInAlgorithm('xgboost');

  /** A built-in algorithm by its image name (`linear-learner`, `kmeans`, ...). */
  public static of(name: string): BuiltInAlgorithm {
    const names = BuiltInAlgorithm.names();
    if (!names.includes(name)) {
      throw new ByoaValidationError('BuiltInAlgorithm.of', [`name: ${JSON.stringify(name)} is not valid; allowed: ${names.join(', ')}`]);
    }
    return new BuiltInAlgorithm(name);
  }

  private static names(): string[] {
    return imageNames().filter(n => !FRAMEWORK_IMAGES.includes(n));
  }

  private constructor(
    /** The algorithm's image name in SageMaker's image table. */
    public readonly name: string,
  ) {}

  /** The versions the image table lists, oldest first. */
  public versions(): string[] {
    return versionsOf(this.name, 'training');
  }

  /** The version used when none is given: the newest listed. */
  public get defaultVersion(): string {
    const versions = this.versions();
    return [...versions].sort(compareVersions)[versions.length - 1];
  }

  /** The name. */
  public toString(): string {
    return this.name;
  }
}
