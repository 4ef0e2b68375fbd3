/**
 * Following one execution of a pipeline's state machine (INTERNAL), the way
 * `byoa local run` shows a local run: each step as it starts and ends with
 * its timing, and while a step runs, what its SageMaker job or endpoint
 * does. The execution's history is read newest first and only down to the
 * last event already seen, so each poll costs one call however long the
 * execution runs.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, HistoryEvent } from '@aws-sdk/client-sfn';
import { AwsCaller, CloudClients } from './clients';
import { Clock, seconds } from './clock';
import { CloudError } from './errors';
import { EndpointWatch, Printer, TrainingWatch, TransformWatch } from './job-watch';

/** The steps of a pipeline, named as in the README. */
export type StepName = 'Train' | 'Create model' | 'Batch transform' | 'Endpoint';

/** The step a state of the pipeline's state machine belongs to (undefined: naming the jobs, Done). */
export function stepOfState(state: string): StepName | undefined {
  if (state === 'Train' || state.includes('TrainingJob')) return 'Train';
  if (state.startsWith('Create model')) return 'Create model';
  if (state === 'Batch transform' || state.includes('TransformJob')) return 'Batch transform';
  if (/endpoint/i.test(state)) return 'Endpoint';
  return undefined;
}

/** How a follow ended. */
export interface FollowResult {
  /** SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or INTERRUPTED (Ctrl-C: the execution goes on). */
  readonly outcome: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'INTERRUPTED';
  /** The step that failed. */
  readonly step?: StepName;
  readonly error?: string;
  readonly cause?: string;
}

export interface FollowOptions {
  readonly clients: CloudClients;
  readonly caller: AwsCaller;
  readonly clock: Clock;
  readonly output: Printer;
  /** Aborted on Ctrl-C: the follow stops (the execution does not). */
  readonly signal?: AbortSignal;
  /** How the pipeline is named in messages (its construct path, or the state machine's name). */
  readonly pipelineLabel: string;
  /** Command that calls the endpoint, printed once it is InService. */
  readonly invokeHint?: string;
  /** Time between polls. @default 5000 ms */
  readonly pollIntervalMs?: number;
}

const NOT_FOUND = 'ExecutionDoesNotExist';

/** The message for an execution that does not exist (any more). */
export function executionGone(executionArn: string): CloudError {
  return new CloudError(`Execution ${executionArn} does not exist: it was deleted with its state machine, or it ended more than 90 days ago `
    + '(Step Functions keeps the history of standard executions that long), or the ARN is mistyped. '
    + 'List the executions that exist with \'byoa cloud status PIPELINE\'.');
}

/** Parameters of a TaskScheduled event. */
function parameters(event: HistoryEvent): { [key: string]: any } {
  try {
    return JSON.parse(event.taskScheduledEventDetails?.parameters ?? '{}');
  } catch {
    return {};
  }
}

export class ExecutionFollower {
  private lastEventId = 0;
  private current?: { step: StepName; started: number };
  private readonly stepsDone: StepName[] = [];
  private training?: TrainingWatch;
  private trainingStarted = 0;
  private transform?: TransformWatch;
  private transformStarted = 0;
  private endpoint?: EndpointWatch;
  private executionStarted = 0;
  private outputLocation?: string;
  private modelName?: string;
  private ended?: FollowResult;

  constructor(private readonly options: FollowOptions, public readonly executionArn: string) {}

