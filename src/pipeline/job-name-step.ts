import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Props of a {@link JobNameStep}. */
export interface JobNameStepProps {
  /** Prefix of the names (lower case, at most 26 characters). */
  readonly namePrefix: string;
}

/**
 * A Pass state that sets `$.byoa.name` to `<namePrefix>-<UUID>`: a name that
 * is unique per execution and valid for SageMaker jobs, models and endpoint
 * configs (at most 63 characters). Put it before the other steps.
 */
export class JobNameStep extends sfn.Pass {
  constructor(scope: Construct, id: string, props: JobNameStepProps) {
    super(scope, id, {
      comment: 'Names this execution\'s SageMaker jobs, model and endpoint config',
      parameters: { 'name.$': `States.Format('${props.namePrefix}-{}', States.UUID())` },
      resultPath: '$.byoa',
    });
  }
}
