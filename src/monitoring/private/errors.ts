import { ByoaValidationError } from '../../private/errors';

/**
 * Throws one {@link ByoaValidationError} (the library's error class) listing
 * every problem, if there are any. `subject` names what was invalid, with its
 * construct path when there is one.
 */
export function throwIfProblems(subject: string, problems: string[]): void {
  if (problems.length > 0) {
    throw new ByoaValidationError(subject, problems);
  }
}
