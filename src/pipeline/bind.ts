import type { CreateTrainingJobRequest, CreateTransformJobRequest } from '@aws-sdk/client-sagemaker';
import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CODE_CHANNEL_DIRECTORY, ScriptTraining, UNRESOLVED_REGION } from '../code/private/script-mode';
import { BoundSourceCode } from '../code/source-code';
import { Framework } from '../image/framework';
import { grantPutObjects, grantReadPrefix } from '../private/grants';
import { TrainingProps } from '../training/training-props';
import { renderTrainingJob } from '../training/training-request';
import { BatchTransformProps } from '../transform/batch-transform-props';
import { renderTransformJob } from '../transform/transform-request';

/** The key prefix of training checkpoints in their bucket, by default. */
export const DEFAULT_CHECKPOINT_PREFIX = 'checkpoints/';

/** The two renderings of one request: for the state machine and for the run spec. */
export interface BoundRequest<T> {
  /** With S3 locations, for SageMaker. */
  readonly cloud: T;
  /** With staged asset locations, for local mode. */
  readonly local: T;
}

export interface BindContext {
  readonly jobName: string;
  readonly roleArn: string;
  /** Granted read access to inputs. */
  readonly grantee?: iam.IGrantable;
  readonly imageUri: string;
  /** Bucket into which asset inputs are extracted (the pipeline's output bucket). */
  readonly stagingBucket?: s3.IBucket;
  /** Output S3 path (`s3://bucket/prefix/`), for SageMaker. */
  readonly outputPath: string;
  /** Key prefix under which asset inputs are extracted in `stagingBucket`. */
  readonly inputsPrefix: string;
  readonly localMode: boolean;
  /** Script mode: the framework whose container runs `training.code` (TensorFlow gets `model_dir`). */
  readonly framework?: Framework;
}

/** A bound training request, and its bound code in script mode. */
export interface BoundTraining extends BoundRequest<CreateTrainingJobRequest> {
  readonly code?: BoundSourceCode;
}

/** The local rendering's region: the stack's when concrete, else a placeholder local mode replaces. */
export function localRegion(scope: Construct): string {
  const region = Stack.of(scope).region;
  return Token.isUnresolved(region) ? UNRESOLVED_REGION : region;
}

/**
 * Network settings of a job or model, from a VPC and optional security
 * groups: creates a security group in `scope` when the VPC comes without one.
 */
export function bindNetwork(
  scope: Construct,
  props: TrainingProps,
): { subnetIds?: string[]; securityGroupIds?: string[]; securityGroups?: ec2.ISecurityGroup[] } {
  if (!props.vpc) return {};
  const securityGroups = props.securityGroups ?? [new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: props.vpc,
    description: `SageMaker jobs of ${scope.node.path}`,
    allowAllOutbound: true,
  })];
  const subnetIds = props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
  return { subnetIds, securityGroupIds: securityGroups.map(g => g.securityGroupId), securityGroups };
}

/**
 * Stages a training job's inputs, grants read access, and renders its request
 * for both backends.
 */
export function bindTraining(scope: Construct, props: TrainingProps, ctx: BindContext): BoundTraining {
  const locations = props.channels.map((channel, i) => channel.input._source.bind(scope, `Channel${i}`, {
    grantee: ctx.grantee,
    stagingBucket: ctx.stagingBucket,
    stagingPrefix: ctx.inputsPrefix,
    localMode: ctx.localMode,
  }));
  const checkpointPrefix = props.checkpoint?.keyPrefix ?? DEFAULT_CHECKPOINT_PREFIX;
  if (!ctx.localMode && props.checkpoint && ctx.grantee) {
    grantReadPrefix(props.checkpoint.bucket, ctx.grantee, checkpointPrefix);
    grantPutObjects(props.checkpoint.bucket, ctx.grantee, `${checkpointPrefix}*`);
  }
  if (!ctx.localMode && ctx.grantee) {
    props.volumeEncryptionKey?.grantEncryptDecrypt(ctx.grantee);
    props.outputEncryptionKey?.grantEncryptDecrypt(ctx.grantee);
    if (props.volumeEncryptionKey) {
      props.volumeEncryptionKey.grant(ctx.grantee, 'kms:CreateGrant', 'kms:DescribeKey');
    }
  }
  const network = ctx.localMode ? {} : bindNetwork(scope, props);
  const common = {
    jobName: ctx.jobName,
    roleArn: ctx.roleArn,
    imageUri: ctx.imageUri,
    outputPath: ctx.outputPath,
    outputKmsKeyId: props.outputEncryptionKey?.keyArn,
    volumeKmsKeyId: props.volumeEncryptionKey?.keyArn,
    checkpointUri: props.checkpoint ? `s3://${props.checkpoint.bucket.bucketName}/${checkpointPrefix}` : undefined,
    ...network,
  };
  const code = props.code?._bind(scope, ctx.localMode ? undefined : ctx.grantee);
  const script = (local: boolean): ScriptTraining | undefined => {
    if (!code) return undefined;
    const uri = local ? code.localUri : code.s3Uri;
    const isolated = props.enableNetworkIsolation ?? false;
    return {
      entryPoint: code.entryPoint,
      submitDirectory: isolated ? `${CODE_CHANNEL_DIRECTORY}/${code.fileName}` : uri,
      codeChannelUri: isolated ? uri : undefined,
      jobName: ctx.jobName,
      region: local ? localRegion(scope) : Stack.of(scope).region,
      // The cloud value's job name is set per execution by the training step.
      modelDir: ctx.framework?._traits.tensorflow ? (local ? '/opt/ml/model' : `${ctx.outputPath}${ctx.jobName}/model`) : undefined,
    };
  };
  return {
    cloud: renderTrainingJob(props, { ...common, channelUris: locations.map(l => l.s3Uri), script: script(false) }),
    local: renderTrainingJob(props, { ...common, channelUris: locations.map(l => l.localUri), script: script(true) }),
    code,
  };
}

/**
 * Stages a transform job's input, grants read access, and renders its request
 * for both backends.
 */
export function bindTransform(
  scope: Construct,
  props: BatchTransformProps,
  ctx: BindContext & { modelName: string },
): BoundRequest<CreateTransformJobRequest> {
  const location = props.input._source.bind(scope, 'TransformInput', {
    grantee: ctx.grantee,
    stagingBucket: ctx.stagingBucket,
    stagingPrefix: ctx.inputsPrefix,
    localMode: ctx.localMode,
  });
  if (!ctx.localMode && ctx.grantee) {
    props.outputEncryptionKey?.grantEncryptDecrypt(ctx.grantee);
    props.volumeEncryptionKey?.grantEncryptDecrypt(ctx.grantee);
  }
  const common = {
    jobName: ctx.jobName,
    modelName: ctx.modelName,
    outputPath: ctx.outputPath,
    outputKmsKeyId: props.outputEncryptionKey?.keyArn,
    volumeKmsKeyId: props.volumeEncryptionKey?.keyArn,
  };
  return {
    cloud: renderTransformJob(props, { ...common, inputUri: location.s3Uri }),
    local: renderTransformJob(props, { ...common, inputUri: location.localUri }),
  };
}
