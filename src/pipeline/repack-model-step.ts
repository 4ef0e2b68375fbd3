import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ERROR_PATH, failWithCaughtError } from './failure';
import { STATE_PATHS } from './private/step-helpers';
import { SourceCode } from '../code/source-code';

/** Where the repack step keeps its result: `$.byoa.repack.modelDataUrl` is the new artifact. */
export const REPACK_PATH = '$.byoa.repack';

/** Props of a {@link RepackModelStep}. */
export interface RepackModelStepProps {
  /** The model's code, put under `code/` of the new `model.tar.gz`. */
  readonly code: SourceCode;
  /** The bucket of the trained model and of the repacked one. */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix of the training outputs in `bucket` (`<prefix>training/`): the
   * function reads `<prefix>training/<job>/output/model.tar.gz` and writes
   * `<prefix>training/<job>/repacked/model.tar.gz`.
   * @default 'training/'
   */
  readonly trainingPrefix?: string;
  /**
   * KMS key of the bucket.
   * @default - none
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Memory of the function. The repack streams, so the model may be far
   * larger; more memory gives the function more CPU for gzip.
   * @default 1769 MiB (one vCPU)
   */
  readonly memorySizeInMB?: number;
  /**
   * Path of the trained model's S3 URI in the execution's state.
   * @default '$.byoa.training.ModelArtifacts.S3ModelArtifacts'
   */
  readonly modelDataUrlPath?: string;
}

/**
 * Puts the model's code under `code/` of a new `model.tar.gz`, as the
 * PyTorch, MXNet and TensorFlow Serving containers need it (and any model
 * without network): a Lambda function streams the trained artifact from S3
 * through gunzip, copies its members, adds the code, and gzips into a
 * multipart upload, so the model may be far larger than the function's
 * memory (its limit is the function's 15 minutes). The result, at
 * `$.byoa.repack.modelDataUrl`, is the new artifact's URI.
 */
export class RepackModelStep extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The function that repacks. */
  public readonly function: lambda.IFunction;

  constructor(scope: Construct, id: string, props: RepackModelStepProps) {
    super(scope, id);
    const trainingPrefix = props.trainingPrefix ?? 'training/';
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Repacks the models of ${scope.node.path}`,
    });
    // Least privilege: its own log group, the training outputs, the code object, the repacked key.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects(`${trainingPrefix}*/output/model.tar.gz`)] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [props.bucket.arnForObjects(`${trainingPrefix}*/repacked/model.tar.gz`)],
    }));
    const code = props.code._bind(this, role);
    props.encryptionKey?.grantEncryptDecrypt(role);

    const fn = new lambda.Function(this, 'Function', {
      description: 'Streams a model.tar.gz into a new one with the inference code under code/',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // The compiled runtime folder (lib/code/runtime): the tar code and the handler, no dependencies
      // beyond the AWS SDK that the Lambda runtime provides.
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'code', 'runtime'), { exclude: ['*.ts'] }),
      handler: 'repack-handler.handler',
      memorySize: props.memorySizeInMB ?? 1769,
      timeout: Duration.minutes(15),
      role,
      logGroup,
    });
    this.function = fn;

    const task = new tasks.LambdaInvoke(this, 'Repack model', {
      comment: 'Puts the inference code under code/ of a new model.tar.gz (streamed)',
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({
        'modelDataUrl.$': props.modelDataUrlPath ?? `${STATE_PATHS.training}.ModelArtifacts.S3ModelArtifacts`,
        'codeUri': code.s3Uri,
        'outputBucket': props.bucket.bucketName,
        'outputKey.$': `States.Format('${trainingPrefix}{}/repacked/model.tar.gz', ${STATE_PATHS.name})`,
      }),
      payloadResponseOnly: true,
      resultSelector: { 'modelDataUrl.$': '$.modelDataUrl' },
      resultPath: REPACK_PATH,
      retryOnServiceExceptions: true,
    });
    task.addCatch(failWithCaughtError(this, 'Repack failed'), { resultPath: ERROR_PATH });
    this.startState = task;
    this.endStates = [task];
  }
}
