/**
 * How a local batch transform job ended, as SageMaker would say it
 * (INTERNAL): the failure reason and the DescribeTransformJob response,
 * small pure pieces `runTransformJob` is built from, each tested on its own.
 */
import type { CreateTransformJobRequest, DescribeTransformJobResponse } from '@aws-sdk/client-sagemaker';
import type { ExecutionParameters } from './execution-parameters';
import { FAILURE_REASON_LENGTH } from '../../../private/sagemaker-limits';
import { describedDataSource, localFileUri } from '../work-dir';

/** What became of one input file: a failure reason when it failed. */
export interface FileOutcome {
  readonly failureReason?: string;
}

/**
 * The job's failure reason: the first failing file's (and how many more
 * failed), at most 1024 characters; undefined when every file succeeded.
 */
export function transformFailureReason(files: readonly FileOutcome[]): string | undefined {
  const failed = files.filter((f) => f.failureReason);
  if (failed.length === 0) return undefined;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more of ${files.length} input files failed)` : '';
  return (failed[0].failureReason + more).slice(0, FAILURE_REASON_LENGTH);
}

/** Everything the description is made of besides the request. */
export interface TransformDescriptionInput {
  readonly request: CreateTransformJobRequest;
  readonly jobName: string;
  readonly arn: string;
  /** The model's name when the request has none. */
  readonly modelName?: string;
  readonly failureReason?: string;
  /** The job was asked to stop (StopTransformJob; SIGINT or SIGTERM of the CLI): status `Stopped`, whatever the files did. @default false */
  readonly stopped?: boolean;
  /** The effective batch settings. */
  readonly executionParameters: ExecutionParameters;
  readonly invocationsTimeoutSeconds: number;
  readonly invocationsMaxRetries: number;
  /** The job's folder (the description's `S3OutputPath`). */
  readonly outputDir: string;
  /** Base of the request's relative `file://` URIs (the cloud assembly). */
  readonly assemblyDir: string;
  readonly creationTime: Date;
  readonly startTime: Date;
  readonly endTime: Date;
}

/**
 * The job's DescribeTransformJob response. Its locations (the input, the
 * output path) are absolute `file://` URIs, as in a training job's.
 */
export function transformDescription(d: TransformDescriptionInput): DescribeTransformJobResponse {
  const { request } = d;
  const input = request.TransformInput;
  return {
    TransformJobName: d.jobName,
    TransformJobArn: d.arn,
    TransformJobStatus: d.stopped ? 'Stopped' : d.failureReason ? 'Failed' : 'Completed',
    FailureReason: d.stopped ? undefined : d.failureReason,
    ModelName: request.ModelName ?? d.modelName,
    MaxConcurrentTransforms: d.executionParameters.maxConcurrentTransforms,
    ModelClientConfig: { InvocationsTimeoutInSeconds: d.invocationsTimeoutSeconds, InvocationsMaxRetries: d.invocationsMaxRetries },
    MaxPayloadInMB: d.executionParameters.maxPayloadInMB,
    BatchStrategy: d.executionParameters.multiRecord ? 'MultiRecord' : 'SingleRecord',
    Environment: request.Environment,
    TransformInput: input && { ...input, DataSource: describedDataSource(input.DataSource, d.assemblyDir) },
    TransformOutput: { ...request.TransformOutput, S3OutputPath: localFileUri(d.outputDir) },
    DataCaptureConfig: request.DataCaptureConfig,
    TransformResources: request.TransformResources,
    CreationTime: d.creationTime,
    TransformStartTime: d.startTime,
    TransformEndTime: d.endTime,
    DataProcessing: request.DataProcessing,
  };
}
