/**
 * How a local training job ended, as SageMaker would say it (INTERNAL):
 * small, pure pieces `runTrainingJob` is built from, each tested on its
 * own. The shape follows the SageMaker Python SDK's local
 * `_LocalTrainingJob.describe()`: a DescribeTrainingJob response made from
 * the request, the times and the outcome.
 */
import type { CreateTrainingJobRequest, DescribeTrainingJobResponse, MetricData } from '@aws-sdk/client-sagemaker';
import type { MetricPoint } from './metric-collector';
import { FAILURE_REASON_LENGTH } from '../../../private/sagemaker-limits';
import { describedDataSource, describedRoleArn, describedUri, localFileUri } from '../work-dir';

/** What the containers did. */
export interface TrainingEnd {
  /** Host names, in order (`algo-1`, ...). */
  readonly hosts: string[];
  /** The max runtime was reached and the containers were stopped. */
  readonly timedOut: boolean;
  /** The job was asked to stop (StopTrainingJob; SIGINT or SIGTERM of the CLI) and its containers were stopped. @default false */
  readonly stopped?: boolean;
  readonly maxRuntimeSeconds: number;
  readonly stopGraceSeconds: number;
  /** The first host that exited non-zero, its exit code, and what it wrote to /opt/ml/output/failure ('' when nothing). */
  readonly firstFailure?: { readonly host: number; readonly code: number; readonly failureFile: string };
  /** Symbolic links found in /opt/ml/model (`algo-1:/opt/ml/model/<path>`). */
  readonly modelSymlinks: string[];
}

/** The job's status, secondary status and failure reason. */
export interface TrainingOutcome {
  readonly status: 'Completed' | 'Failed' | 'Stopped';
  readonly secondaryStatus: 'Completed' | 'Failed' | 'MaxRuntimeExceeded' | 'Stopped';
  /** @default - the job completed */
  readonly failureReason?: string;
}

/**
 * The outcome, in SageMaker's order of precedence: a stop request (status
 * `Stopped`, no failure reason, as DescribeTrainingJob shows a stopped job),
 * the max runtime, then
 * the first failing host (its /opt/ml/output/failure, at most 1024
 * characters, else its exit code), then a model with symbolic links (which
 * SageMaker hosting cannot extract).
 */
export function trainingOutcome(end: TrainingEnd): TrainingOutcome {
  if (end.stopped) {
    return { status: 'Stopped', secondaryStatus: 'Stopped' };
  }
  if (end.timedOut) {
    return {
      status: 'Failed',
      secondaryStatus: 'MaxRuntimeExceeded',
      failureReason: `MaxRuntimeExceeded: Training job runtime exceeded MaxRuntimeInSeconds provided (${end.maxRuntimeSeconds} s); `
        + `the container${end.hosts.length > 1 ? 's were' : ' was'} sent SIGTERM, then SIGKILL after ${end.stopGraceSeconds} s.`,
    };
  }
  if (end.firstFailure) {
    const { host, code, failureFile } = end.firstFailure;
    return {
      status: 'Failed',
      secondaryStatus: 'Failed',
      failureReason: failureFile.trim()
        ? failureFile.slice(0, FAILURE_REASON_LENGTH)
        : `AlgorithmError: the training container (${end.hosts[host]}) exited with code ${code} and wrote no /opt/ml/output/failure.`,
    };
  }
  if (end.modelSymlinks.length) {
    const shown = end.modelSymlinks.slice(0, 5).join(', ') + (end.modelSymlinks.length > 5 ? ', ...' : '');
    return {
      status: 'Failed',
      secondaryStatus: 'Failed',
      failureReason: `ClientError: /opt/ml/model contains symbolic links (${shown}); `
        + 'SageMaker hosting cannot extract model archives with symlinks. Write regular files instead.',
    };
  }
  return { status: 'Completed', secondaryStatus: 'Completed' };
}

/** Everything the description is made of besides the request. */
export interface TrainingDescriptionInput {
  readonly request: CreateTrainingJobRequest;
  readonly jobName: string;
  readonly arn: string;
  /** The local image the job ran. */
  readonly image: string;
  readonly outcome: TrainingOutcome;
  /** The model archive, or undefined when the job failed before writing one. */
  readonly modelArtifact?: string;
  /** The work dir (the description's `S3OutputPath`, as `<S3OutputPath>/<job>/output/model.tar.gz`). */
  readonly outputPath: string;
  /** Base of the request's relative `file://` URIs (the cloud assembly). */
  readonly assemblyDir: string;
  /** The account of the job's ARN (of the `RoleArn` placeholder when the role is a CloudFormation expression). */
  readonly account: string;
  readonly maxRuntimeSeconds: number;
  readonly finalMetrics: MetricPoint[];
  readonly creationTime: Date;
  readonly startTime: Date;
  readonly endTime: Date;
}

/**
 * The job's DescribeTrainingJob response. Every location in it is an
 * absolute `file://` URI (the model archive, the output path, the channels,
 * the checkpoints when local), and `RoleArn` is a string (see
 * `describedRoleArn`).
 */
export function trainingDescription(d: TrainingDescriptionInput): DescribeTrainingJobResponse {
  const { request, outcome } = d;
  const spec = request.AlgorithmSpecification;
  return {
    TrainingJobName: d.jobName,
    TrainingJobArn: d.arn,
    TrainingJobStatus: outcome.status,
    SecondaryStatus: outcome.secondaryStatus,
    FailureReason: outcome.failureReason,
    ModelArtifacts: { S3ModelArtifacts: d.modelArtifact === undefined ? undefined : localFileUri(d.modelArtifact) },
    OutputDataConfig: { ...request.OutputDataConfig, S3OutputPath: localFileUri(d.outputPath) },
    HyperParameters: request.HyperParameters,
    AlgorithmSpecification: { ...spec, TrainingInputMode: spec?.TrainingInputMode ?? 'File', TrainingImage: d.image },
    RoleArn: describedRoleArn(request.RoleArn, d.account),
    InputDataConfig: request.InputDataConfig?.map((ch) => ({ ...ch, DataSource: describedDataSource(ch.DataSource, d.assemblyDir) })),
    CheckpointConfig: request.CheckpointConfig
      && { ...request.CheckpointConfig, S3Uri: describedUri(request.CheckpointConfig.S3Uri, d.assemblyDir) },
    ResourceConfig: request.ResourceConfig,
    StoppingCondition: { ...request.StoppingCondition, MaxRuntimeInSeconds: d.maxRuntimeSeconds },
    EnableNetworkIsolation: request.EnableNetworkIsolation,
    Environment: request.Environment,
    FinalMetricDataList: d.finalMetrics.map((p): MetricData => ({ MetricName: p.metricName, Value: p.value, Timestamp: p.timestamp })),
    CreationTime: d.creationTime,
    TrainingStartTime: d.startTime,
    TrainingEndTime: d.endTime,
    LastModifiedTime: d.endTime,
    TrainingTimeInSeconds: Math.round((d.endTime.getTime() - d.startTime.getTime()) / 1000),
  };
}
