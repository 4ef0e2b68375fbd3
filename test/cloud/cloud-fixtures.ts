/**
 * A simulated deployed pipeline for the `byoa cloud` tests: the SDK clients
 * are mocked with aws-sdk-client-mock, and what they answer depends on the
 * fake clock, so an execution, its jobs and their log streams progress as
 * the follower sleeps. Nothing here waits for real time.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeEndpointCommand, DescribeTrainingJobCommand, DescribeTransformJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, HistoryEvent, ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { ByoaPipeline, InstanceType, TrainingInput, TransformInput } from '../../src';
import { main } from '../../src/cli/byoa';
import { CloudDeps } from '../../src/cli/cloud-commands';
import { defaultClientFactory } from '../../src/cloud/clients';
import { Clock } from '../../src/cloud/clock';
import { dataBucket, IRIS_BATCH_DATA, IRIS_TRAINING_DATA, minimalPipelineProps, repositoryImage, TEST_ENV } from '../support/pipeline-fixtures';

export const ACCOUNT = TEST_ENV.account;
export const REGION = TEST_ENV.region;
export const PIPELINE = 'CloudStack/Iris';
export const LOCAL_PIPELINE = 'LocalStack/Iris';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:IrisStateMachine`;
export const EXECUTION_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:IrisStateMachine:run-1`;
export const JOB = 'iris-0f1e2d3c';
export const ENDPOINT = 'iris-endpoint';
export const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/** Synthesizes a cloud-mode and a local-mode pipeline into a temporary cdk.out (once per test file). */
export function synthAssembly(): { dir: string; dispose(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-cloud-test-'));
  const app = new App({ outdir: dir });
  const cloud = new Stack(app, 'CloudStack', { env: TEST_ENV });
  new ByoaPipeline(cloud, 'Iris', minimalPipelineProps(cloud, {
    namePrefix: 'iris',
    training: { metricDefinitions: [{ name: 'train:accuracy', regex: 'accuracy=([0-9.]+)' }] },
    batchTransform: { input: TransformInput.fromBucket(dataBucket(cloud, 'Batch'), 'batch/'), contentType: 'text/csv' },
    endpoint: { endpointName: ENDPOINT, instanceType: InstanceType.ML_T2_MEDIUM },
  }));
  const local = new Stack(app, 'LocalStack', { env: TEST_ENV });
  // local mode deploys nothing; one resource keeps CDK's template validation quiet
  new CfnWaitConditionHandle(local, 'Placeholder');
  new ByoaPipeline(local, 'Iris', minimalPipelineProps(local, {
    localMode: true,
    image: repositoryImage(local),
    training: { channels: [{ channelName: 'training', input: TrainingInput.fromAsset(IRIS_TRAINING_DATA) }] },
    batchTransform: { input: TransformInput.fromAsset(IRIS_BATCH_DATA) },
  }));
  app.synth();
  return { dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** What every test of a file shares: the synthesized assembly, reset mocks and a new fake clock per test. */
export interface CloudTestEnv {
  readonly clock: FakeClock;
  /** `--app <the synthesized assembly>`. */
  app(): string[];
}

/** Registers the jest hooks that set up a {@link CloudTestEnv}. */
export function useCloudTestEnv(): CloudTestEnv {
  let assembly: { dir: string; dispose(): void };
  let clock: FakeClock;
  beforeAll(() => {
    assembly = synthAssembly();
  });
  afterAll(() => assembly.dispose());
  beforeEach(() => {
    resetMocks();
    clock = new FakeClock();
  });
  return {
    get clock() {
      return clock;
    },
    app: () => ['--app', assembly.dir],
  };
}

/** A clock whose sleeps pass instantly; it records them. */
export class FakeClock implements Clock {
  public t = T0;
  public readonly sleeps: number[] = [];
  public now(): number {
    return this.t;
  }
  public async sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    this.sleeps.push(ms);
    this.t += ms;
    await Promise.resolve();
    return !signal?.aborted;
  }
}

export const mocks = {
  sfn: mockClient(SFNClient),
  sagemaker: mockClient(SageMakerClient),
  logs: mockClient(CloudWatchLogsClient),
  cloudformation: mockClient(CloudFormationClient),
  runtime: mockClient(SageMakerRuntimeClient),
};

export function resetMocks(): void {
  Object.values(mocks).forEach(m => m.reset());
}

/** An SDK-style service error. */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

/** CloudFormation finds the pipeline's state machine. */
export function deployedStack(): void {
  mocks.cloudformation.on(DescribeStackResourceCommand).resolves({
    StackResourceDetail: {
      StackName: 'CloudStack',
      LogicalResourceId: 'IrisStateMachine',
      PhysicalResourceId: STATE_MACHINE_ARN,
      ResourceType: 'AWS::StepFunctions::StateMachine',
      ResourceStatus: 'CREATE_COMPLETE',
      LastUpdatedTimestamp: new Date(T0),
    },
  });
}

/** One step of a scripted execution history: `at` seconds after T0. */
export interface ScriptedEvent extends Omit<HistoryEvent, 'id' | 'timestamp'> {
  readonly at: number;
}

const entered = (at: number, type: string, name: string): ScriptedEvent => ({ at, type: type as any, stateEnteredEventDetails: { name } });
const exited = (at: number, type: string, name: string): ScriptedEvent => ({ at, type: type as any, stateExitedEventDetails: { name } });
const scheduled = (at: number, resource: string, parameters: object): ScriptedEvent => ({
  at, type: 'TaskScheduled', taskScheduledEventDetails: { resource, resourceType: 'sagemaker', region: REGION, parameters: JSON.stringify(parameters) },
});

/** The history of an execution that trains (0-300 s), creates the model, transforms (310-400 s) and deploys the endpoint (400-700 s). */
export function successfulHistory(): ScriptedEvent[] {
  return [
    { at: 0, type: 'ExecutionStarted' },
    entered(0, 'PassStateEntered', 'Name the jobs'),
    exited(0, 'PassStateExited', 'Name the jobs'),
    entered(1, 'TaskStateEntered', 'Train'),
    scheduled(1, 'createTrainingJob.sync', { TrainingJobName: JOB }),
    exited(300, 'TaskStateExited', 'Train'),
    entered(300, 'TaskStateEntered', 'Create model'),
    scheduled(300, 'createModel', { ModelName: JOB }),
    exited(301, 'TaskStateExited', 'Create model'),
    entered(310, 'TaskStateEntered', 'Batch transform'),
    scheduled(310, 'createTransformJob.sync', { TransformJobName: JOB, TransformOutput: { S3OutputPath: `s3://out/transform/${JOB}/` } }),
    exited(400, 'TaskStateExited', 'Batch transform'),
    entered(400, 'TaskStateEntered', 'Create endpoint config'),
    exited(401, 'TaskStateExited', 'Create endpoint config'),
    entered(401, 'TaskStateEntered', 'Does the endpoint exist?'),
    scheduled(401, 'describeEndpoint', { EndpointName: ENDPOINT }),
    entered(402, 'TaskStateEntered', 'Create endpoint'),
    scheduled(402, 'createEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: JOB }),
    entered(403, 'WaitStateEntered', 'Wait for the endpoint'),
    entered(700, 'PassStateEntered', 'Endpoint in service'),
    exited(700, 'PassStateExited', 'Endpoint in service'),
    entered(700, 'SucceedStateEntered', 'Done'),
    { at: 700, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: '{}' } },
  ];
}

/** The training part of a history that fails in training at `at`. */
export function trainingFailureHistory(at = 200): ScriptedEvent[] {
  return [
    { at: 0, type: 'ExecutionStarted' },
    entered(0, 'PassStateEntered', 'Name the jobs'),
    entered(1, 'TaskStateEntered', 'Train'),
    scheduled(1, 'createTrainingJob.sync', { TrainingJobName: JOB }),
    entered(at, 'TaskStateEntered', 'Describe failed TrainingJob'),
    entered(at, 'FailStateEntered', 'TrainingJob failed'),
    { at, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'SageMaker.TrainingJobFailed', cause: 'AlgorithmError: loss is NaN' } },
  ];
}

/** Answers of the Step Functions mock for one execution whose history unfolds with the clock. */
export function scriptExecution(clock: FakeClock, history: ScriptedEvent[], executionArn = EXECUTION_ARN): void {
  const events: HistoryEvent[] = history.map((e, i) => {
    const { at, ...rest } = e;
    return { ...rest, id: i + 1, previousEventId: i, timestamp: new Date(T0 + at * 1000) } as HistoryEvent;
  });
  const visible = () => events.filter(e => e.timestamp!.getTime() <= clock.now());
  const ended = () => visible().some(e => /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(e.type ?? ''));
  mocks.sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date(T0) });
  mocks.sfn.on(DescribeExecutionCommand, { executionArn }).callsFake(() => ({
    executionArn, stateMachineArn: STATE_MACHINE_ARN, status: ended() ? 'SUCCEEDED' : 'RUNNING', startDate: new Date(T0),
  }));
  mocks.sfn.on(ListExecutionsCommand).resolves({
    executions: [{ executionArn, stateMachineArn: STATE_MACHINE_ARN, name: 'run-1', status: 'RUNNING', startDate: new Date(T0) }],
  });
  // Pages of 5 events, newest first when reverseOrder is set: the follower pages down to what it has seen.
  mocks.sfn.on(GetExecutionHistoryCommand, { executionArn }).callsFake((input) => {
    const all = input.reverseOrder ? [...visible()].reverse() : visible();
    const size = Math.min(input.maxResults ?? 100, 5);
    const start = Number(input.nextToken ?? 0);
    const page = all.slice(start, start + size);
    return { events: page, nextToken: start + size < all.length ? String(start + size) : undefined };
  });
}

