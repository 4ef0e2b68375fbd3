import * as path from 'path';
import { Annotations, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  AlgorithmImage, AssembleWith, BatchStrategy, ByoaPipeline, InstanceType, SplitType, TrainingInput, TransformInput,
} from '../../src';

export interface IrisStackProps extends StackProps {
  /** Run the pipeline on the local Docker engine instead of SageMaker. @default - the `byoa:localMode` context value */
  readonly localMode?: boolean;
}

/**
 * The iris example: a scikit-learn decision tree in a "bring your own
 * algorithm" container, trained, batch-transformed and served.
 */
export class IrisStack extends Stack {
  public readonly pipeline: ByoaPipeline;

  constructor(scope: Construct, id: string, props: IrisStackProps = {}) {
    super(scope, id, props);
    // Server access logs of the pipeline's output bucket.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    });
    NagSuppressions.addResourceSuppressions(accessLogs, [{
      id: 'AwsSolutions-S1',
      reason: 'This is the access log bucket itself; logging its own accesses would loop.',
    }]);

    this.pipeline = new ByoaPipeline(this, 'Iris', {
      localMode: props.localMode,
      serverAccessLogsBucket: accessLogs,
      image: AlgorithmImage.fromAsset(path.join(__dirname, 'container')),
      training: {
        channels: [{
          channelName: 'training',
          input: TrainingInput.fromAsset(path.join(__dirname, 'data/training')),
          contentType: 'text/csv',
        }],
        hyperparameters: { max_leaf_nodes: 5 },
        metricDefinitions: [
          { name: 'train:accuracy', regex: 'accuracy=([0-9\\.]+)' },
          { name: 'train:misclassified', regex: 'misclassified: ([0-9]+)' },
        ],
        instanceType: InstanceType.ML_M5_LARGE,
        maxRuntime: Duration.hours(1),
      },
      batchTransform: {
        input: TransformInput.fromAsset(path.join(__dirname, 'data/batch')),
        contentType: 'text/csv',
        splitType: SplitType.LINE,
        batchStrategy: BatchStrategy.MULTI_RECORD,
        assembleWith: AssembleWith.LINE,
        instanceType: InstanceType.ML_M5_LARGE,
      },
      endpoint: { instanceType: InstanceType.ML_T2_MEDIUM, initialInstanceCount: 1 },
      monitoring: { alarms: true, createAlarmTopic: true, dashboard: true },
    });
    // `accuracy=0.97` is one word, which no log metric filter can read: the
    // library warns and points at the metric SageMaker publishes itself, which
    // the dashboard graphs. `misclassified: 3` becomes a metric filter.
    Annotations.of(this).acknowledgeWarning('cdk-sagemaker-byoa:metric-filter-unsupported',
      'train:accuracy is graphed from SageMaker\'s own metric; train:misclassified has a metric filter');
  }
}
