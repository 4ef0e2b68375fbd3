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

/**
 * The model container answered an invocation with a 4xx or 5xx status. Like
 * SageMaker's `ModelError`, it carries the container's original status code
 * and message: such an answer is never returned as a prediction.
 */
export class ModelError extends Error {
  /** The HTTP status the container answered with. */
  public readonly originalStatusCode: number;
  /** The container's answer body (UTF-8, at most 4096 characters). */
  public readonly originalMessage: string;

  /**
   * @param originalStatusCode the container's HTTP status
   * @param originalMessage the container's answer body
   * @param endpointName the local endpoint's name
   * @param recentLogs the container's last log lines, included in the message (when they are not shown elsewhere)
   */
  constructor(originalStatusCode: number, originalMessage: string, endpointName: string, recentLogs?: string) {
    super(`Received ${originalStatusCode >= 500 ? 'server' : 'client'} error (${originalStatusCode}) from the model container `
      + `with message "${originalMessage}". `
      + (recentLogs === undefined
        ? `See the logs of local endpoint '${endpointName}' for more information.`
        : recentLogs
          ? `The last lines of the log of local endpoint '${endpointName}':\n${recentLogs}`
          : `The container of local endpoint '${endpointName}' printed nothing.`));
    this.name = 'ModelError';
    this.originalStatusCode = originalStatusCode;
    this.originalMessage = originalMessage;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
