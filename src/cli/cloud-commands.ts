/**
 * `byoa cloud run|follow|status|logs|invoke` (INTERNAL to the CLI): the
 * deployed pipeline, found through the cloud assembly and CloudFormation,
 * run and followed with the look of `byoa local`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { ModelError as RuntimeModelError, InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CLOUD_HELP, USAGE_CLOUD } from './cloud-help';
import { AwsCaller, ClientFactory, CloudClients, defaultClientFactory } from '../cloud/clients';
import { Clock, systemClock } from '../cloud/clock';
import { DeployedPipeline, findDeployedPipeline, requireCloudSpec, resolveRegion } from '../cloud/deployed-pipeline';
import { CloudError, describeAwsError } from '../cloud/errors';
import { ExecutionFollower } from '../cloud/execution-follower';
import { describeJob, executionSummaries, formatDuration, formatTable, jobNameOfExecution, newestExecution } from '../cloud/executions';
import { printLine, Printer } from '../cloud/job-watch';
import { LogTail, TRAINING_LOG_GROUP, TRANSFORM_LOG_GROUP } from '../cloud/log-tail';
import { readRunSpec, readRunSpecs } from '../local/private/cloud-assembly';
import type { RunSpec } from '../private/run-spec';

/** What `byoa cloud` talks to (replaceable in tests). */
export interface CloudDeps {
  /** @default - the SDK's clients with the default credential chain */
  readonly clientFactory?: ClientFactory;
  /** @default - the system clock */
  readonly clock?: Clock;
  /** Calls `handler` on Ctrl-C; returns the unsubscribe function. @default - SIGINT and SIGTERM of this process */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** Time between polls while following. @default 5000 ms */
  readonly pollIntervalMs?: number;
}

/** What `byoa cloud` writes to. */
export interface CloudOutput extends Printer {
  write?(text: string): void;
}

/** Exit code after Ctrl-C, as shells report SIGINT. */
const INTERRUPTED = 130;

/** The first Ctrl-C (SIGINT or SIGTERM) calls `handler`; a second one while it is handled ends the process at once. */
const processInterrupts = (handler: () => void): (() => void) => {
  let count = 0;
  const onSignal = () => {
    if (++count > 1) process.exit(INTERRUPTED);
    handler();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
};

const EXECUTION_ARN = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):execution:([^:]+):([^:]+)$/;

