/**
 * The error every synth-time validation of this library throws. It lists all
 * problems found on one construct, so a user fixes them in one pass.
 */
export class ByoaValidationError extends Error {
  public readonly problems: string[];

  constructor(public readonly constructPath: string, problems: string[]) {
    super(`${constructPath}: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map(p => `  - ${p}`).join('\n')}`);
    this.name = 'ByoaValidationError';
    this.problems = problems;
    Object.setPrototypeOf(this, ByoaValidationError.prototype);
  }
}
