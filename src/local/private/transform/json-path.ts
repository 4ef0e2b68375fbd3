import { LocalModeError } from '../../errors';

/**
 * The subset of JSONPath that SageMaker batch transform's `DataProcessing`
 * filters (`InputFilter`, `OutputFilter`) use, evaluated without any
 * dependency.
 *
 * Supported:
 * - `$` (the whole record);
 * - `.name`, `['name']`, `["name"]` (a member of an object);
 * - `[n]`, `[-n]` (an element of an array; negative counts from the end);
 * - `[a:b]` (a slice, INCLUSIVE of both ends as in SageMaker: `$[1:4]` is
 *   elements 1, 2, 3 and 4; either end may be omitted or negative);
 * - `[a,b,c]` and combinations with slices (`[0,2:4]`): the selected elements,
 *   in the order written, as an array;
 * - `['a','b']`: an object with only those members.
 *
 * A segment that selects several values (a slice or a list) must be the last
 * one. Wildcards, recursive descent and filter expressions are rejected.
 */
export class JsonPath {
  /** Parses an expression; throws a {@link LocalModeError} naming what is unsupported. */
  public static parse(expression: string): JsonPath {
    return new JsonPath(expression, parseSegments(expression));
  }

  private constructor(public readonly expression: string, private readonly segments: readonly Segment[]) {}

  /** Whether the expression is `$` (selects the whole record). */
  public get isRoot(): boolean {
    return this.segments.length === 0;
  }

  /**
   * Applies the expression to a parsed JSON value. Throws a
   * {@link LocalModeError} when the value does not have the selected part.
   */
  public evaluate(value: unknown): unknown {
    let current = value;
    for (const segment of this.segments) {
      current = applySegment(segment, current, this.expression);
    }
    return current;
  }
}

type Selector =
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'slice'; readonly start?: number; readonly end?: number }
  | { readonly kind: 'name'; readonly name: string };

interface Segment {
  readonly selectors: readonly Selector[];
  /** Whether the segment yields several values (a list or a slice). */
  readonly multiple: boolean;
}

function unsupported(expression: string, why: string): LocalModeError {
  return new LocalModeError(
    `Unsupported JSONPath expression '${expression}': ${why}. ` +
    "Supported: '$', '$.name', '$.a.b', \"$['name']\", '$[n]', '$[-1]', '$[a:b]' (inclusive), '$[a,b,c]', '$[0,2:4]', \"$['a','b']\".",
  );
}

function parseSegments(expression: string): Segment[] {
  const text = expression.trim();
  if (!text.startsWith('$')) {
    throw unsupported(expression, "it must start with '$'");
  }
  const segments: Segment[] = [];
  let i = 1;
  while (i < text.length) {
    if (segments.length > 0 && segments[segments.length - 1].multiple) {
      throw unsupported(expression, 'a slice or a list must be the last part of the path');
    }
    const c = text[i];
    if (c === '.') {
      if (text[i + 1] === '.') throw unsupported(expression, "recursive descent '..' is not supported");
      const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i + 1));
      if (!match) {
        throw unsupported(expression, `expected a member name after '.' at position ${i}`);
      }
      segments.push({ selectors: [{ kind: 'name', name: match[0] }], multiple: false });
      i += 1 + match[0].length;
    } else if (c === '[') {
      const close = findClosingBracket(text, i, expression);
      const selectors = parseBracket(text.slice(i + 1, close), expression);
      const multiple = selectors.length > 1 || selectors[0].kind === 'slice';
      segments.push({ selectors, multiple });
      i = close + 1;
    } else {
      throw unsupported(expression, `unexpected '${c}' at position ${i}`);
    }
  }
  return segments;
}

function findClosingBracket(text: string, open: number, expression: string): number {
  let quote: string | undefined;
  for (let j = open + 1; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === ']') {
      return j;
    }
  }
  throw unsupported(expression, `'[' at position ${open} is never closed`);
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let j = 0; j < body.length; j++) {
    const c = body[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === ',') {
      parts.push(body.slice(start, j));
      start = j + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

const INTEGER = /^-?\d+$/;

function parseBracket(body: string, expression: string): Selector[] {
  const parts = splitTopLevel(body).map((p) => p.trim());
  const selectors: Selector[] = [];
  for (const part of parts) {
    if (part === '') throw unsupported(expression, 'empty selector inside []');
    if (part === '*') throw unsupported(expression, "wildcard '*' is not supported");
    if (part.startsWith('?') || part.startsWith('(')) throw unsupported(expression, 'filter and script expressions are not supported');
    const quoted = /^(['"])(.*)\1$/s.exec(part);
    if (quoted) {
      selectors.push({ kind: 'name', name: quoted[2].replace(/\\(.)/g, '$1') });
    } else if (INTEGER.test(part)) {
      selectors.push({ kind: 'index', index: Number(part) });
    } else if (part.includes(':')) {
      const bounds = part.split(':').map((b) => b.trim());
      if (bounds.length !== 2 || !bounds.every((b) => b === '' || INTEGER.test(b))) {
        throw unsupported(expression, `'${part}' is not a slice of the form a:b (steps are not supported)`);
      }
      selectors.push({
        kind: 'slice',
        start: bounds[0] === '' ? undefined : Number(bounds[0]),
        end: bounds[1] === '' ? undefined : Number(bounds[1]),
      });
    } else {
      throw unsupported(expression, `'${part}' is neither an index, a slice nor a quoted name`);
    }
  }
  const kinds = new Set(selectors.map((s) => (s.kind === 'name' ? 'name' : 'index')));
  if (kinds.size > 1) throw unsupported(expression, 'names and indexes cannot be mixed in one []');
  return selectors;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function applySegment(segment: Segment, value: unknown, expression: string): unknown {
  const first = segment.selectors[0];
  if (first.kind === 'name') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new LocalModeError(`JSONPath '${expression}' selects member '${first.name}' but the record is ${describe(value)}, not an object`);
    }
    const obj = value as Record<string, unknown>;
    if (!segment.multiple) {
      if (!(first.name in obj)) throw new LocalModeError(`JSONPath '${expression}': the record has no member '${first.name}'`);
      return obj[first.name];
    }
    const out: Record<string, unknown> = {};
    for (const s of segment.selectors) {
      const name = (s as { name: string }).name;
      if (name in obj) out[name] = obj[name];
    }
    return out;
  }
  if (!Array.isArray(value)) {
    throw new LocalModeError(`JSONPath '${expression}' selects array elements but the record is ${describe(value)}`);
  }
  const length = value.length;
  const resolve = (n: number) => (n < 0 ? length + n : n);
  if (!segment.multiple) {
    const index = resolve((first as { index: number }).index);
    if (index < 0 || index >= length) {
      throw new LocalModeError(`JSONPath '${expression}': index ${(first as { index: number }).index} is out of range for ${describe(value)}`);
    }
    return value[index];
  }
  const out: unknown[] = [];
  for (const s of segment.selectors) {
    if (s.kind === 'index') {
      const index = resolve(s.index);
      if (index < 0 || index >= length) {
        throw new LocalModeError(`JSONPath '${expression}': index ${s.index} is out of range for ${describe(value)}`);
      }
      out.push(value[index]);
    } else if (s.kind === 'slice') {
      const start = Math.max(0, s.start === undefined ? 0 : resolve(s.start));
      const end = Math.min(length - 1, s.end === undefined ? length - 1 : resolve(s.end));
      for (let k = start; k <= end; k++) out.push(value[k]);
    }
  }
  return out;
}
