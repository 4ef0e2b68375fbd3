import { Token } from 'aws-cdk-lib';

/** CloudWatch Logs `PutMetricFilter` limit on `filterPattern`. */
export const MAX_PATTERN_LENGTH = 1024;
/** CloudWatch Logs: at most 3 dimensions per metric transformation. */
export const MAX_DIMENSIONS = 3;
/** CloudWatch Logs: at most 2 `%regex%` terms in one filter pattern. */
export const MAX_REGEX_TERMS = 2;
/** CloudWatch Logs: at most 5 filters containing a regex per log group. */
export const MAX_REGEX_FILTERS_PER_LOG_GROUP = 5;
/** CloudWatch Logs: at most 100 metric filters per log group. */
export const MAX_FILTERS_PER_LOG_GROUP = 100;

/** The three families of filter pattern CloudWatch Logs understands. */
export type PatternKind = 'json' | 'space-delimited' | 'text';

/** Which family a rendered filter pattern belongs to. */
export function patternKind(pattern: string): PatternKind {
  const trimmed = pattern.trim();
  if (trimmed.startsWith('{')) return 'json';
  if (trimmed.startsWith('[')) return 'space-delimited';
  return 'text';
}

/**
 * The `%regex%` terms of a pattern, ignoring `%` characters inside
 * double-quoted strings (`"100%"` is a literal, not a regex).
 */
export function regexTerms(pattern: string): string[] {
  const terms: string[] = [];
  let inQuotes = false;
  let regexStart = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (regexStart >= 0) {
      if (c === '\\') {
        i++;
      } else if (c === '%') {
        terms.push(pattern.slice(regexStart + 1, i));
        regexStart = -1;
      }
      continue;
    }
    if (inQuotes) {
      if (c === '\\') i++;
      else if (c === '"') inQuotes = false;
      continue;
    }
    if (c === '"') inQuotes = true;
    else if (c === '%') regexStart = i;
  }
  return terms;
}

/**
 * Column names of a space-delimited pattern (`[a, b = 1, ..., c]` gives
 * `a`, `b`, `c`). Commas inside quotes are respected.
 */
export function spaceDelimitedColumns(pattern: string): string[] {
  const trimmed = pattern.trim();
  const body = trimmed.slice(1, trimmed.lastIndexOf(']') >= 0 ? trimmed.lastIndexOf(']') : undefined);
  const parts: string[] = [];
  let current = '';
  let inQuotes = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"' && body[i - 1] !== '\\') inQuotes = !inQuotes;
    if (c === ',' && !inQuotes) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  const columns: string[] = [];
  for (const part of parts) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(part);
    if (m) columns.push(m[1]);
  }
  return columns;
}

/** The subset of metric filter settings that can be checked against the limits. */
export interface FilterSettings {
  readonly filterPattern: string;
  readonly metricNamespace: string;
  readonly metricName: string;
  readonly metricValue: string;
  readonly dimensions?: { [key: string]: string };
  readonly defaultValue?: number;
}

const NAME_FORBIDDEN = /[:*$]/;

function checkName(prop: string, value: string, problems: string[]): void {
  if (Token.isUnresolved(value)) return;
  if (value.length < 1 || value.length > 255) {
    problems.push(`${prop} '${value}' is ${value.length} characters long; CloudWatch allows 1-255 characters`);
  }
  if (NAME_FORBIDDEN.test(value)) {
    problems.push(`${prop} '${value}' contains ':', '*' or '$', which CloudWatch Logs metric filters do not allow`);
  }
}

/**
 * Checks one metric filter against the documented CloudWatch Logs limits.
 * Returns one message per problem (empty when the filter is fine). Values
 * that are unresolved tokens are skipped.
 */
export function checkMetricFilter(settings: FilterSettings): string[] {
  const problems: string[] = [];
  const pattern = settings.filterPattern;
  const patternIsToken = Token.isUnresolved(pattern);
  const kind = patternIsToken ? undefined : patternKind(pattern);

  if (!patternIsToken) {
    if (pattern.length > MAX_PATTERN_LENGTH) {
      problems.push(`filterPattern is ${pattern.length} characters long ('${pattern.slice(0, 60)}...'); CloudWatch Logs allows at most ${MAX_PATTERN_LENGTH}`);
    }
    const regexes = regexTerms(pattern);
    if (regexes.length > MAX_REGEX_TERMS) {
      problems.push(`filterPattern '${pattern}' has ${regexes.length} %regex% terms (${regexes.map((r) => `%${r}%`).join(', ')}); CloudWatch Logs allows at most ${MAX_REGEX_TERMS} per pattern`);
    }
    for (const r of regexes) {
      if (/[()]/.test(r)) {
        problems.push(`filterPattern regex term '%${r}%' contains parentheses; CloudWatch Logs regex terms support no groups: remove '(' and ')'`);
      }
    }
  }

  checkName('metricNamespace', settings.metricNamespace, problems);
  if (!Token.isUnresolved(settings.metricNamespace) && settings.metricNamespace.startsWith('AWS/')) {
    problems.push(`metricNamespace '${settings.metricNamespace}' starts with 'AWS/', which is reserved for AWS services`);
  }
  checkName('metricName', settings.metricName, problems);

  const fieldProblem = (prop: string, value: string): string | undefined => {
    if (Token.isUnresolved(value) || kind === undefined) return undefined;
    if (value.startsWith('$.')) {
      return kind === 'json' ? undefined
        : `${prop} '${value}' reads a JSON field, but filterPattern '${pattern}' is not a JSON pattern ('{ ... }')`;
    }
    if (value.startsWith('$')) {
      if (kind !== 'space-delimited') {
        return `${prop} '${value}' reads a space-delimited field, but filterPattern '${pattern}' is not a space-delimited pattern ('[ ... ]')`;
      }
      const field = value.slice(1);
      const columns = spaceDelimitedColumns(pattern);
      return columns.includes(field) ? undefined
        : `${prop} '${value}' names no field of filterPattern '${pattern}' (fields: ${columns.join(', ') || 'none'})`;
    }
    return `${prop} '${value}' is neither a '$field' (space-delimited) nor a '$.field' (JSON) reference`;
  };

  const value = settings.metricValue;
  if (!Token.isUnresolved(value) && !/^-?\d+(\.\d+)?$/.test(value)) {
    const p = fieldProblem('metricValue', value);
    if (p) problems.push(p.replace('is neither', 'is neither a number,'));
  }

  const dims = settings.dimensions ?? {};
  const dimNames = Object.keys(dims);
  if (dimNames.length > MAX_DIMENSIONS) {
    problems.push(`dimensions has ${dimNames.length} entries (${dimNames.join(', ')}); CloudWatch Logs allows at most ${MAX_DIMENSIONS}`);
  }
  if (dimNames.length > 0 && kind === 'text') {
    problems.push(`dimensions (${dimNames.join(', ')}) need a JSON ('{ ... }') or space-delimited ('[ ... ]') filterPattern, got '${pattern}'`);
  } else {
    for (const [name, ref] of Object.entries(dims)) {
      const p = fieldProblem(`dimensions.${name}`, ref);
      if (p) problems.push(p);
    }
  }
  if (dimNames.length > 0 && settings.defaultValue !== undefined) {
    problems.push(`defaultValue (${settings.defaultValue}) cannot be combined with dimensions (${dimNames.join(', ')}); CloudWatch Logs rejects a default value on a filter with dimensions`);
  }
  return problems;
}
