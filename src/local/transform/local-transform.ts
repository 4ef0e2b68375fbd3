import type { Duration } from 'aws-cdk-lib';
import type { ITransformProgressObserver } from './progress';
import type { ILocalRunObserver, LocalJobStatus } from '../docker-runner';

/** Options of `DockerRunner.transform`. */
export interface LocalTransformOptions {
  /** Path of the model archive to serve (for example a `LocalTrainingResult`'s `modelArtifact`). */
  readonly modelArtifact: string;
  /**
   * Receives the serving container's log lines (host `algo-1`) and the runner's progress messages.
   * @default - the runner's observer
   */
  readonly observer?: ILocalRunObserver;
  /**
   * Receives record/byte progress of the job (for progress bars).
   * @default - no progress events
   */
  readonly progressObserver?: ITransformProgressObserver;
  /**
   * How long the container may take until `GET /ping` answers 200.
   * @default Duration.seconds(60)
   */
  readonly startupHealthCheckTimeout?: Duration;
}

/** Outcome of `DockerRunner.transform`. */
export interface LocalTransformResult {
  /** The transform job name (the request's prefix plus a unique suffix). */
  readonly jobName: string;
  readonly status: LocalJobStatus;
  /**
   * Why the job failed (the first failing input file and its reason).
   * @default - the job completed
   */
  readonly failureReason?: string;
  /** Absolute path of the job's folder (the `.out` files and description.json). */
  readonly outputDir: string;
  /** Absolute path of `description.json` (shaped like DescribeTransformJob's response). */
  readonly descriptionPath: string;
  /** Absolute paths of the `.out` files written (one per input file that succeeded). */
  readonly outputFiles: string[];
  /** Records transformed. */
  readonly records: number;
  /** Time from the container's health to the last answer. */
  readonly duration: Duration;
}

/** Options of `DockerRunner.startEndpoint`. */
export interface LocalEndpointOptions {
  /** Path of the model archive to serve (for example a `LocalTrainingResult`'s `modelArtifact`). */
  readonly modelArtifact: string;
  /**
   * Receives the container's log lines (host `algo-1`) and the runner's progress messages.
   * @default - the runner's observer
   */
  readonly observer?: ILocalRunObserver;
  /**
   * How long the container may take until `GET /ping` answers 200.
   * @default - the production variant's ContainerStartupHealthCheckTimeoutInSeconds, else 60 seconds
   */
  readonly startupHealthCheckTimeout?: Duration;
  /**
   * How long one invocation may take.
   * @default Duration.seconds(60)
   */
  readonly invocationTimeout?: Duration;
  /**
   * Time between SIGTERM and SIGKILL when the endpoint is stopped.
   * @default Duration.seconds(30)
   */
  readonly stopGracePeriod?: Duration;
}
