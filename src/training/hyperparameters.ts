import { Token } from 'aws-cdk-lib';
import { Problems } from '../private/validation';

/**
 * Renders hyperparameters to the strings SageMaker takes. This is the ONLY
 * place values are turned into strings, for the cloud request and local mode
 * alike: strings as they are, numbers with `String(n)`, booleans as
 * `"true"`/`"false"`. Other types are reported by {@link validateHyperparameters}.
 */
export function renderHyperparameters(hyperparameters: { [name: string]: any } | undefined): { [name: string]: string } {
  const rendered: { [name: string]: string } = {};
  for (const [name, value] of Object.entries(hyperparameters ?? {})) {
    rendered[name] = typeof value === 'string' ? value : String(value);
  }
  return rendered;
}

/** SageMaker's limits on `HyperParameters`, and the value types this library renders. */
export function validateHyperparameters(problems: Problems, property: string, hyperparameters: { [name: string]: any } | undefined): void {
  if (hyperparameters === undefined) return;
  for (const [name, value] of Object.entries(hyperparameters)) {
    const ok = typeof value === 'string'
      || typeof value === 'boolean'
      || (typeof value === 'number' && Number.isFinite(value));
    if (!ok && !Token.isUnresolved(value)) {
      problems.add(`${property}.${name}`, value, 'a string, a finite number or a boolean');
    }
  }
  problems.checkMap(property, renderHyperparameters(hyperparameters), { maxEntries: 100, maxKeyLength: 256, maxValueLength: 2500 });
}
