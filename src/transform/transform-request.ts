import type { CreateTransformJobRequest } from '@aws-sdk/client-sagemaker';
import { InstanceType } from '../instance-type';
import { BatchTransformProps } from './batch-transform-props';
import { AssembleWith, BatchStrategy, JoinSource, SplitType } from './enums';
import { checkInstanceType } from '../private/instance-types';
import { MAX_TRANSFORM_PAYLOAD_MB } from '../private/sagemaker-limits';
import { renderSeconds, seconds } from '../private/units';
import { isToken, Problems } from '../private/validation';
import { CompressionType, S3DataType } from '../training/enums';

export const DEFAULT_TRANSFORM_INSTANCE_TYPE = InstanceType.ML_M5_LARGE;
const TRANSFORM_ENV_KEY = /^[a-zA-Z_][a-zA-Z0-9_]{0,1023}$/;

/** Values that exist only once the job's resources are bound. */
export interface TransformRequestContext {
  /** `TransformJobName` (a placeholder that the state machine or the local runner replaces). */
  readonly jobName: string;
  /** `ModelName` (likewise). */
  readonly modelName: string;
  readonly inputUri: string;
  readonly outputPath: string;
  readonly outputKmsKeyId?: string;
  readonly volumeKmsKeyId?: string;
}

/** Checks a batch transform definition against SageMaker's `CreateTransformJob` limits. */
export function validateTransform(problems: Problems, props: BatchTransformProps, prefix = 'batchTransform'): void {
  problems.checkOneOf(`${prefix}.splitType`, props.splitType, Object.values(SplitType));
  problems.checkOneOf(`${prefix}.batchStrategy`, props.batchStrategy, Object.values(BatchStrategy));
  problems.checkOneOf(`${prefix}.assembleWith`, props.assembleWith, Object.values(AssembleWith));
  problems.checkOneOf(`${prefix}.joinSource`, props.joinSource, Object.values(JoinSource));
  problems.checkOneOf(`${prefix}.compressionType`, props.compressionType, Object.values(CompressionType));
  problems.checkOneOf(`${prefix}.s3DataType`, props.s3DataType, Object.values(S3DataType));
  if (props.batchStrategy !== undefined && (props.splitType ?? SplitType.NONE) === SplitType.NONE) {
    problems.addMessage(`${prefix}.batchStrategy`, `${JSON.stringify(props.batchStrategy)} needs a splitType other than None (Line, RecordIO or TFRecord)`);
  }
  problems.checkInt(`${prefix}.maxPayloadInMB`, props.maxPayloadInMB, 0, MAX_TRANSFORM_PAYLOAD_MB);
  problems.checkInt(`${prefix}.maxConcurrentTransforms`, props.maxConcurrentTransforms, 0);
  const payload = props.maxPayloadInMB;
  const concurrency = props.maxConcurrentTransforms;
  if (payload !== undefined && concurrency !== undefined && !isToken(payload) && !isToken(concurrency)
    && payload * concurrency > MAX_TRANSFORM_PAYLOAD_MB) {
    problems.addMessage(`${prefix}.maxPayloadInMB x maxConcurrentTransforms`,
      `${payload} x ${concurrency} = ${payload * concurrency} MB; allowed: at most ${MAX_TRANSFORM_PAYLOAD_MB} MB`);
  }
  problems.checkLength(`${prefix}.contentType`, props.contentType, 0, 256);
  problems.checkLength(`${prefix}.accept`, props.accept, 0, 256);
  problems.checkLength(`${prefix}.inputFilter`, props.inputFilter, 0, 63);
  problems.checkLength(`${prefix}.outputFilter`, props.outputFilter, 0, 63);
  for (const [name, filter] of [['inputFilter', props.inputFilter], ['outputFilter', props.outputFilter]] as const) {
    if (filter !== undefined && !isToken(filter) && !filter.startsWith('$')) {
      problems.add(`${prefix}.${name}`, filter, 'a JSONPath expression starting with "$", for example $[1:4] or $.features');
    }
  }
  problems.checkInt(`${prefix}.invocationsTimeout (seconds)`, seconds(props.invocationsTimeout), 1, 3600);
  problems.checkInt(`${prefix}.invocationsMaxRetries`, props.invocationsMaxRetries, 0, 3);
  problems.checkMap(`${prefix}.environment`, props.environment, { maxEntries: 16, maxKeyLength: 1024, maxValueLength: 10240, keyPattern: TRANSFORM_ENV_KEY });
  checkInstanceType(problems, `${prefix}.instanceType`, props.instanceType, 'transform');
  problems.checkInt(`${prefix}.instanceCount`, props.instanceCount, 1);
  problems.checkKeyPrefix(`${prefix}.input keyPrefix`, props.input?._source.keyPrefix);
}

/** Renders the `CreateTransformJob` request: the one function both backends read. */
export function renderTransformJob(props: BatchTransformProps, ctx: TransformRequestContext): CreateTransformJobRequest {
  const timeout = renderSeconds(props.invocationsTimeout);
  const dataProcessing = props.inputFilter !== undefined || props.outputFilter !== undefined || props.joinSource !== undefined;
  return {
    TransformJobName: ctx.jobName,
    ModelName: ctx.modelName,
    MaxConcurrentTransforms: props.maxConcurrentTransforms,
    MaxPayloadInMB: props.maxPayloadInMB,
    BatchStrategy: props.batchStrategy,
    ModelClientConfig: timeout !== undefined || props.invocationsMaxRetries !== undefined
      ? { InvocationsTimeoutInSeconds: timeout, InvocationsMaxRetries: props.invocationsMaxRetries }
      : undefined,
    Environment: props.environment && Object.keys(props.environment).length ? props.environment : undefined,
    TransformInput: {
      DataSource: {
        S3DataSource: {
          S3DataType: props.s3DataType ?? S3DataType.S3_PREFIX,
          S3Uri: ctx.inputUri,
        },
      },
      ContentType: props.contentType,
      CompressionType: props.compressionType ?? CompressionType.NONE,
      SplitType: props.splitType ?? SplitType.NONE,
    },
    TransformOutput: {
      S3OutputPath: ctx.outputPath,
      Accept: props.accept,
      AssembleWith: props.assembleWith ?? AssembleWith.NONE,
      KmsKeyId: ctx.outputKmsKeyId,
    },
    TransformResources: {
      InstanceType: (props.instanceType ?? DEFAULT_TRANSFORM_INSTANCE_TYPE).toString() as any,
      InstanceCount: props.instanceCount ?? 1,
      VolumeKmsKeyId: ctx.volumeKmsKeyId,
    },
    DataProcessing: dataProcessing
      ? { InputFilter: props.inputFilter ?? '$', JoinSource: props.joinSource ?? JoinSource.NONE, OutputFilter: props.outputFilter ?? '$' }
      : undefined,
  };
}
