import * as fs from 'fs';
import * as path from 'path';
import { DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeEndpointCommand, DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  awsError, deployedStack, ENDPOINT, EXECUTION_ARN, interrupt, JOB, LOCAL_PIPELINE, mocks, PIPELINE, REGION, runCli,
  scriptEndpoint, scriptExecution, scriptLogs, scriptTrainingJob, scriptTransformJob, STATE_MACHINE_ARN, StopExecutionCommand,
  successfulHistory, T0, trainingFailureHistory, twoHostTrainingStreams,
  useCloudTestEnv,
} from './cloud-fixtures';
import { defaultClientFactory } from '../../src/cloud/clients';
import { TRAINING_LOG_GROUP, TRANSFORM_LOG_GROUP } from '../../src/cloud/log-tail';

const env = useCloudTestEnv();
const app = env.app;

/** A whole successful execution: training on two hosts, transform, endpoint. */
function successfulRun(): void {
  deployedStack();
  scriptExecution(env.clock, successfulHistory());
  scriptTrainingJob(env.clock, { endAt: 295, finalMetrics: { 'train:accuracy': 0.95 } });
  scriptLogs(env.clock, TRAINING_LOG_GROUP, twoHostTrainingStreams());
  scriptTransformJob(env.clock, 311, 399);
  scriptLogs(env.clock, TRANSFORM_LOG_GROUP, [{ name: `${JOB}/i-0abc-1772359500`, createdAt: 320, lines: [{ at: 330, message: 'transforming part-1.csv' }] }]);
  scriptEndpoint(env.clock, 690);
}

/** Each element of `expected` appears in `lines`, in this order. */
function expectInOrder(lines: string[], expected: (string | RegExp)[]): void {
  let from = 0;
  for (const e of expected) {
    const i = lines.findIndex((l, idx) => idx >= from && (typeof e === 'string' ? l === e : e.test(l)));
    if (i < 0) throw new Error(`expected ${e} after line ${from} in:\n${lines.join('\n')}`);
    from = i + 1;
  }
}

