import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AlgorithmImage, ByoaPipeline, Framework, InstanceType, SourceCode, TrainingInput } from '../../src';

/** The TensorFlow version the example uses (an alias: the table resolves it to 2.19.0). */
export const TENSORFLOW_VERSION = '2.19';

export interface TensorflowScriptModeStackProps extends StackProps {
  /** Run the pipeline on the local Docker engine instead of SageMaker. @default - the `byoa:localMode` context value */
  readonly localMode?: boolean;
}

/**
 * The TensorFlow lab in script mode: SageMaker's TensorFlow training
 * container runs code/train.py (a small Keras model on iris), and the
 * TensorFlow Serving inference image serves the SavedModel it writes.
 */
export class TensorflowScriptModeStack extends Stack {
  public readonly pipeline: ByoaPipeline;

  constructor(scope: Construct, id: string, props: TensorflowScriptModeStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new ByoaPipeline(this, 'KerasScript', {
      localMode: props.localMode,
      // Training uses tensorflow-training; the model uses tensorflow-inference.
      image: AlgorithmImage.fromFramework(Framework.TENSORFLOW, TENSORFLOW_VERSION),
      training: {
        code: SourceCode.fromAsset(path.join(__dirname, 'code'), { entryPoint: 'train.py' }),
        channels: [{ channelName: 'training', input: TrainingInput.fromAsset(path.join(__dirname, 'data/training')), contentType: 'text/csv' }],
        hyperparameters: { 'epochs': 50, 'learning-rate': 0.01 },
        metricDefinitions: [{ name: 'train:accuracy', regex: 'train accuracy: ([0-9\\.]+)' }],
        instanceType: InstanceType.ML_M5_LARGE,
        maxRuntime: Duration.hours(1),
      },
      endpoint: { instanceType: InstanceType.ML_M5_LARGE, initialInstanceCount: 1 },
    });
  }
}
