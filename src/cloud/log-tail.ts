/**
 * Following the CloudWatch log streams of one SageMaker job (INTERNAL).
 *
 * SageMaker writes one stream per host (`<job>/algo-<n>-<epoch>` for
 * training, `<job>/<instance>-<epoch>` for batch transform), created when the
 * host starts: streams are looked up again on every poll, so a host that
 * starts late is picked up. Each stream is read with `GetLogEvents` from its
 * head, and then from the `nextForwardToken` of the last answer: an answer
 * that returns the token it was given has nothing new. A token only advances
 * after its page's lines were handed on, so no line is printed twice or lost.
 */
import { DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AwsCaller, CloudClients } from './clients';

/** Log groups SageMaker writes to. */
export const TRAINING_LOG_GROUP = '/aws/sagemaker/TrainingJobs';
export const TRANSFORM_LOG_GROUP = '/aws/sagemaker/TransformJobs';

/** One log line of one host. */
export interface TailedLine {
  readonly jobName: string;
  /** `algo-1`, `algo-2` ... for training; the instance for transform. */
  readonly host: string;
  readonly timestamp: number;
  readonly message: string;
}

/** The host part of a stream name: `algo-2-1700000000` is `algo-2`. */
export function hostOfStream(jobName: string, streamName: string): string {
  return streamName.slice(jobName.length + 1).replace(/-\d{9,}(?=$|\/)/, '');
}

/** The prefix local mode prints: `[job]` for the first host, `[job/host]` for the others. */
export function linePrefix(jobName: string, host: string): string {
  return host && host !== 'algo-1' ? `[${jobName}/${host}]` : `[${jobName}]`;
}

/** Pages read per stream in one poll, so one busy stream cannot hold the others up. */
const MAX_PAGES_PER_POLL = 20;

export class LogTail {
  /** Stream name to the token to read from next (undefined: from the head). */
  private readonly streams = new Map<string, string | undefined>();

  constructor(
    private readonly clients: CloudClients,
    private readonly caller: AwsCaller,
    public readonly logGroup: string,
    public readonly jobName: string,
  ) {}

  /** The streams seen so far. */
  public get streamNames(): string[] {
    return [...this.streams.keys()];
  }

  /** Reads what is new in every stream of the job (looking for new streams first); `onLine` gets each line once. */
  public async poll(onLine: (line: TailedLine) => void): Promise<number> {
    await this.discover();
    let count = 0;
    for (const stream of [...this.streams.keys()]) {
      count += await this.readStream(stream, onLine);
    }
    return count;
  }

  private async discover(): Promise<void> {
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.caller.call(() => this.clients.logs.send(new DescribeLogStreamsCommand({ logGroupName: this.logGroup, logStreamNamePrefix: `${this.jobName}/`, nextToken })),
          `CloudWatch Logs DescribeLogStreams in ${this.logGroup}`, ['ResourceNotFoundException']);
      } catch (e) {
        if ((e as Error).name === 'ResourceNotFoundException') return; // the group appears with the first job's logs
        throw e;
      }
      for (const s of page.logStreams ?? []) {
        if (s.logStreamName && !this.streams.has(s.logStreamName)) this.streams.set(s.logStreamName, undefined);
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }

  private async readStream(stream: string, onLine: (line: TailedLine) => void): Promise<number> {
    const host = hostOfStream(this.jobName, stream);
    let count = 0;
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      const token = this.streams.get(stream);
      let res;
      try {
        const request = { logGroupName: this.logGroup, logStreamName: stream, startFromHead: true, nextToken: token };
        res = await this.caller.call(() => this.clients.logs.send(new GetLogEventsCommand(request)),
          `CloudWatch Logs GetLogEvents of ${stream}`, ['ResourceNotFoundException']);
      } catch (e) {
        if ((e as Error).name === 'ResourceNotFoundException') return count;
        throw e;
      }
      for (const ev of res.events ?? []) {
        onLine({ jobName: this.jobName, host, timestamp: ev.timestamp ?? 0, message: (ev.message ?? '').replace(/\r?\n$/, '') });
        count++;
      }
      const next = res.nextForwardToken;
      if (!next || next === token) return count;
      this.streams.set(stream, next);
    }
    return count;
  }
}
