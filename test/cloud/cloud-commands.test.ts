import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DescribeTrainingJobCommand, DescribeTransformJobCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, ModelError, ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import {
  awsError, deployedStack, ENDPOINT, EXECUTION_ARN, interrupt, JOB, mocks, PIPELINE, runCli, scriptExecution, scriptLogs,
  scriptTrainingJob, STATE_MACHINE_ARN, successfulHistory, T0, twoHostTrainingStreams,
  useCloudTestEnv,
} from './cloud-fixtures';
import { TRAINING_LOG_GROUP, TRANSFORM_LOG_GROUP } from '../../src/cloud/log-tail';

const env = useCloudTestEnv();
const app = env.app;

describe('byoa cloud status', () => {
  /** Two executions: one that succeeded with metrics, one that failed before training. */
  function twoExecutions(): void {
    deployedStack();
    env.clock.t = T0 + 3600_000;
    scriptExecution(env.clock, successfulHistory());
    scriptTrainingJob(env.clock, { endAt: 295, finalMetrics: { 'train:accuracy': 0.95, 'train:loss': 0.12 } });
    mocks.sagemaker.on(DescribeTransformJobCommand).resolves({ TransformJobName: JOB, TransformJobStatus: 'Completed' } as any);
    const failedArn = EXECUTION_ARN.replace('run-1', 'run-2');
    scriptExecution(env.clock, [{ at: 0, type: 'ExecutionStarted' }, { at: 5, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.Runtime' } }], failedArn);
    mocks.sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: failedArn, stateMachineArn: STATE_MACHINE_ARN, name: 'run-2', status: 'FAILED', startDate: new Date(T0 + 1000_000), stopDate: new Date(T0 + 1005_000) },
        { executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, name: 'run-1', status: 'SUCCEEDED', startDate: new Date(T0), stopDate: new Date(T0 + 700_000) },
      ],
    });
  }

  test('a table of the last executions: status, start, duration, training job and final metrics', async () => {
    // GIVEN
    twoExecutions();
    // WHEN
    const { code, out } = await runCli(['cloud', 'status', PIPELINE, '--limit', '5', ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(mocks.sfn.commandCalls(ListExecutionsCommand)[0].args[0].input).toEqual({ stateMachineArn: STATE_MACHINE_ARN, maxResults: 5 });
    expect(out).toEqual([
      `Executions of ${PIPELINE} (${STATE_MACHINE_ARN}), newest first:`,
      'EXECUTION  STATUS     STARTED               DURATION  TRAINING JOB               FINAL METRICS',
      'run-2      FAILED     2026-03-01T10:16:40Z  5s        -                          -',
      `run-1      SUCCEEDED  2026-03-01T10:00:00Z  11m 40s   ${JOB} (Completed)  train:accuracy=0.95 train:loss=0.12`,
    ]);
  });

  test('--json for scripts', async () => {
    // GIVEN
    twoExecutions();
    // WHEN
    const { code, out } = await runCli(['cloud', 'status', PIPELINE, '--json', ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    const doc = JSON.parse(out.join('\n'));
    expect(doc.pipeline).toBe(PIPELINE);
    expect(doc.executions[1]).toEqual({
      executionArn: EXECUTION_ARN,
      name: 'run-1',
      status: 'SUCCEEDED',
      startDate: '2026-03-01T10:00:00.000Z',
      stopDate: '2026-03-01T10:11:40.000Z',
      durationSeconds: 700,
      trainingJob: { name: JOB, status: 'Completed' },
      transformJob: { name: JOB, status: 'Completed' },
      metrics: { 'train:accuracy': 0.95, 'train:loss': 0.12 },
    });
    expect(doc.executions[0].trainingJob).toBeUndefined();
  });

  test('no executions yet', async () => {
    // GIVEN
    deployedStack();
    mocks.sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    // WHEN
    const { code, out } = await runCli(['cloud', 'status', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out).toEqual([`Pipeline ${PIPELINE} has no executions yet. Start one with 'byoa cloud run ${PIPELINE}'.`]);
  });
});

describe('byoa cloud logs', () => {
  test('the newest execution\'s training job: every host\'s lines, prefixed as in local mode', async () => {
    // GIVEN
    deployedStack();
    env.clock.t = T0 + 3600_000;
    scriptExecution(env.clock, successfulHistory());
    scriptTrainingJob(env.clock, { endAt: 295 });
    scriptLogs(env.clock, TRAINING_LOG_GROUP, twoHostTrainingStreams());
    // WHEN
    const { code, out, err } = await runCli(['cloud', 'logs', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual([
      `[${JOB}] loading data`, `[${JOB}] epoch 1 accuracy=0.81`, `[${JOB}] epoch 2 accuracy=0.90`, `[${JOB}] epoch 3 accuracy=0.95`, `[${JOB}] saved model`,
      `[${JOB}/algo-2] worker ready`, `[${JOB}/algo-2] worker done`,
    ]);
  });

  test('--job NAME of a transform job reads the transform log group', async () => {
    // GIVEN
    mocks.sagemaker.on(DescribeTrainingJobCommand).rejects(awsError('ValidationException', 'Requested resource not found.'));
    mocks.sagemaker.on(DescribeTransformJobCommand).resolves({ TransformJobName: 'other-job', TransformJobStatus: 'Completed' } as any);
    scriptLogs(env.clock, TRANSFORM_LOG_GROUP, [{ name: 'other-job/i-0abc-1772359500', createdAt: 0, lines: [{ at: 0, message: 'hello' }] }]);
    // WHEN
    const { code, out } = await runCli(['cloud', 'logs', PIPELINE, '--job', 'other-job', ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out).toEqual(['[other-job/i-0abc] hello']);
  });

  test('--follow prints new lines as they come until the job ends, each once', async () => {
    // GIVEN
    scriptTrainingJob(env.clock, { endAt: 295 });
    scriptLogs(env.clock, TRAINING_LOG_GROUP, twoHostTrainingStreams());
    // WHEN
    const { code, out, err } = await runCli(['cloud', 'logs', PIPELINE, '--job', JOB, '--follow', ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out).toEqual([
      `[${JOB}] loading data`, `[${JOB}] epoch 1 accuracy=0.81`, `[${JOB}/algo-2] worker ready`, `[${JOB}] epoch 2 accuracy=0.90`,
      `[${JOB}] epoch 3 accuracy=0.95`, `[${JOB}/algo-2] worker done`, `[${JOB}] saved model`,
    ]);
    expect(err).toEqual([`Training job ${JOB} Completed`]);
    expect(new Set(env.clock.sleeps)).toEqual(new Set([10_000]));
  });

  test('--follow ends on Ctrl-C (the job goes on)', async () => {
    // GIVEN
    scriptTrainingJob(env.clock, { endAt: 295 });
    scriptLogs(env.clock, TRAINING_LOG_GROUP, twoHostTrainingStreams());
    mocks.sagemaker.on(DescribeTrainingJobCommand).callsFakeOnce(() => ({ TrainingJobStatus: 'InProgress' }))
      .callsFakeOnce(() => {
        interrupt();
        return { TrainingJobStatus: 'InProgress' };
      });
    // WHEN
    const { code, err } = await runCli(['cloud', 'logs', PIPELINE, '--job', JOB, '--follow', ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(err).toEqual([`Stopped following the logs of ${JOB} (the job goes on).`]);
  });

  test('a job that does not exist', async () => {
    // GIVEN
    mocks.sagemaker.on(DescribeTrainingJobCommand).rejects(awsError('ValidationException', 'Requested resource not found.'));
    mocks.sagemaker.on(DescribeTransformJobCommand).rejects(awsError('ValidationException', 'Could not find requested job'));
    // WHEN
    const { code, err } = await runCli(['cloud', 'logs', PIPELINE, '--job', 'nope', ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err).toEqual([`byoa: There is no training or batch transform job 'nope' in eu-west-1. See the jobs of the last executions with 'byoa cloud status ${PIPELINE}'.`]);
  });

  test('a job whose streams do not exist yet', async () => {
    // GIVEN
    mocks.sagemaker.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'InProgress' } as any);
    scriptLogs(env.clock, TRAINING_LOG_GROUP, []);
    // WHEN
    const { code, err } = await runCli(['cloud', 'logs', PIPELINE, '--job', JOB, ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(err).toEqual([`No log streams of ${JOB} in /aws/sagemaker/TrainingJobs yet (SageMaker creates them when the job's instances start).`]);
  });
});

describe('byoa cloud invoke', () => {
  test('a string body with the transform\'s content type: the answer is printed', async () => {
    // GIVEN
    mocks.runtime.on(InvokeEndpointCommand).resolves({ Body: Buffer.from('setosa\n') as any, ContentType: 'text/csv' });
    // WHEN
    const { code, out, err } = await runCli(['cloud', 'invoke', PIPELINE, '--body', '5.1,3.5,1.4,0.2', ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out).toEqual(['setosa']);
    expect(err).toEqual(['(text/csv, body given as a string, content type text/csv)']);
    const input = mocks.runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input;
    expect(input.EndpointName).toBe(ENDPOINT);
    expect(input.ContentType).toBe('text/csv');
    expect(Buffer.from(input.Body as Uint8Array).toString()).toBe('5.1,3.5,1.4,0.2');
  });

  test('a file body with --content-type and --accept', async () => {
    // GIVEN
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-invoke-')), 'body.json');
    fs.writeFileSync(file, '{"instances": [[1, 2, 3, 4]]}');
    mocks.runtime.on(InvokeEndpointCommand).resolves({ Body: Buffer.from('{"predictions": [0]}') as any, ContentType: 'application/json' });
    // WHEN
    const { code, out } = await runCli(['cloud', 'invoke', PIPELINE, '--body', file, '--content-type', 'application/json', '--accept', 'application/json', ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out).toEqual(['{"predictions": [0]}']);
    const input = mocks.runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input;
    expect(Buffer.from(input.Body as Uint8Array).toString()).toBe('{"instances": [[1, 2, 3, 4]]}');
    expect(input).toMatchObject({ ContentType: 'application/json', Accept: 'application/json' });
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  test('a model error is an error with the container\'s status and message, never a prediction; exit 1', async () => {
    // GIVEN
    mocks.runtime.on(InvokeEndpointCommand).rejects(new ModelError({
      message: 'Received client error (400) from primary with message "bad row". See https://... in account 123456789012 for more information.',
      $metadata: {},
      OriginalStatusCode: 400,
      OriginalMessage: 'bad row',
      LogStreamArn: `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/${ENDPOINT}`,
    }));
    // WHEN
    const { code, out, err } = await runCli(['cloud', 'invoke', PIPELINE, '--body', 'x', ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `byoa: the model of endpoint ${ENDPOINT} answered with an error: status 400, message "bad row"`,
      `  logs: arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/${ENDPOINT}`,
    ]);
  });

  test('an endpoint that is not deployed yet', async () => {
    // GIVEN
    mocks.runtime.on(InvokeEndpointCommand).rejects(new ValidationError({ message: `Endpoint ${ENDPOINT} of account 123456789012 not found.`, $metadata: {} }));
    // WHEN
    const { code, err } = await runCli(['cloud', 'invoke', PIPELINE, '--body', 'x', ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err).toEqual([`byoa: Endpoint ${ENDPOINT} of pipeline ${PIPELINE} is not deployed in eu-west-1 (SageMaker: "Endpoint ${ENDPOINT} of account 123456789012 not found."). `
      + `The pipeline creates it in its last step: run 'byoa cloud run ${PIPELINE}'.`]);
  });
});
