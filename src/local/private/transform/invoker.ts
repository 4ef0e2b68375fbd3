/**
 * POSTs payloads to the serving container's `/invocations` as SageMaker
 * batch transform does (INTERNAL): with the job's content type and accept
 * headers, its invocation timeout, retries of 5xx answers and failed
 * connections with a growing delay, no retry of a 4xx, and a clear failure
 * when the container has exited. Shared by every file of the job; counts
 * the requests.
 *
 * The first attempt is a plain promise chain (no async frame, no closure
 * for messages): it is the hot path of every record.
 */
import { setTimeout as sleep } from 'timers/promises';
import type { AnswerAssembly } from './answer-assembly';
import { describeRecords, FileFailure } from './file-failure';
import type { Payload } from './packing';
import type { BodyAllocator } from '../serving/http-answer-parser';
import { HttpAnswer, HttpFailure } from '../serving/loopback-http';
import type { ServingContainer } from '../serving/serving-container';

export interface InvokerOptions {
  readonly serving: ServingContainer;
  readonly assembly: AnswerAssembly;
  readonly contentType?: string;
  readonly accept?: string;
  /** `ModelClientConfig.InvocationsMaxRetries`. */
  readonly retries: number;
  /** `ModelClientConfig.InvocationsTimeoutInSeconds`, in ms. */
  readonly timeoutMs: number;
  /** The delay before retry number `attempt` (1, 2, ...). */
  readonly retryDelayMs: (attempt: number) => number;
  /** Where an answer body of known length goes. @default - a new buffer */
  readonly allocateAnswer?: BodyAllocator;
}

/** See the module comment. */
export class Invoker {
  /** POSTs made (retries included). */
  public requests = 0;
  /** When the first POST was made (ms since the epoch), 0 before. */
  public firstRequestAt = 0;
  private readonly headers: { [name: string]: string } = {};

  constructor(private readonly o: InvokerOptions) {
    if (o.contentType) this.headers['Content-Type'] = o.contentType;
    if (o.accept) this.headers.Accept = o.accept;
  }

  /** POSTs one payload with retries; resolves with the bytes to write for it, rejects with a {@link FileFailure}. */
  public send(payload: Payload, firstRecord: number): Promise<Buffer[]> {
    const serving = this.o.serving;
    if (serving.exited !== undefined) return Promise.reject(this.exitedFailure(payload, firstRecord));
    return this.attempt(payload).then(
      (answer) => (answer.status < 400
        ? this.o.assembly.assemble(answer.body, payload, firstRecord)
        : this.retry(payload, firstRecord, this.answerProblem(answer, payload, firstRecord))),
      (e: Error) => this.retry(payload, firstRecord, this.connectionProblem(e)),
    );
  }

  /** Attempts 2.. after `lastProblem` (the first attempt's). */
  private async retry(payload: Payload, firstRecord: number, lastProblem: string): Promise<Buffer[]> {
    for (let attempt = 1; attempt <= this.o.retries; attempt++) {
      await sleep(this.o.retryDelayMs(attempt));
      if (this.o.serving.exited !== undefined) throw this.exitedFailure(payload, firstRecord);
      try {
        const answer = await this.attempt(payload);
        if (answer.status < 400) return this.o.assembly.assemble(answer.body, payload, firstRecord);
        lastProblem = this.answerProblem(answer, payload, firstRecord);
      } catch (e) {
        lastProblem = this.connectionProblem(e as Error);
      }
    }
    const tries = this.o.retries === 0 ? 'without retries' : `after ${this.o.retries} ${this.o.retries === 1 ? 'retry' : 'retries'}`;
    throw new FileFailure(`${describeRecords(payload, firstRecord)} failed ${tries}: ${lastProblem}`);
  }

  /** One POST of the payload. */
  private attempt(payload: Payload): Promise<HttpAnswer> {
    if (!this.firstRequestAt) this.firstRequestAt = Date.now();
    this.requests++;
    return this.o.serving.request('POST', '/invocations', this.o.timeoutMs, payload.body, this.headers, this.o.allocateAnswer);
  }

  private exitedFailure(payload: Payload, firstRecord: number): FileFailure {
    return new FileFailure(`the serving container exited with code ${this.o.serving.exited} while ${describeRecords(payload, firstRecord)} were being transformed.\n`
      + `--- last container output ---\n${this.o.serving.recentLogs()}`);
  }

  /** A status >= 400: throws for 4xx (not retried), else the problem to retry on. */
  private answerProblem(answer: HttpAnswer, payload: Payload, firstRecord: number): string {
    const message = answer.body.toString('utf8').slice(0, 500);
    if (answer.status < 500) {
      throw new FileFailure(`the model container answered ${answer.status} for ${describeRecords(payload, firstRecord)}: ${message}`);
    }
    return `the model container answered ${answer.status}: ${message}`;
  }

  /** A request without answer: the problem to retry on (anything else is rethrown). */
  private connectionProblem(e: Error): string {
    if (!(e instanceof HttpFailure)) throw e;
    return e.kind === 'timeout'
      ? `no answer within ModelClientConfig.InvocationsTimeoutInSeconds (${this.o.timeoutMs / 1000} s)`
      : `the connection to the model container failed (${e.message})`;
  }
}