/** One simulated CloudWatch stream: created at `createdAt` s, its lines at their `at`. */
export interface ScriptedStream {
  readonly name: string;
  readonly createdAt: number;
  readonly lines: { at: number; message: string }[];
}

/**
 * CloudWatch Logs answers for the streams of one group. GetLogEvents gives at
 * most 2 events per page and, like the service, returns the token it was given
 * when there is nothing new; tokens are `f/<next index>`.
 */
export function scriptLogs(clock: FakeClock, group: string, streams: ScriptedStream[]): void {
  mocks.logs.on(DescribeLogStreamsCommand, { logGroupName: group }).callsFake((input) => ({
    logStreams: streams.filter(s => s.name.startsWith(input.logStreamNamePrefix ?? '') && T0 + s.createdAt * 1000 <= clock.now())
      .map(s => ({ logStreamName: s.name, creationTime: T0 + s.createdAt * 1000 })),
  }));
  mocks.logs.on(GetLogEventsCommand, { logGroupName: group }).callsFake((input) => {
    const stream = streams.find(s => s.name === input.logStreamName);
    if (!stream) throw awsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    const from = input.nextToken ? Number(input.nextToken.slice(2)) : 0;
    const available = stream.lines.filter(l => T0 + l.at * 1000 <= clock.now());
    const page = available.slice(from, from + 2);
    return {
      events: page.map(l => ({ timestamp: T0 + l.at * 1000, message: l.message, ingestionTime: T0 + l.at * 1000 })),
      nextForwardToken: page.length > 0 ? `f/${from + page.length}` : (input.nextToken ?? 'f/0'),
      nextBackwardToken: 'b/0',
    };
  });
}

