import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { JobNameStep } from './job-name-step';

/** Props shared by every step. */
export interface StepProps {
  /**
   * The SageMaker execution role the jobs and the model run with. The state
   * machine may pass it to SageMaker (`iam:PassRole`, only to SageMaker).
   */
  readonly role: iam.IRole;
  /**
   * Lower-case prefix of the names of the jobs, models and endpoint configs
   * this step creates (at most 26 characters): IAM permissions are scoped to
   * `<prefix>-*`. The full name is read from `$.byoa.name`, set by a
   * {@link JobNameStep}.
   */
  readonly namePrefix: string;
}

/** Props shared by the steps that run a job on data (training, batch transform). */
export interface DataJobStepProps extends StepProps {
  /** `S3OutputPath` of the job. */
  readonly outputPath: string;
  /** Bucket into which asset inputs are extracted. */
  readonly stagingBucket: s3.IBucket;
  /**
   * Key prefix in `stagingBucket` under which asset inputs are extracted
   * (`<prefix><asset hash>/`).
   * @default 'inputs/'
   */
  readonly inputsPrefix?: string;
}
