/**
 * The public types local mode's runners, observers and the CLI share: job
 * status, log and metric events, the observers. The options and results of
 * `DockerRunner`'s methods live beside it in `docker-runner.ts`, and
 * `LocalEndpoint`'s props and invoke types beside it in `local-endpoint.ts`.
 */

/** Final status of a local job. */
export enum LocalJobStatus {
  /** Every container exited with code 0. */
  COMPLETED = 'Completed',
  /** A container failed, the runtime limit was hit, or the artifacts are invalid. */
  FAILED = 'Failed',
  /**
   * The job was stopped before it ended (`DockerRunner.stopJobs()`, which the
   * `byoa` CLI calls on Ctrl-C or SIGTERM), as StopTrainingJob and
   * StopTransformJob stop a job on SageMaker.
   */
  STOPPED = 'Stopped',
}

/** One log line of a local job's container. */
export interface LocalLogEvent {
  /** Name of the job (training or transform job name). */
  readonly jobName: string;
  /** Host the line comes from (`algo-1` ...). */
  readonly host: string;
  /** `stdout` or `stderr`. */
  readonly stream: string;
  /** The line, without its line break. */
  readonly line: string;
}

/** One metric value found in a log line by a metric definition. */
export interface LocalMetricEvent {
  readonly jobName: string;
  /** Host whose log line held the value. */
  readonly host: string;
  readonly metricName: string;
  readonly value: number;
  readonly timestamp: Date;
}

/**
 * Receives what local runs produce, as it happens. Implement all three
 * methods (an empty body ignores an event).
 */
export interface ILocalRunObserver {
  /** A log line of a job container. */
  onLogLine(event: LocalLogEvent): void;
  /** A training metric value, as soon as its log line appears. */
  onMetric(event: LocalMetricEvent): void;
  /** A progress message of the runner itself (image build output, steps). */
  onProgress(message: string): void;
}

/** Progress of a local batch transform job, for progress bars. */
export interface TransformProgress {
  /** The job's name. */
  readonly jobName: string;
  /** Records whose answers were received. */
  readonly recordsDone: number;
  /** Records read from the input so far (the total is known once every file was read). */
  readonly recordsRead: number;
  /** Input bytes read so far (as stored on disk, compressed when Gzip). */
  readonly bytesRead: number;
  /** Input bytes in all (as stored on disk). */
  readonly bytesTotal: number;
  /** Input files finished (successfully or not). */
  readonly filesDone: number;
  /** Input files in all. */
  readonly filesTotal: number;
  /** Requests sent to the container, retries included. */
  readonly requests: number;
  /** Average records per second since the first request. */
  readonly recordsPerSecond: number;
  /** Seconds since the first request. */
  readonly elapsedSeconds: number;
  /** Whether this is the last event of the job. */
  readonly finished: boolean;
}

/** Receives progress events of a local batch transform job (at most about 5 per second, plus a last one). */
export interface ITransformProgressObserver {
  /** Called with the job's progress so far. */
  onProgress(progress: TransformProgress): void;
}