/** Training job answers: secondary status transitions appear at their times. */
export interface TrainingScript {
  readonly endAt: number;
  readonly failureReason?: string;
  readonly finalMetrics?: { [name: string]: number };
}

export function scriptTrainingJob(clock: FakeClock, options: TrainingScript): void {
  const transitions = [
    { at: 1, Status: 'Starting', StatusMessage: 'Launching requested ML instances' },
    { at: 60, Status: 'Downloading', StatusMessage: 'Downloading input data' },
    { at: 90, Status: 'Training', StatusMessage: 'Training image download completed. Training in progress.' },
    { at: options.endAt, Status: options.failureReason ? 'Failed' : 'Uploading', StatusMessage: options.failureReason ? 'Training job failed' : 'Uploading generated training model' },
  ];
  mocks.sagemaker.on(DescribeTrainingJobCommand, { TrainingJobName: JOB }).callsFake(() => {
    const done = clock.now() >= T0 + options.endAt * 1000;
    return {
      TrainingJobName: JOB,
      TrainingJobStatus: done ? (options.failureReason ? 'Failed' : 'Completed') : 'InProgress',
      SecondaryStatus: 'Training',
      FailureReason: done ? options.failureReason : undefined,
      SecondaryStatusTransitions: transitions.filter(t => T0 + t.at * 1000 <= clock.now())
        .map(t => ({ Status: t.Status as any, StatusMessage: t.StatusMessage, StartTime: new Date(T0 + t.at * 1000) })),
      AlgorithmSpecification: { TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'train:accuracy', Regex: 'accuracy=([0-9.]+)' }] },
      ModelArtifacts: { S3ModelArtifacts: `s3://out/training/${JOB}/output/model.tar.gz` },
      FinalMetricDataList: done && !options.failureReason
        ? Object.entries(options.finalMetrics ?? {}).map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: new Date(T0) }))
        : undefined,
      CreationTime: new Date(T0),
    } as any;
  });
}

