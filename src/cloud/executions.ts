/**
 * The executions of a deployed pipeline and the jobs they ran (INTERNAL),
 * for `byoa cloud status`, `follow PIPELINE` and `logs`.
 */
import { DescribeTrainingJobCommand, DescribeTransformJobCommand } from '@aws-sdk/client-sagemaker';
import { ExecutionListItem, GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { AwsCaller, CloudClients } from './clients';
import { DeployedPipeline } from './deployed-pipeline';
import { CloudError } from './errors';

/** One execution, as `byoa cloud status` shows it. */
export interface ExecutionSummary {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate?: string;
  readonly stopDate?: string;
  /** Seconds from start to stop (or to now while running). */
  readonly durationSeconds?: number;
  readonly trainingJob?: { readonly name: string; readonly status?: string; readonly failureReason?: string };
  readonly transformJob?: { readonly name: string; readonly status?: string; readonly failureReason?: string };
  /** Final metrics of the training job (FinalMetricDataList). */
  readonly metrics: { [name: string]: number };
}

/** The newest executions of the pipeline's state machine, newest first. */
export async function listExecutions(
  pipeline: DeployedPipeline, clients: CloudClients, caller: AwsCaller, limit: number,
): Promise<ExecutionListItem[]> {
  const res = await caller.call(() => clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: pipeline.stateMachineArn, maxResults: limit })),
    'Step Functions ListExecutions');
  return res.executions ?? [];
}

/** The newest execution; a clear error when there is none. */
export async function newestExecution(pipeline: DeployedPipeline, clients: CloudClients, caller: AwsCaller): Promise<ExecutionListItem> {
  const [newest] = await listExecutions(pipeline, clients, caller, 1);
  if (!newest?.executionArn) {
    throw new CloudError(`Pipeline ${pipeline.path} has no executions yet (state machine ${pipeline.stateMachineArn}). Start one with 'byoa cloud run ${pipeline.path}'.`);
  }
  return newest;
}

/**
 * The name the execution gave its jobs (the TrainingJobName of its
 * createTrainingJob task), read from the start of its history; undefined
 * when it never got that far.
 */
export async function jobNameOfExecution(executionArn: string, clients: CloudClients, caller: AwsCaller): Promise<string | undefined> {
  let res;
  try {
    res = await caller.call(() => clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 20, includeExecutionData: true })),
      'Step Functions GetExecutionHistory', ['ExecutionDoesNotExist']);
  } catch (e) {
    if ((e as Error).name === 'ExecutionDoesNotExist') return undefined; // listed, then deleted with its state machine
    throw e;
  }
  for (const event of res?.events ?? []) {
    if (event.type !== 'TaskScheduled' || !event.taskScheduledEventDetails?.resource?.startsWith('createTrainingJob')) continue;
    try {
      return JSON.parse(event.taskScheduledEventDetails.parameters ?? '{}').TrainingJobName;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** DescribeTrainingJob / DescribeTransformJob, or undefined when there is no such job. */
export async function describeJob(kind: 'training' | 'transform', name: string, clients: CloudClients, caller: AwsCaller) {
  try {
    if (kind === 'training') {
      const d = await caller.call(() => clients.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name })),
        `SageMaker DescribeTrainingJob ${name}`, ['ValidationException', 'ResourceNotFound']);
      return { status: d.TrainingJobStatus as string | undefined, failureReason: d.FailureReason, finalMetrics: d.FinalMetricDataList ?? [] };
    }
    const d = await caller.call(() => clients.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: name })),
      `SageMaker DescribeTransformJob ${name}`, ['ValidationException', 'ResourceNotFound']);
    return { status: d.TransformJobStatus as string | undefined, failureReason: d.FailureReason, finalMetrics: [] };
  } catch (e) {
    if (['ValidationException', 'ResourceNotFound'].includes((e as Error).name)) return undefined;
    throw e;
  }
}

/** Summaries of the last `limit` executions, with their jobs and final metrics. */
export async function executionSummaries(
  pipeline: DeployedPipeline, clients: CloudClients, caller: AwsCaller, limit: number, now: number,
): Promise<ExecutionSummary[]> {
  const summaries: ExecutionSummary[] = [];
  for (const e of await listExecutions(pipeline, clients, caller, limit)) {
    const jobName = await jobNameOfExecution(e.executionArn!, clients, caller);
    const training = jobName ? await describeJob('training', jobName, clients, caller) : undefined;
    const transform = jobName && pipeline.spec.transform ? await describeJob('transform', jobName, clients, caller) : undefined;
    const start = e.startDate?.getTime();
    const end = e.stopDate?.getTime() ?? now;
    const metrics: { [name: string]: number } = {};
    for (const m of training?.finalMetrics ?? []) if (m.MetricName && m.Value !== undefined) metrics[m.MetricName] = m.Value;
    summaries.push({
      executionArn: e.executionArn!,
      name: e.name ?? '',
      status: e.status ?? 'UNKNOWN',
      startDate: e.startDate?.toISOString(),
      stopDate: e.stopDate?.toISOString(),
      durationSeconds: start !== undefined ? Math.round((end - start) / 1000) : undefined,
      trainingJob: jobName && training ? { name: jobName, status: training.status, failureReason: training.failureReason } : undefined,
      transformJob: jobName && transform ? { name: jobName, status: transform.status, failureReason: transform.failureReason } : undefined,
      metrics,
    });
  }
  return summaries;
}

/** `1h 02m 03s`, `4m 05s`, `6s`. */
export function formatDuration(totalSeconds: number | undefined): string {
  if (totalSeconds === undefined) return '-';
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : m > 0 ? `${m}m ${pad(s)}s` : `${s}s`;
}

/** The rows as an aligned text table. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
