/**
 * Error thrown by local mode (the Docker-backed runners and the `byoa` CLI)
 * when a pipeline cannot be run locally: no Docker engine, a cloud assembly
 * without the pipeline, an input that local mode cannot read, a failing
 * `docker` command, and so on. The message says what was wrong and what is
 * allowed.
 *
 * A job that runs and fails (the algorithm exits non-zero) is NOT an error:
 * it is reported as a result with status `Failed` and a failure reason.
 */
export class LocalModeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalModeError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
