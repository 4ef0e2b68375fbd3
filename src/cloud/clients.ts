/**
 * The AWS SDK clients of `byoa cloud` (INTERNAL), and the one place they are
 * called: {@link AwsCaller.call} retries throttled calls with an exponential
 * backoff on the injectable clock, and turns every other error into a
 * {@link CloudError} whose message says what to do.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Clock } from './clock';
import { CloudError, describeAwsError, isThrottling } from './errors';

/** Where the clients go: region and profile as in the AWS CLI (undefined: the default chain). */
export interface AwsTarget {
  readonly region?: string;
  readonly profile?: string;
}

/** One client per service, all for the same region and credentials. */
export interface CloudClients {
  readonly region: string;
  readonly sfn: SFNClient;
  readonly sagemaker: SageMakerClient;
  readonly logs: CloudWatchLogsClient;
  readonly cloudformation: CloudFormationClient;
  readonly runtime: SageMakerRuntimeClient;
  readonly s3: S3Client;
}

/** Makes the clients for a target (replaceable in tests, e.g. to point S3 at a local server). */
export type ClientFactory = (target: AwsTarget & { readonly region: string }) => CloudClients;

/** The SDK's own clients with the default credential chain, or the named profile. */
export const defaultClientFactory: ClientFactory = ({ region, profile }) => {
  const config = { region, ...(profile ? { profile } : {}) };
  return {
    region,
    sfn: new SFNClient(config),
    sagemaker: new SageMakerClient(config),
    logs: new CloudWatchLogsClient(config),
    cloudformation: new CloudFormationClient(config),
    runtime: new SageMakerRuntimeClient(config),
    s3: new S3Client({ ...config, followRegionRedirects: true }),
  };
};

export interface BackoffOptions {
  /** First wait after a throttled call. @default 1000 ms */
  readonly initialDelayMs?: number;
  /** Longest wait. @default 20000 ms */
  readonly maxDelayMs?: number;
  /** Calls in a row that may be throttled before giving up. @default 10 */
  readonly maxAttempts?: number;
}

/** Calls the services, backing off when they throttle. */
export class AwsCaller {
  /** How many calls were throttled so far (for messages and tests). */
  public throttled = 0;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAttempts: number;

  constructor(private readonly clock: Clock, options: BackoffOptions = {}, private readonly signal?: AbortSignal) {
    this.initialDelayMs = options.initialDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.maxAttempts = options.maxAttempts ?? 10;
  }

  /**
   * Makes the call `send` (one SDK `send`); on throttling waits 1 s, 2 s, 4 s ... (at most 20 s) and
   * tries again. `what` names the call in error messages.
   * `expected` lists error codes the caller handles itself: they are thrown as they are.
   */
  public async call<O>(send: () => Promise<O>, what: string, expected: string[] = []): Promise<O> {
    let delay = this.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (e) {
        if (expected.includes((e as Error)?.name)) throw e;
        if (!isThrottling(e)) throw new CloudError(describeAwsError(e, what));
        this.throttled++;
        if (attempt >= this.maxAttempts) {
          throw new CloudError(`${what} was throttled ${attempt} times in a row (${(e as Error).name}); try again later.`);
        }
        if (!await this.clock.sleep(delay, this.signal)) throw new CloudError(`${what} interrupted while backing off`);
        delay = Math.min(delay * 2, this.maxDelayMs);
      }
    }
  }
}
