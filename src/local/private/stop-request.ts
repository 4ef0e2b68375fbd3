/**
 * A request to stop a running local job, as StopTrainingJob and
 * StopTransformJob ask SageMaker (INTERNAL). `DockerRunner.stopJobs()` makes
 * one for each job it runs; the CLI calls it on SIGINT/SIGTERM. The first
 * request stops the job gracefully (SIGTERM, SIGKILL after the grace
 * period), a second one forces it (SIGKILL now); either way the job ends
 * with status `Stopped` and a description that says so.
 */
export class StopRequest {
  private level = 0;
  private readonly listeners = new Set<(forced: boolean) => void>();

  /** Whether the job was asked to stop. */
  public get requested(): boolean { return this.level > 0; }

  /** Asks the job to stop: gracefully the first time, at once the second time. */
  public request(): void {
    if (this.level >= 2) { return; }
    this.level++;
    for (const listener of [...this.listeners]) { listener(this.level > 1); }
  }

  /** Calls `listener` on each request (`forced` from the second one on); returns the unsubscribe function. */
  public onRequest(listener: (forced: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }
}