describe('byoa cloud run', () => {
  test('starts the execution of the deployed state machine and follows every step to the end (exit 0)', async () => {
    // GIVEN
    successfulRun();
    // WHEN
    const { code, out, err } = await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(mocks.cloudformation.commandCalls(DescribeStackResourceCommand)[0].args[0].input).toEqual({
      StackName: 'CloudStack', LogicalResourceId: expect.stringMatching(/^IrisStateMachine/),
    });
    expect(mocks.sfn.commandCalls(StartExecutionCommand)[0].args[0].input).toEqual({ stateMachineArn: STATE_MACHINE_ARN, input: '{}' });
    expectInOrder(out, [
      `Started execution ${EXECUTION_ARN} of pipeline ${PIPELINE} (stack CloudStack, ${REGION})`,
      '=== Step Train ===',
      `[${JOB}] Starting - Launching requested ML instances`,
      `[${JOB}] Downloading - Downloading input data`,
      `[${JOB}] Training - Training image download completed. Training in progress.`,
      `[${JOB}] loading data`,
      `[${JOB}] epoch 1 accuracy=0.81`,
      `[${JOB}] metric train:accuracy = 0.81`,
      `[${JOB}/algo-2] worker ready`,
      `[${JOB}] Uploading - Uploading generated training model`,
      `[${JOB}] final train:accuracy = 0.95`,
      `Training job ${JOB} Completed in 299.0 s`,
      `  model:       s3://out/training/${JOB}/output/model.tar.gz`,
      '=== Step Create model ===',
      `Model ${JOB} created in 1.0 s`,
      '=== Step Batch transform ===',
      `[${JOB}] InProgress (running for 0 s)`,
      `[${JOB}/i-0abc] transforming part-1.csv`,
      `[${JOB}] InProgress (running for 59 s)`,
      `[${JOB}] Completed`,
      `Transform job ${JOB} Completed in 90.0 s`,
      `  outputs:     s3://out/transform/${JOB}/`,
      '=== Step Endpoint ===',
      `Endpoint ${ENDPOINT} Creating`,
      `Endpoint ${ENDPOINT} InService`,
      `Endpoint ${ENDPOINT} is in service after 300.0 s`,
      `  invoke: byoa cloud invoke ${PIPELINE} --body INPUT_FILE_OR_STRING`,
      `Pipeline ${PIPELINE} completed in the cloud in 700.0 s: Train, Create model, Batch transform, Endpoint.`,
    ]);
  });

  test('every log line of every host once, although streams are read in pages across many polls; the late stream of algo-2 too', async () => {
    // GIVEN
    successfulRun();
    // WHEN
    const { code, out } = await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    const logLines = out.filter(l => l.startsWith(`[${JOB}`) && !/ (metric|final) |Starting|Downloading|Training -|Uploading|InProgress|Completed$/.test(l));
    expect(logLines).toEqual([
      `[${JOB}] loading data`,
      `[${JOB}] epoch 1 accuracy=0.81`,
      `[${JOB}/algo-2] worker ready`,
      `[${JOB}] epoch 2 accuracy=0.90`,
      `[${JOB}] epoch 3 accuracy=0.95`,
      `[${JOB}/algo-2] worker done`,
      `[${JOB}] saved model`,
      `[${JOB}/i-0abc] transforming part-1.csv`,
    ]);
    // a poll with nothing new sends back the token it got, and the tail stops there
    const calls = mocks.logs.commandCalls(GetLogEventsCommand).map(c => c.args[0].input);
    expect(calls[0]).toMatchObject({ logStreamName: `${JOB}/algo-1-1772359200`, startFromHead: true, nextToken: undefined });
    expect(calls.some(c => c.logStreamName === `${JOB}/algo-2-1772359300`)).toBe(true);
  });

  test('polls once per interval: every wait is the poll interval, no busy loop', async () => {
    // GIVEN
    successfulRun();
    // WHEN
    await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN: 700 s of execution at one poll per 10 s
    expect(new Set(env.clock.sleeps)).toEqual(new Set([10_000]));
    expect(env.clock.sleeps).toHaveLength(70);
    expect(mocks.sfn.commandCalls(GetExecutionHistoryCommand).length).toBeLessThan(71 * 3);
  });

  test('a training job that fails: the step and SageMaker\'s FailureReason, as local mode words them; exit 1', async () => {
    // GIVEN
    deployedStack();
    scriptExecution(env.clock, trainingFailureHistory(200));
    scriptTrainingJob(env.clock, { endAt: 195, failureReason: 'AlgorithmError: loss is NaN, exit code 1' });
    scriptLogs(env.clock, TRAINING_LOG_GROUP, twoHostTrainingStreams());
    // WHEN
    const { code, out, err } = await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(out).toContain(`[${JOB}] Failed - Training job failed`);
    expect(err).toEqual([
      `Training job ${JOB} Failed: AlgorithmError: loss is NaN, exit code 1`,
      `byoa: step 'Train' of pipeline ${PIPELINE} failed: AlgorithmError: loss is NaN, exit code 1 (SageMaker.TrainingJobFailed)`,
    ]);
  });

  test('an endpoint that fails: the Endpoint step and its FailureReason; exit 1', async () => {
    // GIVEN
    deployedStack();
    const history = successfulHistory().filter(e => e.at <= 403);
    history.push(
      { at: 500, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Describe failed endpoint' } },
      { at: 500, type: 'FailStateEntered', stateEnteredEventDetails: { name: 'Endpoint failed' } },
      { at: 500, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'SageMaker.EndpointFailed', cause: 'The primary container for production variant AllTraffic did not pass the ping health check.' } },
    );
    scriptExecution(env.clock, history);
    scriptTrainingJob(env.clock, { endAt: 295 });
    scriptLogs(env.clock, TRAINING_LOG_GROUP, []);
    scriptTransformJob(env.clock, 311, 399);
    scriptLogs(env.clock, TRANSFORM_LOG_GROUP, []);
    scriptEndpoint(env.clock, 495, 'The primary container for production variant AllTraffic did not pass the ping health check.');
    // WHEN
    const { code, out, err } = await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(out).toContain(`Endpoint ${ENDPOINT} Creating`);
    expect(err).toEqual([
      `Endpoint ${ENDPOINT} Failed: The primary container for production variant AllTraffic did not pass the ping health check.`,
      `byoa: step 'Endpoint' of pipeline ${PIPELINE} failed: The primary container for production variant AllTraffic did not pass the ping health check. (SageMaker.EndpointFailed)`,
    ]);
  });

  test('throttling while following: backs off 1 s, 2 s, 4 s and goes on without losing or repeating a line', async () => {
    // GIVEN
    successfulRun();
    let failures = 0;
    mocks.logs.on(GetLogEventsCommand, { logGroupName: TRAINING_LOG_GROUP }).callsFake((() => {
      const streams = twoHostTrainingStreams();
      return (input: any) => {
        if (env.clock.now() >= T0 + 160_000 && failures < 3) {
          failures++;
          throw awsError('ThrottlingException', 'Rate exceeded', 400);
        }
        const stream = streams.find(s => s.name === input.logStreamName)!;
        const from = input.nextToken ? Number(input.nextToken.slice(2)) : 0;
        const page = stream.lines.filter(l => T0 + l.at * 1000 <= env.clock.now()).slice(from, from + 2);
        return {
          events: page.map(l => ({ timestamp: T0 + l.at * 1000, message: l.message })),
          nextForwardToken: page.length ? `f/${from + page.length}` : (input.nextToken ?? 'f/0'),
        };
      };
    })());
    // WHEN
    const { code, out } = await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(failures).toBe(3);
    expect(env.clock.sleeps.filter(ms => ms !== 10_000)).toEqual([1000, 2000, 4000]);
    for (const line of ['epoch 1 accuracy=0.81', 'epoch 2 accuracy=0.90', 'epoch 3 accuracy=0.95', 'saved model']) {
      expect(out.filter(l => l === `[${JOB}] ${line}`)).toHaveLength(1);
    }
  });

  test('--no-follow prints the execution ARN alone on stdout and returns', async () => {
    // GIVEN
    successfulRun();
    // WHEN
    const { code, out, err } = await runCli(['cloud', 'run', PIPELINE, '--no-follow', ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out).toEqual([EXECUTION_ARN]);
    expect(err).toEqual([`Started execution of ${PIPELINE}. Follow it with: byoa cloud follow ${EXECUTION_ARN}`]);
    expect(mocks.sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  test('Ctrl-C detaches: the execution goes on, the command to follow it again is printed; exit 130', async () => {
    // GIVEN
    successfulRun();
    mocks.sagemaker.on(DescribeTrainingJobCommand).callsFakeOnce(() => {
      interrupt();
      return { TrainingJobName: JOB, TrainingJobStatus: 'InProgress' } as any;
    });
    // WHEN
    const { code, err } = await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(130);
    expect(err).toEqual([
      `Detached from execution ${EXECUTION_ARN}: it goes on in the cloud.`,
      `  follow it again: byoa cloud follow ${EXECUTION_ARN}`,
      `  stop it:         aws stepfunctions stop-execution --execution-arn ${EXECUTION_ARN}`,
    ]);
    expect(mocks.sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  test('Ctrl-C with --stop-on-interrupt stops the execution; exit 130', async () => {
    // GIVEN
    successfulRun();
    mocks.sfn.on(StopExecutionCommand).resolves({ stopDate: new Date(T0) });
    mocks.sagemaker.on(DescribeTrainingJobCommand).callsFakeOnce(() => {
      interrupt();
      return { TrainingJobName: JOB, TrainingJobStatus: 'InProgress' } as any;
    });
    // WHEN
    const { code, err } = await runCli(['cloud', 'run', PIPELINE, '--stop-on-interrupt', ...app()], env.clock);
    // THEN
    expect(code).toBe(130);
    expect(mocks.sfn.commandCalls(StopExecutionCommand).map(c => c.args[0].input)).toEqual([
      { executionArn: EXECUTION_ARN, error: 'byoa.Interrupted', cause: 'Stopped with Ctrl-C from byoa cloud (--stop-on-interrupt)' },
    ]);
    expect(err).toEqual([
      `Interrupted: stopping execution ${EXECUTION_ARN}...`,
      `Stopped execution ${EXECUTION_ARN}; Step Functions stops the SageMaker job it was running.`,
    ]);
  });
});

describe('byoa cloud follow', () => {
  test('an execution ARN: its region comes from the ARN; a finished execution is shown to its end at once', async () => {
    // GIVEN
    successfulRun();
    env.clock.t = T0 + 3600_000;
    const targets: string[] = [];
    // WHEN
    const { code, out } = await runCli(['cloud', 'follow', EXECUTION_ARN, '--app', '/nonexistent/cdk.out'], env.clock, {
      clientFactory: (t) => {
        targets.push(t.region);
        return defaultClientFactory(t);
      },
    });
    // THEN
    expect(code).toBe(0);
    expect(targets).toEqual([REGION]);
    expect(env.clock.sleeps).toEqual([]);
    expect(out[0]).toBe(`Following execution ${EXECUTION_ARN} of state machine IrisStateMachine (SUCCEEDED, started 2026-03-01T10:00:00.000Z)`);
    expect(out).toContain(`Training job ${JOB} Completed in 299.0 s`);
    expect(out[out.length - 1]).toBe('Pipeline state machine IrisStateMachine completed in the cloud in 700.0 s: Train, Create model, Batch transform, Endpoint.');
  });

  test('an execution ARN of a pipeline of the assembly: the pipeline is named, and the endpoint\'s invoke command printed', async () => {
    // GIVEN
    successfulRun();
    env.clock.t = T0 + 3600_000;
    // WHEN
    const { code, out } = await runCli(['cloud', 'follow', EXECUTION_ARN, ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out[0]).toMatch(new RegExp(`^Following execution ${EXECUTION_ARN} of ${PIPELINE} \\(SUCCEEDED`));
    expect(out).toContain(`  invoke: byoa cloud invoke ${PIPELINE} --body INPUT_FILE_OR_STRING`);
  });

  test('a PIPELINE: follows its newest execution', async () => {
    // GIVEN
    successfulRun();
    // WHEN
    const { code, out } = await runCli(['cloud', 'follow', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out[0]).toMatch(new RegExp(`^Following execution ${EXECUTION_ARN} of ${PIPELINE} \\(RUNNING`));
  });

  test('a deleted execution gets a clear message; exit 1', async () => {
    // GIVEN
    mocks.sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${EXECUTION_ARN}'`, $metadata: {} }));
    // WHEN
    const { code, err } = await runCli(['cloud', 'follow', EXECUTION_ARN], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err).toEqual([expect.stringMatching(new RegExp(`^byoa: Execution ${EXECUTION_ARN} does not exist: it was deleted with its state machine, or it ended more than 90 days ago`))]);
  });

  test('an execution deleted while it is followed (its state machine was destroyed): the same clear message; exit 1', async () => {
    // GIVEN
    successfulRun();
    mocks.sfn.on(GetExecutionHistoryCommand).callsFake(() => {
      if (env.clock.now() >= T0 + 120_000) throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
      return { events: [] };
    });
    // WHEN
    const { code, err } = await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err).toEqual([expect.stringMatching(new RegExp(`^byoa: Execution ${EXECUTION_ARN} does not exist: it was deleted with its state machine`))]);
  });

  test('an ARN that is not an execution ARN is refused', async () => {
    // WHEN
    const { code, err } = await runCli(['cloud', 'follow', STATE_MACHINE_ARN], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err[0]).toMatch(/is not a Step Functions execution ARN \(arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME\)/);
  });
});

describe('finding the deployed pipeline', () => {
  test('a stack that is not deployed: says so and how to deploy it', async () => {
    // GIVEN
    mocks.cloudformation.on(DescribeStackResourceCommand).rejects(awsError('ValidationError', 'Stack \'CloudStack\' does not exist'));
    // WHEN
    const { code, err } = await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err).toEqual([`byoa: Stack CloudStack of pipeline ${PIPELINE} is not deployed in region ${REGION} (the app deploys it to account 123456789012): `
      + 'CloudFormation says "Stack \'CloudStack\' does not exist". Deploy it first (cdk deploy CloudStack), or give the right --region / --profile.']);
    expect(mocks.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  test('a deployed stack without the state machine (older deployment)', async () => {
    // GIVEN
    mocks.cloudformation.on(DescribeStackResourceCommand).rejects(awsError('ValidationError', 'Resource IrisStateMachine does not exist for stack CloudStack'));
    // WHEN
    const { code, err } = await runCli(['cloud', 'status', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err[0]).toMatch(/the deployed stack is older than the cloud assembly\. Deploy the app again \(cdk deploy CloudStack\)/);
  });

  test('a pipeline synthesized in local mode: nothing to run in the cloud, and no AWS call', async () => {
    // WHEN
    const { code, err } = await runCli(['cloud', 'run', LOCAL_PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err).toEqual([`byoa: Pipeline ${LOCAL_PIPELINE} was synthesized in local mode (localMode: true or the context value byoa:localMode): `
      + 'it has no state machine, jobs or endpoint in the cloud, so there is nothing to run there. '
      + `Run it with 'byoa local run ${LOCAL_PIPELINE}', or synthesize and deploy it without local mode (cdk deploy).`]);
    expect(mocks.cloudformation.calls()).toHaveLength(0);
  });

  test('missing credentials: says how to configure them', async () => {
    // GIVEN
    mocks.cloudformation.on(DescribeStackResourceCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    // WHEN
    const { code, err } = await runCli(['cloud', 'run', PIPELINE, ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err[0]).toMatch(/^byoa: No AWS credentials were found for CloudFormation DescribeStackResource of stack CloudStack \(Could not load credentials from any providers\)\. Configure credentials as for the AWS CLI/);
  });

  test('expired and rejected credentials', async () => {
    // GIVEN
    mocks.cloudformation.on(DescribeStackResourceCommand)
      .rejectsOnce(awsError('ExpiredToken', 'The security token included in the request is expired'))
      .rejectsOnce(awsError('InvalidClientTokenId', 'The security token included in the request is invalid.'));
    // WHEN
    const expired = await runCli(['cloud', 'status', PIPELINE, ...app()], env.clock);
    const rejected = await runCli(['cloud', 'status', PIPELINE, ...app()], env.clock);
    // THEN
    expect(expired.err[0]).toMatch(/^byoa: The AWS credentials have expired \(ExpiredToken from CloudFormation/);
    expect(rejected.err[0]).toMatch(/^byoa: AWS rejected the credentials \(InvalidClientTokenId from CloudFormation/);
  });

  test('--region and --profile reach the clients; the stack\'s region is the default', async () => {
    // GIVEN
    successfulRun();
    const targets: object[] = [];
    const clientFactory = (t: { region: string; profile?: string }) => {
      targets.push(t);
      return defaultClientFactory(t);
    };
    // WHEN
    await runCli(['cloud', 'run', PIPELINE, '--no-follow', ...app()], env.clock, { clientFactory });
    await runCli(['cloud', 'run', PIPELINE, '--no-follow', '--region', 'us-west-2', '--profile', 'ml', ...app()], env.clock, { clientFactory });
    // THEN
    expect(targets).toEqual([{ region: REGION, profile: undefined }, { region: 'us-west-2', profile: 'ml' }]);
  });

  test('a pipeline that is not in the assembly lists the ones that are', async () => {
    // WHEN
    const { code, err } = await runCli(['cloud', 'run', 'Nope', ...app()], env.clock);
    // THEN
    expect(code).toBe(1);
    expect(err[0]).toMatch(/No pipeline 'Nope' in the cloud assembly .* Pipelines: CloudStack\/Iris, LocalStack\/Iris\./);
  });
});

describe('usage', () => {
  test.each([
    [['cloud', 'run', PIPELINE, '--bogus'], /Unknown option '--bogus'/],
    [['cloud', 'run'], /expected exactly one PIPELINE argument, got 0/],
    [['cloud', 'follow'], /expected exactly one EXECUTION_ARN or PIPELINE argument, got 0/],
    [['cloud', 'invoke', PIPELINE], /--body FILE_OR_STRING is required/],
    [['cloud', 'status', PIPELINE, '--limit', '0'], /--limit must be a whole number from 1 to 100, got '0'/],
    [['cloud', 'status', PIPELINE, '--json=yes'], /--json/],
    [['cloud', 'logs', PIPELINE, '--no-follow'], /Unknown option '--no-follow'/],
    [['cloud', 'run', PIPELINE, '--region', 'Ireland'], /--region 'Ireland' is not an AWS region name/],
    [['cloud', 'deploy', PIPELINE], /unknown subcommand 'cloud deploy'. Subcommands: run, follow, status, logs, invoke/],
    [['cloud'], /Usage: byoa cloud <run\|follow\|status\|logs\|invoke>/],
    [['--bogus'], /unknown option '--bogus'. Commands: local, cloud; options: --version, --help/],
    [['local', 'serve', PIPELINE, '--region', 'eu-west-1'], /--profile and --region only apply to an s3:\/\/ --model/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    // WHEN
    const { code, err } = await runCli(args as string[], env.clock);
    // THEN
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(Object.values(mocks).every(m => m.calls().length === 0)).toBe(true);
  });

  test.each(['run', 'follow', 'status', 'logs', 'invoke'])('byoa cloud %s --help', async (sub) => {
    // WHEN
    const { code, out } = await runCli(['cloud', sub, '--help'], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out[0]).toMatch(new RegExp(`^Usage: byoa cloud ${sub} `));
    expect(out[0]).toMatch(/--profile NAME/);
  });

  test('byoa --version prints the package version', async () => {
    // WHEN
    const { code, out } = await runCli(['--version'], env.clock);
    // THEN
    expect(code).toBe(0);
    expect(out).toEqual([JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version]);
  });
});
