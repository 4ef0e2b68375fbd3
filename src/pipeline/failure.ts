import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerTask } from '../private/sagemaker-task';

/** Where a caught error is kept in the execution's state. */
export const ERROR_PATH = '$.byoa.error';

/**
 * A Fail state that reports the caught error as it is (`Error` and `Cause`
 * from the catcher's result).
 */
export function failWithCaughtError(scope: Construct, id: string): sfn.Fail {
  return new sfn.Fail(scope, id, {
    errorPath: `${ERROR_PATH}.Error`,
    causePath: `${ERROR_PATH}.Cause`,
  });
}

export interface JobFailureProps {
  /** `TrainingJob` or `TransformJob`: names the Describe call and the error. */
  readonly kind: 'TrainingJob' | 'TransformJob';
  /** The path of the job's name in the execution's state. */
  readonly jobNamePath: string;
}

/**
 * What runs after a `.sync` job task fails: DescribeXxxJob, then a Fail state
 * whose cause is SageMaker's `FailureReason`, or the caught error when the job
 * never started (a rejected request has no FailureReason). Only for the catch
 * of a `.sync` task (`syncJobTask`), whose statement grants the Describe call.
 */
export function jobFailureChain(scope: Construct, props: JobFailureProps): sfn.IChainable {
  const describe = new SageMakerTask(scope, `Describe failed ${props.kind}`, {
    integration: `aws-sdk:sagemaker:describe${props.kind}`,
    parameters: { [`${props.kind}Name.$`]: props.jobNamePath },
    resultPath: '$.byoa.failure',
    comment: 'Reads the FailureReason of the job that failed',
    // No statement of its own: sagemaker:Describe<kind> on the jobs is granted
    // by the .sync task whose failures this chain handles (with Create and
    // Stop); a second statement would only lengthen the role's policy.
    policies: [],
  });
  const caught = failWithCaughtError(scope, `${props.kind} request failed`);
  describe.addCatch(caught, { resultPath: '$.byoa.describeError' });
  const failed = new sfn.Fail(scope, `${props.kind} failed`, {
    error: `SageMaker.${props.kind}Failed`,
    causePath: '$.byoa.failure.FailureReason',
  });
  return describe.next(new sfn.Choice(scope, `${props.kind} has a FailureReason?`)
    .when(sfn.Condition.isPresent('$.byoa.failure.FailureReason'), failed)
    .otherwise(caught));
}