export function scriptTransformJob(clock: FakeClock, startAt: number, endAt: number): void {
  mocks.sagemaker.on(DescribeTransformJobCommand, { TransformJobName: JOB }).callsFake(() => ({
    TransformJobName: JOB,
    TransformJobStatus: clock.now() >= T0 + endAt * 1000 ? 'Completed' : 'InProgress',
    TransformStartTime: new Date(T0 + startAt * 1000),
    TransformOutput: { S3OutputPath: `s3://out/transform/${JOB}/` },
  } as any));
}

export function scriptEndpoint(clock: FakeClock, inServiceAt: number, failure?: string): void {
  mocks.sagemaker.on(DescribeEndpointCommand, { EndpointName: ENDPOINT }).callsFake(() => {
    const done = clock.now() >= T0 + inServiceAt * 1000;
    return {
      EndpointName: ENDPOINT,
      EndpointStatus: done ? (failure ? 'Failed' : 'InService') : 'Creating',
      FailureReason: done ? failure : undefined,
    } as any;
  });
}

/** The training log streams of two hosts: algo-2's stream only appears at 150 s. */
export function twoHostTrainingStreams(): ScriptedStream[] {
  return [
    {
      name: `${JOB}/algo-1-1772359200`,
      createdAt: 80,
      lines: [
        { at: 95, message: 'loading data' },
        { at: 100, message: 'epoch 1 accuracy=0.81' },
        { at: 160, message: 'epoch 2 accuracy=0.90' },
        { at: 200, message: 'epoch 3 accuracy=0.95' },
        { at: 290, message: 'saved model' },
      ],
    },
    {
      name: `${JOB}/algo-2-1772359300`,
      createdAt: 150,
      lines: [
        { at: 150, message: 'worker ready' },
        { at: 210, message: 'worker done' },
      ],
    },
  ];
}

export interface CliResult {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

/** Runs the CLI in process; Ctrl-C is simulated through `interrupt()`. */
export async function runCli(args: string[], clock: FakeClock, extra: Partial<CloudDeps> = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: l => out.push(l), err: l => err.push(l) }, {
    clock,
    pollIntervalMs: 10_000,
    clientFactory: defaultClientFactory,
    onInterrupt: (handler) => {
      interruptHandlers.push(handler);
      return () => interruptHandlers.splice(interruptHandlers.indexOf(handler), 1);
    },
    ...extra,
  });
  return { code, out, err };
}

/** Handlers the CLI subscribed to Ctrl-C. */
export const interruptHandlers: (() => void)[] = [];

/** Simulates Ctrl-C. */
export function interrupt(): void {
  [...interruptHandlers].forEach(h => h());
}

export { StopExecutionCommand };
