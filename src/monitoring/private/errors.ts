/**
 * Thrown at synth time when monitoring options would be rejected by CloudWatch
 * or CloudWatch Logs at deploy time. The message lists every problem found,
 * each naming the property, the offending value and what is allowed.
 */
export class MonitoringValidationError extends Error {
  /** One line per problem. */
  public readonly problems: string[];

  constructor(subject: string, problems: string[]) {
    super(`${subject}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'MonitoringValidationError';
    this.problems = problems;
    Object.setPrototypeOf(this, MonitoringValidationError.prototype);
  }
}

/** Throws one MonitoringValidationError listing every problem, if there are any. */
export function throwIfProblems(subject: string, problems: string[]): void {
  if (problems.length > 0) {
    throw new MonitoringValidationError(subject, problems);
  }
}
