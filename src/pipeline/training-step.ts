import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { bindTraining, BoundTraining } from './bind';
import { bindContext, passRole, STATE_PATHS, syncJobTask, warnVolumeKeyWithLocalStorage } from './private/step-helpers';
import { DataJobStepProps } from './step-props';
import { Framework } from '../image/framework';
import { withPaths } from '../private/sagemaker-task';
import { Problems } from '../private/validation';
import { TrainingProps } from '../training/training-props';
import { DEFAULT_TRAINING_INSTANCE_TYPE, validateTraining } from '../training/training-request';

/** Props of a {@link TrainingStep}. SageMaker writes `<outputPath><job name>/output/model.tar.gz`. */
export interface TrainingStepProps extends DataJobStepProps {
  /** The training job. */
  readonly training: TrainingProps;
  /** The algorithm image's URI (from `AlgorithmImage.bind`). */
  readonly imageUri: string;
  /**
   * Script mode (`training.code`): the framework whose container runs the
   * code. TensorFlow gets the SDK's `model_dir` hyperparameter.
   * @default - none
   */
  readonly framework?: Framework;
}

/**
 * Runs a training job and waits for it (`createTrainingJob.sync`). Its
 * result, at `$.byoa.training`, holds `TrainingJobName` and `ModelArtifacts`.
 * A failed job ends the execution in a Fail state whose cause is SageMaker's
 * `FailureReason`.
 */
export class TrainingStep extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** @internal */
  public readonly _request: BoundTraining;

  constructor(scope: Construct, id: string, props: TrainingStepProps) {
    super(scope, id);
    const problems = new Problems();
    validateTraining(problems, props.training);
    problems.throwIfAny(this);
    warnVolumeKeyWithLocalStorage(this, 'training', props.training.instanceType ?? DEFAULT_TRAINING_INSTANCE_TYPE, props.training.volumeEncryptionKey);
    this._request = bindTraining(this, props.training, { ...bindContext(props, props.outputPath, props.stagingBucket), framework: props.framework });
    // Script mode: the SDK's job name and TensorFlow's model_dir name this execution's job (JSON-encoded).
    const perExecution: { [field: string]: string } = {};
    if (props.training.code) {
      perExecution['HyperParameters.sagemaker_job_name'] = `States.Format('"{}"', ${STATE_PATHS.name})`;
      if (props.framework?._traits.tensorflow) {
        perExecution['HyperParameters.model_dir'] = `States.Format('"${props.outputPath}{}/model"', ${STATE_PATHS.name})`;
      }
    }
    const task = syncJobTask(this, 'Train', {
      kind: 'TrainingJob',
      namePrefix: props.namePrefix,
      comment: 'Trains the model and waits for the training job to end',
      parameters: withPaths(this._request.cloud, { TrainingJobName: STATE_PATHS.name, ...perExecution }),
      resultSelector: { 'TrainingJobName.$': '$.TrainingJobName', 'ModelArtifacts.$': '$.ModelArtifacts' },
      resultPath: STATE_PATHS.training,
      policies: [passRole(props.role)],
    });
    this.startState = task;
    this.endStates = [task];
  }
}