  /** Follows the execution until it ends, or until the signal is aborted. */
  public async follow(): Promise<FollowResult> {
    const { caller, clients, clock, signal } = this.options;
    let described;
    try {
      described = await caller.call(() => clients.sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn })),
        'Step Functions DescribeExecution', [NOT_FOUND]);
    } catch (e) {
      throw (e as Error).name === NOT_FOUND ? executionGone(this.executionArn) : e;
    }
    this.executionStarted = described.startDate?.getTime() ?? clock.now();
    this.options.output.out(`Following execution ${this.executionArn} of ${this.options.pipelineLabel} (${described.status}, `
      + `started ${described.startDate?.toISOString() ?? 'now'})`);
    for (;;) {
      try {
        for (const event of await this.newEvents()) await this.onEvent(event);
        if (!this.ended && !signal?.aborted) await this.pollCurrentStep();
      } catch (e) {
        if (signal?.aborted) return { outcome: 'INTERRUPTED' };
        throw e;
      }
      if (this.ended) return this.ended;
      if (signal?.aborted || !await clock.sleep(this.options.pollIntervalMs ?? 5000, signal)) return { outcome: 'INTERRUPTED' };
    }
  }

  /** Events after the last one seen, oldest first. */
  private async newEvents(): Promise<HistoryEvent[]> {
    const fresh: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.options.caller.call(() => this.options.clients.sfn.send(new GetExecutionHistoryCommand({
          executionArn: this.executionArn, reverseOrder: true, maxResults: 100, includeExecutionData: true, nextToken,
        })), 'Step Functions GetExecutionHistory', [NOT_FOUND]);
      } catch (e) {
        throw (e as Error).name === NOT_FOUND ? executionGone(this.executionArn) : e;
      }
      const events = page.events ?? [];
      const unseen = events.filter(e => (e.id ?? 0) > this.lastEventId);
      fresh.push(...unseen);
      nextToken = unseen.length === events.length ? page.nextToken : undefined;
    } while (nextToken);
    fresh.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    if (fresh.length > 0) this.lastEventId = fresh[fresh.length - 1].id ?? this.lastEventId;
    return fresh;
  }

  private async onEvent(event: HistoryEvent): Promise<void> {
    const { output, clients, caller } = this.options;
    const at = event.timestamp?.getTime() ?? this.options.clock.now();
    switch (event.type) {
      case 'TaskScheduled': {
        const params = parameters(event);
        const resource = event.taskScheduledEventDetails?.resource ?? '';
        if (resource.startsWith('createTrainingJob') && params.TrainingJobName) {
          this.training = new TrainingWatch(clients, caller, output, params.TrainingJobName);
        } else if (resource.startsWith('createTransformJob') && params.TransformJobName) {
          this.transform = new TransformWatch(clients, caller, output, params.TransformJobName);
          this.outputLocation = params.TransformOutput?.S3OutputPath;
        } else if (resource === 'createModel') {
          this.modelName = params.ModelName;
        } else if (/Endpoint$/.test(resource) && params.EndpointName && !this.endpoint) {
          this.endpoint = new EndpointWatch(clients, caller, output, params.EndpointName);
        }
        return;
      }
      case 'ExecutionSucceeded':
        this.endStep();
        output.out(`Pipeline ${this.options.pipelineLabel} completed in the cloud in ${seconds(at - this.executionStarted)}: ${this.stepsDone.join(', ')}.`);
        this.ended = { outcome: 'SUCCEEDED' };
        return;
      case 'ExecutionFailed':
      case 'ExecutionTimedOut':
      case 'ExecutionAborted': {
        const details = event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
        const outcome = event.type === 'ExecutionFailed' ? 'FAILED' : event.type === 'ExecutionTimedOut' ? 'TIMED_OUT' : 'ABORTED';
        await this.reportFailure(outcome, details?.error, details?.cause);
        return;
      }
    }
    const entered = event.stateEnteredEventDetails?.name;
    if (entered !== undefined) {
      const step = stepOfState(entered);
      if (step && step !== this.current?.step) {
        this.endStep();
        this.current = { step, started: at };
        output.out(`=== Step ${step} ===`);
      }
      if (entered === 'Train') this.trainingStarted = at;
      if (entered === 'Batch transform') this.transformStarted = at;
      return;
    }
    const exited = event.stateExitedEventDetails?.name;
    if (exited === 'Train' && this.training) {
      await this.training.poll();
      this.printFinalMetrics();
      output.out(`Training job ${this.training.jobName} Completed in ${seconds(at - this.trainingStarted)}`);
      const model = this.training.description?.ModelArtifacts?.S3ModelArtifacts;
      if (model) output.out(`  model:       ${model}`);
    } else if (exited === 'Create model' && this.current) {
      output.out(`Model ${this.modelName ?? ''} created in ${seconds(at - this.current.started)}`);
    } else if (exited === 'Batch transform' && this.transform) {
      await this.transform.poll(at);
      output.out(`Transform job ${this.transform.jobName} Completed in ${seconds(at - this.transformStarted)}`);
      const outputs = this.transform.description?.TransformOutput?.S3OutputPath ?? this.outputLocation;
      if (outputs) output.out(`  outputs:     ${outputs}`);
    } else if (exited === 'Endpoint in service' && this.endpoint && this.current) {
      if (this.endpoint.status !== 'InService') output.out(`Endpoint ${this.endpoint.endpointName} InService`);
      output.out(`Endpoint ${this.endpoint.endpointName} is in service after ${seconds(at - this.current.started)}`);
      if (this.options.invokeHint) output.out(`  invoke: ${this.options.invokeHint}`);
    }
  }

  /** Each step prints its own outcome (job completed, model created, endpoint in service); this only records it. */
  private endStep(): void {
    if (!this.current) return;
    this.stepsDone.push(this.current.step);
    this.current = undefined;
  }

  private printFinalMetrics(): void {
    for (const m of this.training?.finalMetrics() ?? []) {
      this.options.output.out(`[${this.training!.jobName}] final ${m.name} = ${m.value}`);
    }
  }

  /** Prints the failed step and SageMaker's FailureReason, worded as local mode does. */
  private async reportFailure(outcome: FollowResult['outcome'], error: string | undefined, cause: string | undefined): Promise<void> {
    const { output } = this.options;
    const step = this.current?.step;
    let reason = cause || error || outcome;
    if (step === 'Train' && this.training) {
      await this.training.poll();
      this.printFinalMetrics();
      reason = this.training.description?.FailureReason ?? reason;
      output.err(`Training job ${this.training.jobName} ${this.training.description?.TrainingJobStatus ?? 'Failed'}: ${reason}`);
    } else if (step === 'Batch transform' && this.transform) {
      await this.transform.poll(this.options.clock.now());
      reason = this.transform.description?.FailureReason ?? reason;
      output.err(`Transform job ${this.transform.jobName} ${this.transform.description?.TransformJobStatus ?? 'Failed'}: ${reason}`);
    } else if (step === 'Endpoint' && this.endpoint) {
      await this.endpoint.poll();
      reason = cause || this.endpoint.failureReason || reason;
      output.err(`Endpoint ${this.endpoint.endpointName} ${this.endpoint.status ?? 'Failed'}: ${reason}`);
    }
    const what = outcome === 'TIMED_OUT' ? 'timed out' : outcome === 'ABORTED' ? 'was stopped' : 'failed';
    const where = step ? `step '${step}' of pipeline ${this.options.pipelineLabel}` : `pipeline ${this.options.pipelineLabel}`;
    output.err(`byoa: ${where} ${what}: ${reason}${error && error !== reason ? ` (${error})` : ''}`);
    this.ended = { outcome, step, error, cause };
  }

  private async pollCurrentStep(): Promise<void> {
    switch (this.current?.step) {
      case 'Train': return this.training?.poll();
      case 'Batch transform': return this.transform?.poll(this.options.clock.now());
      case 'Endpoint': return this.endpoint?.poll();
      default: return;
    }
  }
}
