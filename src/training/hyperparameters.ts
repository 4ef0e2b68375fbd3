import { Token } from 'aws-cdk-lib';
import { Problems } from '../private/validation';

/**
 * How hyperparameter values become strings: `plain` (strings as they are,
 * numbers with `String(n)`, booleans as `"true"`/`"false"`) for images that
 * read them as they are, `json` (`JSON.stringify`: strings with their
 * quotes) for framework containers in script mode, as the SageMaker Python
 * SDK sends them.
 */
export type HyperparameterEncoding = 'plain' | 'json';

/**
 * Renders hyperparameters to the strings SageMaker takes. This is the ONLY
 * place values are turned into strings, for the cloud request and local mode
 * alike. Other types are reported by {@link validateHyperparameters}.
 */
export function renderHyperparameters(hyperparameters: { [name: string]: any } | undefined, encoding: HyperparameterEncoding = 'plain'): { [name: string]: string } {
  const rendered: { [name: string]: string } = {};
  for (const [name, value] of Object.entries(hyperparameters ?? {})) {
    if (encoding === 'json') {
      rendered[name] = Token.isUnresolved(value) && typeof value !== 'string' ? String(value) : JSON.stringify(value);
    } else {
      rendered[name] = typeof value === 'string' ? value : String(value);
    }
  }
  return rendered;
}

/** SageMaker's limits on `HyperParameters`, and the value types this library renders. */
export function validateHyperparameters(problems: Problems, property: string, hyperparameters: { [name: string]: any } | undefined, encoding: HyperparameterEncoding = 'plain'): void {
  if (hyperparameters === undefined) return;
  for (const [name, value] of Object.entries(hyperparameters)) {
    const ok = typeof value === 'string'
      || typeof value === 'boolean'
      || (typeof value === 'number' && Number.isFinite(value));
    if (!ok && !Token.isUnresolved(value)) {
      problems.add(`${property}.${name}`, value, 'a string, a finite number or a boolean');
    }
  }
  problems.checkMap(property, renderHyperparameters(hyperparameters, encoding), { maxEntries: 100, maxKeyLength: 256, maxValueLength: 2500 });
}
