import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  AlgorithmImage, AssembleWith, BatchStrategy, ByoaPipeline, Framework, InstanceType, SourceCode, SplitType, TrainingInput, TransformInput,
} from '../../src';

/** The scikit-learn framework version the example uses (SageMaker's `1.2-1` image). */
export const SKLEARN_VERSION = '1.2-1';

export interface SklearnScriptModeStackProps extends StackProps {
  /** Run the pipeline on the local Docker engine instead of SageMaker. @default - the `byoa:localMode` context value */
  readonly localMode?: boolean;
}

/**
 * The scikit-learn lab in script mode: SageMaker's own scikit-learn
 * container runs code/train.py (a decision tree on iris) for training,
 * batch transform and the endpoint. No Dockerfile.
 */
export class SklearnScriptModeStack extends Stack {
  public readonly pipeline: ByoaPipeline;

  constructor(scope: Construct, id: string, props: SklearnScriptModeStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new ByoaPipeline(this, 'IrisScript', {
      localMode: props.localMode,
      image: AlgorithmImage.fromFramework(Framework.SKLEARN, SKLEARN_VERSION),
      training: {
        code: SourceCode.fromAsset(path.join(__dirname, 'code'), { entryPoint: 'train.py' }),
        // The lab's script reads SM_CHANNEL_TRAIN: the channel is `train`.
        channels: [{ channelName: 'train', input: TrainingInput.fromAsset(path.join(__dirname, 'data/train')), contentType: 'text/csv' }],
        hyperparameters: { max_leaf_nodes: 30 },
        metricDefinitions: [{ name: 'train:accuracy', regex: 'train accuracy: ([0-9\\.]+)' }],
        instanceType: InstanceType.ML_M5_LARGE,
        maxRuntime: Duration.hours(1),
      },
      batchTransform: {
        input: TransformInput.fromAsset(path.join(__dirname, 'data/batch')),
        contentType: 'text/csv',
        accept: 'text/csv',
        splitType: SplitType.LINE,
        batchStrategy: BatchStrategy.MULTI_RECORD,
        assembleWith: AssembleWith.LINE,
        instanceType: InstanceType.ML_M5_LARGE,
      },
      endpoint: { instanceType: InstanceType.ML_M5_LARGE, initialInstanceCount: 1 },
    });
  }
}
