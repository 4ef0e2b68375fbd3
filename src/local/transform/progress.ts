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