/** Runs `byoa cloud ARGS`; resolves with the exit code. */
export async function cloudMain(args: string[], output: CloudOutput, deps: CloudDeps = {}): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '-h' || sub === '--help') {
    if (sub) output.out(USAGE_CLOUD); else output.err(USAGE_CLOUD);
    return sub ? 0 : 2;
  }
  if (!(sub in CLOUD_HELP)) {
    output.err(`byoa: unknown subcommand 'cloud ${sub}'. Subcommands: ${Object.keys(CLOUD_HELP).join(', ')}.\n\n${USAGE_CLOUD}`);
    return 2;
  }
  const help = CLOUD_HELP[sub];
  const options = {
    app: { type: 'string', default: 'cdk.out' },
    profile: { type: 'string' },
    region: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
    ...(sub === 'run' ? { 'no-follow': { type: 'boolean', default: false } } : {}),
    ...(sub === 'run' || sub === 'follow' ? { 'stop-on-interrupt': { type: 'boolean', default: false } } : {}),
    ...(sub === 'status' ? { json: { type: 'boolean', default: false }, limit: { type: 'string', default: '10' } } : {}),
    ...(sub === 'logs' ? { job: { type: 'string' }, follow: { type: 'boolean', default: false } } : {}),
    ...(sub === 'invoke' ? { 'body': { type: 'string' }, 'content-type': { type: 'string' }, 'accept': { type: 'string' } } : {}),
  } as const;
  let values: { [name: string]: string | boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: options as any }) as any);
  } catch (e) {
    output.err(`byoa: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
  if (values.help) {
    output.out(help);
    return 0;
  }
  const usage = (message: string) => {
    output.err(`byoa: ${message}\n\n${help}`);
    return 2;
  };
  const what = sub === 'follow' ? 'EXECUTION_ARN or PIPELINE' : 'PIPELINE';
  if (positionals.length !== 1) return usage(`expected exactly one ${what} argument, got ${positionals.length}.`);
  if (sub === 'invoke' && values.body === undefined) return usage('--body FILE_OR_STRING is required.');
  const limit = Number(values.limit ?? '10');
  if (sub === 'status' && (!Number.isInteger(limit) || limit < 1 || limit > 100)) return usage(`--limit must be a whole number from 1 to 100, got '${values.limit}'.`);
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(values.region as string)) {
    return usage(`--region '${values.region}' is not an AWS region name (like eu-west-1).`);
  }

  const ctx: CommandContext = {
    output,
    clock: deps.clock ?? systemClock,
    factory: deps.clientFactory ?? defaultClientFactory,
    onInterrupt: deps.onInterrupt ?? processInterrupts,
    pollIntervalMs: deps.pollIntervalMs,
    appDir: path.resolve(values.app as string),
    profile: values.profile as string | undefined,
    region: values.region as string | undefined,
  };
  try {
    switch (sub) {
      case 'run': return await runCommand(ctx, positionals[0], values['no-follow'] === true, values['stop-on-interrupt'] === true);
      case 'follow': return await followCommand(ctx, positionals[0], values['stop-on-interrupt'] === true);
      case 'status': return await statusCommand(ctx, positionals[0], limit, values.json === true);
      case 'logs': return await logsCommand(ctx, positionals[0], values.job as string | undefined, values.follow === true);
      case 'invoke': return await invokeCommand(ctx, positionals[0], values.body as string, values['content-type'] as string | undefined, values.accept as string | undefined);
      default: return 2;
    }
  } catch (e) {
    output.err(`byoa: ${e instanceof CloudError ? e.message : describeAwsError(e, `byoa cloud ${sub}`)}`);
    return 1;
  }
}

interface CommandContext {
  readonly output: CloudOutput;
  readonly clock: Clock;
  readonly factory: ClientFactory;
  readonly onInterrupt: (handler: () => void) => () => void;
  readonly pollIntervalMs?: number;
  readonly appDir: string;
  readonly profile?: string;
  readonly region?: string;
}

/** The run spec of PIPELINE from the assembly; a pipeline synthesized in local mode is refused here. */
function cloudSpec(ctx: CommandContext, pipelineArg: string): RunSpec {
  let spec: RunSpec;
  try {
    spec = readRunSpec(ctx.appDir, pipelineArg);
  } catch (e) {
    throw new CloudError((e as Error).message);
  }
  requireCloudSpec(spec);
  return spec;
}

async function clientsFor(ctx: CommandContext, spec: RunSpec | undefined, region?: string): Promise<CloudClients> {
  const resolved = region ?? await resolveRegion(ctx.region, spec, ctx.profile);
  return ctx.factory({ region: resolved, profile: ctx.profile });
}

/** The pipeline's state machine in its deployed stack. */
async function deployed(ctx: CommandContext, pipelineArg: string, caller: AwsCaller): Promise<{ pipeline: DeployedPipeline; clients: CloudClients }> {
  const spec = cloudSpec(ctx, pipelineArg);
  const clients = await clientsFor(ctx, spec);
  return { pipeline: await findDeployedPipeline(spec, clients, caller), clients };
}

function invokeHint(pipeline: DeployedPipeline): string | undefined {
  return pipeline.endpointName ? `byoa cloud invoke ${pipeline.path} --body INPUT_FILE_OR_STRING` : undefined;
}

async function runCommand(ctx: CommandContext, pipelineArg: string, noFollow: boolean, stopOnInterrupt: boolean): Promise<number> {
  const caller = new AwsCaller(ctx.clock);
  const { pipeline, clients } = await deployed(ctx, pipelineArg, caller);
  const started = await caller.call(() => clients.sfn.send(new StartExecutionCommand({ stateMachineArn: pipeline.stateMachineArn, input: '{}' })),
    `Step Functions StartExecution of ${pipeline.stateMachineArn}`);
  const arn = started.executionArn!;
  if (noFollow) {
    ctx.output.out(arn);
    ctx.output.err(`Started execution of ${pipeline.path}. Follow it with: byoa cloud follow ${arn}`);
    return 0;
  }
  ctx.output.out(`Started execution ${arn} of pipeline ${pipeline.path} (stack ${pipeline.stackName}, ${pipeline.region})`);
  return follow(ctx, clients, arn, pipeline.path, invokeHint(pipeline), stopOnInterrupt);
}

async function followCommand(ctx: CommandContext, target: string, stopOnInterrupt: boolean): Promise<number> {
  const arn = EXECUTION_ARN.exec(target);
  if (arn) {
    const clients = await clientsFor(ctx, undefined, ctx.region ?? arn[1]);
    const pipeline = await pipelineOfExecution(ctx, clients, target);
    return pipeline
      ? follow(ctx, clients, target, pipeline.path, invokeHint(pipeline), stopOnInterrupt)
      : follow(ctx, clients, target, `state machine ${arn[3]}`, undefined, stopOnInterrupt);
  }
  if (target.startsWith('arn:')) {
    throw new CloudError(`'${target}' is not a Step Functions execution ARN (arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME). `
      + 'Give an execution ARN, or a PIPELINE to follow its newest execution.');
  }
  const caller = new AwsCaller(ctx.clock);
  const { pipeline, clients } = await deployed(ctx, target, caller);
  const newest = await newestExecution(pipeline, clients, caller);
  return follow(ctx, clients, newest.executionArn!, pipeline.path, invokeHint(pipeline), stopOnInterrupt);
}

/**
 * The pipeline of the cloud assembly (when there is one) whose deployed state
 * machine ran the execution, to name it in messages; undefined when none does.
 */
async function pipelineOfExecution(ctx: CommandContext, clients: CloudClients, executionArn: string): Promise<DeployedPipeline | undefined> {
  let specs: RunSpec[];
  try {
    specs = [...readRunSpecs(ctx.appDir).values()].filter(s => !s.options.localMode && s.cloud && (!s.region || s.region === clients.region));
  } catch {
    return undefined; // no (readable) assembly here: the ARN is enough
  }
  const stateMachineArn = executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
  const caller = new AwsCaller(ctx.clock);
  for (const spec of specs) {
    const found = await findDeployedPipeline(spec, clients, caller).catch(() => undefined);
    if (found?.stateMachineArn === stateMachineArn) return found;
  }
  return undefined;
}

/** Follows until the end or Ctrl-C; then detaches or stops the execution. */
async function follow(
  ctx: CommandContext, clients: CloudClients, executionArn: string, label: string, hint: string | undefined, stopOnInterrupt: boolean,
): Promise<number> {
  const controller = new AbortController();
  const unsubscribe = ctx.onInterrupt(() => controller.abort());
  let result;
  try {
    const follower = new ExecutionFollower({
      clients,
      caller: new AwsCaller(ctx.clock, {}, controller.signal),
      clock: ctx.clock,
      output: ctx.output,
      signal: controller.signal,
      pipelineLabel: label,
      invokeHint: hint,
      pollIntervalMs: ctx.pollIntervalMs,
    }, executionArn);
    result = await follower.follow();
  } finally {
    unsubscribe();
  }
  if (result.outcome === 'SUCCEEDED') return 0;
  if (result.outcome !== 'INTERRUPTED') return 1;
  if (stopOnInterrupt) {
    ctx.output.err(`Interrupted: stopping execution ${executionArn}...`);
    await new AwsCaller(ctx.clock).call(() => clients.sfn.send(new StopExecutionCommand({
      executionArn, error: 'byoa.Interrupted', cause: 'Stopped with Ctrl-C from byoa cloud (--stop-on-interrupt)',
    })), 'Step Functions StopExecution');
    ctx.output.err(`Stopped execution ${executionArn}; Step Functions stops the SageMaker job it was running.`);
    return INTERRUPTED;
  }
  ctx.output.err(`Detached from execution ${executionArn}: it goes on in the cloud.`);
  ctx.output.err(`  follow it again: byoa cloud follow ${executionArn}`);
  ctx.output.err(`  stop it:         aws stepfunctions stop-execution --execution-arn ${executionArn}`);
  return INTERRUPTED;
}

async function statusCommand(ctx: CommandContext, pipelineArg: string, limit: number, json: boolean): Promise<number> {
  const caller = new AwsCaller(ctx.clock);
  const { pipeline, clients } = await deployed(ctx, pipelineArg, caller);
  const summaries = await executionSummaries(pipeline, clients, caller, limit, ctx.clock.now());
  if (json) {
    ctx.output.out(JSON.stringify({ pipeline: pipeline.path, stateMachineArn: pipeline.stateMachineArn, executions: summaries }, undefined, 2));
    return 0;
  }
  if (summaries.length === 0) {
    ctx.output.out(`Pipeline ${pipeline.path} has no executions yet. Start one with 'byoa cloud run ${pipeline.path}'.`);
    return 0;
  }
  ctx.output.out(`Executions of ${pipeline.path} (${pipeline.stateMachineArn}), newest first:`);
  const rows = summaries.map(s => [
    s.name,
    s.status,
    s.startDate?.replace(/\.\d{3}Z$/, 'Z') ?? '-',
    formatDuration(s.durationSeconds),
    s.trainingJob ? `${s.trainingJob.name} (${s.trainingJob.status ?? '?'})` : '-',
    Object.entries(s.metrics).map(([k, v]) => `${k}=${v}`).join(' ') || '-',
  ]);
  for (const line of formatTable(['EXECUTION', 'STATUS', 'STARTED', 'DURATION', 'TRAINING JOB', 'FINAL METRICS'], rows)) ctx.output.out(line);
  return 0;
}

const TERMINAL_JOB_STATUSES = new Set(['Completed', 'Failed', 'Stopped']);

async function logsCommand(ctx: CommandContext, pipelineArg: string, jobOption: string | undefined, followLogs: boolean): Promise<number> {
  const caller = new AwsCaller(ctx.clock);
  let clients: CloudClients;
  let jobName = jobOption;
  if (jobName === undefined) {
    const found = await deployed(ctx, pipelineArg, caller);
    clients = found.clients;
    const newest = await newestExecution(found.pipeline, clients, caller);
    jobName = await jobNameOfExecution(newest.executionArn!, clients, caller);
    if (!jobName) {
      throw new CloudError(`The newest execution of ${found.pipeline.path} (${newest.executionArn}) started no training job. Name a job with --job NAME.`);
    }
  } else {
    clients = await clientsFor(ctx, cloudSpec(ctx, pipelineArg));
  }
  const job = jobName;
  let kind: 'training' | 'transform' = 'training';
  let described = await describeJob('training', job, clients, caller);
  if (!described) {
    kind = 'transform';
    described = await describeJob('transform', job, clients, caller);
  }
  if (!described) {
    throw new CloudError(`There is no training or batch transform job '${job}' in ${clients.region}. `
      + `See the jobs of the last executions with 'byoa cloud status ${pipelineArg}'.`);
  }
  const tail = new LogTail(clients, caller, kind === 'training' ? TRAINING_LOG_GROUP : TRANSFORM_LOG_GROUP, job);
  const print = (line: Parameters<typeof printLine>[1]) => printLine(ctx.output, line);
  await tail.poll(print);
  if (followLogs && !TERMINAL_JOB_STATUSES.has(described.status ?? '')) {
    const controller = new AbortController();
    const unsubscribe = ctx.onInterrupt(() => controller.abort());
    try {
      for (;;) {
        if (!await ctx.clock.sleep(ctx.pollIntervalMs ?? 5000, controller.signal)) {
          ctx.output.err(`Stopped following the logs of ${job} (the job goes on).`);
          return 0;
        }
        described = (await describeJob(kind, job, clients, caller)) ?? described;
        await tail.poll(print);
        if (TERMINAL_JOB_STATUSES.has(described.status ?? '')) break;
      }
    } finally {
      unsubscribe();
    }
  }
  if (tail.streamNames.length === 0) {
    ctx.output.err(`No log streams of ${job} in ${tail.logGroup} yet (SageMaker creates them when the job's instances start).`);
  } else if (followLogs) {
    ctx.output.err(`${kind === 'training' ? 'Training' : 'Transform'} job ${job} ${described.status}${described.failureReason ? `: ${described.failureReason}` : ''}`);
  }
  return 0;
}

async function invokeCommand(
  ctx: CommandContext, pipelineArg: string, bodyArg: string, contentType: string | undefined, accept: string | undefined,
): Promise<number> {
  const spec = cloudSpec(ctx, pipelineArg);
  if (!spec.endpointName) {
    throw new CloudError(`Pipeline ${spec.pipeline} has no endpoint (give it the 'endpoint' property to deploy one).`);
  }
  const endpointName = spec.endpointName;
  const clients = await clientsFor(ctx, spec);
  const isFile = fs.existsSync(bodyArg) && fs.statSync(bodyArg).isFile();
  const body = isFile ? fs.readFileSync(bodyArg) : Buffer.from(bodyArg, 'utf8');
  const type = contentType ?? spec.transform?.TransformInput?.ContentType ?? 'application/json';
  let answer;
  try {
    answer = await new AwsCaller(ctx.clock).call(() => clients.runtime.send(new InvokeEndpointCommand({
      EndpointName: endpointName, Body: body, ContentType: type, Accept: accept,
    })), `SageMaker InvokeEndpoint ${endpointName}`, ['ModelError', 'ValidationError', 'ValidationException']);
  } catch (e) {
    if (e instanceof RuntimeModelError || (e as Error).name === 'ModelError') {
      const m = e as RuntimeModelError;
      ctx.output.err(`byoa: the model of endpoint ${endpointName} answered with an error: status ${m.OriginalStatusCode ?? '?'}, `
        + `message "${m.OriginalMessage ?? m.message}"`);
      if (m.LogStreamArn) ctx.output.err(`  logs: ${m.LogStreamArn}`);
      return 1;
    }
    const message = (e as Error).message ?? String(e);
    if (/not found/i.test(message)) {
      throw new CloudError(`Endpoint ${endpointName} of pipeline ${spec.pipeline} is not deployed in ${clients.region} (SageMaker: "${message}"). `
        + `The pipeline creates it in its last step: run 'byoa cloud run ${spec.pipeline}'.`);
    }
    throw new CloudError(`SageMaker InvokeEndpoint ${endpointName} refused the request: ${message}`);
  }
  const text = Buffer.from(answer.Body ?? new Uint8Array()).toString('utf8');
  if (ctx.output.write) ctx.output.write(text.endsWith('\n') ? text : `${text}\n`); else ctx.output.out(text.replace(/\n$/, ''));
  ctx.output.err(`(${answer.ContentType ?? 'no content type'}, ${isFile ? `body from ${bodyArg}` : 'body given as a string'}, content type ${type})`);
  return 0;
}
