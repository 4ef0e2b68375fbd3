import type { CreateTransformJobRequest } from '@aws-sdk/client-sagemaker';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { bindTransform, BoundRequest } from './bind';
import { bindContext, STATE_PATHS, syncJobTask, warnVolumeKeyWithLocalStorage } from './private/step-helpers';
import { DataJobStepProps } from './step-props';
import { withPaths } from '../private/sagemaker-task';
import { Problems } from '../private/validation';
import { BatchTransformProps } from '../transform/batch-transform-props';
import { DEFAULT_TRANSFORM_INSTANCE_TYPE, validateTransform } from '../transform/transform-request';

/** Props of a {@link TransformStep}. Results go to `<outputPath><job name>/`. */
export interface TransformStepProps extends DataJobStepProps {
  /** The batch transform job. */
  readonly transform: BatchTransformProps;
}

/**
 * Runs a batch transform job with the model named `$.byoa.name` and waits
 * for it (`createTransformJob.sync`). Results go to
 * `<outputPath><job name>/`. A failed job ends the execution in a Fail state
 * whose cause is SageMaker's `FailureReason`.
 */
export class TransformStep extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** @internal */
  public readonly _request: BoundRequest<CreateTransformJobRequest>;

  constructor(scope: Construct, id: string, props: TransformStepProps) {
    super(scope, id);
    const problems = new Problems();
    validateTransform(problems, props.transform);
    problems.throwIfAny(this);
    warnVolumeKeyWithLocalStorage(this, 'batchTransform', props.transform.instanceType ?? DEFAULT_TRANSFORM_INSTANCE_TYPE, props.transform.volumeEncryptionKey);
    this._request = bindTransform(this, props.transform, { ...bindContext(props, props.outputPath, props.stagingBucket), modelName: '' });
    const task = syncJobTask(this, 'Batch transform', {
      kind: 'TransformJob',
      namePrefix: props.namePrefix,
      comment: 'Runs the batch transform and waits for it to end',
      parameters: withPaths(this._request.cloud, {
        'TransformJobName': STATE_PATHS.name,
        'ModelName': STATE_PATHS.name,
        'TransformOutput.S3OutputPath': `States.Format('${props.outputPath}{}/', ${STATE_PATHS.name})`,
      }),
      resultSelector: { 'TransformJobName.$': '$.TransformJobName', 'TransformOutput.$': '$.TransformOutput' },
      resultPath: STATE_PATHS.transform,
      policies: [],
    });
    this.startState = task;
    this.endStates = [task];
  }
}
