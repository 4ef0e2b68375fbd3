import * as fs from 'fs';
import * as path from 'path';

/**
 * A shape of SageMaker's API model (botocore's `service-2.json`), reduced by
 * `scripts/extract-sagemaker-shapes.ts` to what validation needs. For strings
 * `min`/`max` bound the length, for numbers the value, for lists and maps the
 * number of entries.
 */
export interface ApiShape {
  readonly type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'float' | 'double' | 'boolean' | 'timestamp' | 'blob';
  readonly members?: { readonly [name: string]: { readonly shape: string } };
  readonly required?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
  /** A structure of which exactly one member is set. */
  readonly union?: boolean;
  readonly member?: { readonly shape: string };
  readonly key?: { readonly shape: string };
  readonly value?: { readonly shape: string };
}

/** The document that `scripts/extract-sagemaker-shapes.ts` writes. */
export interface ApiShapes {
  readonly source: { readonly botocoreCommit: string; readonly apiVersion: string; readonly license: string };
  /** Operation name (`CreateTrainingJob`) → name of its input shape. */
  readonly operations: { readonly [operation: string]: string };
  readonly shapes: { readonly [name: string]: ApiShape };
}

/** The committed extract of SageMaker's API model. */
export const SAGEMAKER_API_SHAPES_FILE = path.join(__dirname, '..', 'fixtures', 'sagemaker-api-shapes.json');

/** A failure of the validator itself (not a problem of the validated request). */
export class ApiValidatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiValidatorError';
  }
}

/**
 * Java's POSIX character classes (`\p{Alnum}`), which some botocore patterns
 * use and JavaScript does not know, as the contents of a character class.
 */
const JAVA_POSIX_CLASSES: { [name: string]: string } = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: ' \\t\\n\\x0B\\f\\r',
};

/**
 * A botocore pattern as a JavaScript regex that must match the WHOLE value
 * (SageMaker matches patterns against the entire string, as Java's
 * `Matcher.matches()` does; a pattern's own `^`/`$` are then redundant).
 * Java's POSIX classes are translated; the `u` flag gives `\p{L}` and
 * friends their Unicode meaning.
 */
export function compilePattern(pattern: string): RegExp {
  let translated = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const posix = /^\\p\{(\w+)\}/.exec(pattern.slice(i));
      if (posix && JAVA_POSIX_CLASSES[posix[1]] !== undefined) {
        const contents = JAVA_POSIX_CLASSES[posix[1]];
        translated += inClass ? contents : `[${contents}]`;
        i += posix[0].length - 1;
        continue;
      }
      translated += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
    translated += c;
  }
  try {
    return new RegExp(`^(?:${translated})$`, 'u');
  } catch {
    try {
      return new RegExp(`^(?:${translated})$`);
    } catch (e) {
      throw new ApiValidatorError(`the botocore pattern ${JSON.stringify(pattern)} does not compile as a JavaScript regex: ${(e as Error).message}`);
    }
  }
}

/** Whether a value is an unresolved CloudFormation intrinsic (`{ Ref }`, `{ "Fn::Join" }`, ...). */
export function isIntrinsic(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** Whether a string holds an unresolved CDK token. */
function hasToken(value: string): boolean {
  return value.includes('${Token[');
}

/** A Step Functions path or intrinsic function, the value of a `<Name>.$` key. */
function isStatesPath(value: unknown): boolean {
  return typeof value === 'string' && (value.startsWith('$') || value.startsWith('States.'));
}

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Validates SageMaker API requests against the input shapes of SageMaker's
 * own API model: the checks SageMaker's request validation makes before it
 * looks at anything else.
 *
 * Requests may be Step Functions `Parameters`: a `<Name>.$` key stands for
 * member `<Name>`, computed at run time; its value must be a path (`$...`)
 * or an intrinsic function (`States....`) and is not checked further.
 * Strings that are unresolved CloudFormation intrinsics or CDK tokens are
 * accepted without checking their content.
 */
export class SageMakerApiValidator {
  /** The validator of the committed extract, `test/fixtures/sagemaker-api-shapes.json`. */
  public static fromFixture(file = SAGEMAKER_API_SHAPES_FILE): SageMakerApiValidator {
    return new SageMakerApiValidator(JSON.parse(fs.readFileSync(file, 'utf8')) as ApiShapes);
  }

  private readonly patterns = new Map<string, RegExp>();

  constructor(public readonly model: ApiShapes) {}

  /** The operations whose input shapes are known. */
  public get operations(): string[] {
    return Object.keys(this.model.operations);
  }

  /** A shape by name. */
  public shape(name: string): ApiShape {
    const shape = this.model.shapes[name];
    if (!shape) throw new ApiValidatorError(`shape ${name} is not in the extract; known shapes: ${Object.keys(this.model.shapes).length}, re-run scripts/extract-sagemaker-shapes.ts`);
    return shape;
  }

  /**
   * The problems of a request to an operation (`CreateTrainingJob`), each as
   * `<path>: <problem>`, where the path is the member path in the request
   * (`InputDataConfig[0].ChannelName`; `(request)` for the request itself).
   * Empty when SageMaker's model accepts the request.
   */
  public validate(operation: string, request: unknown): string[] {
    const input = this.model.operations[operation];
    if (!input) {
      throw new ApiValidatorError(`operation ${JSON.stringify(operation)} is not in the extract; known: ${this.operations.join(', ')}`);
    }
    const problems: string[] = [];
    this.check(input, request, '', problems);
    return problems;
  }

  /** The problems of a value of a named shape (`ProductionVariant`), paths relative to it. */
  public validateShape(shapeName: string, value: unknown): string[] {
    const problems: string[] = [];
    this.check(shapeName, value, '', problems);
    return problems;
  }

  private check(shapeName: string, value: unknown, at: string, problems: string[]): void {
    const shape = this.shape(shapeName);
    const where = at || '(request)';
    const add = (problem: string): void => {
      problems.push(`${where}: ${problem}`);
    };
    switch (shape.type) {
      case 'structure':
        return this.checkStructure(shapeName, shape, value, at, problems);
      case 'list':
        if (!Array.isArray(value)) return add(`expected a list (${shapeName}), got ${typeOf(value)} ${show(value)}`);
        this.checkCount(shape, value.length, 'entries', add);
        value.forEach((item, i) => this.check(shape.member!.shape, item, `${at}[${i}]`, problems));
        return;
      case 'map':
        if (!isPlainObject(value)) return add(`expected a map (${shapeName}), got ${typeOf(value)} ${show(value)}`);
        this.checkCount(shape, Object.keys(value).length, 'entries', add);
        for (const [key, item] of Object.entries(value)) {
          const dynamic = key.endsWith('.$');
          const name = dynamic ? key.slice(0, -2) : key;
          this.check(shape.key!.shape, name, `${at}{key ${JSON.stringify(name)}}`, problems);
          if (dynamic) {
            if (!isStatesPath(item)) problems.push(`${at}.${key}: a ".$" value must be a Step Functions path or intrinsic function (starting with "$" or "States."), got ${show(item)}`);
          } else {
            this.check(shape.value!.shape, item, `${at}.${key}`, problems);
          }
        }
        return;
      case 'string':
        return this.checkString(shapeName, shape, value, add);
      case 'integer':
      case 'long':
      case 'float':
      case 'double':
        if (typeof value !== 'number' || !Number.isFinite(value)) return add(`expected a number (${shape.type} ${shapeName}), got ${typeOf(value)} ${show(value)}`);
        if ((shape.type === 'integer' || shape.type === 'long') && !Number.isInteger(value)) return add(`expected a whole number (${shape.type} ${shapeName}), got ${value}`);
        if (shape.type === 'integer' && (value > 2 ** 31 - 1 || value < -(2 ** 31))) return add(`${value} does not fit a 32-bit integer (${shapeName})`);
        if (shape.min !== undefined && value < shape.min) add(`${value} is less than the minimum ${shape.min} (${shapeName})`);
        if (shape.max !== undefined && value > shape.max) add(`${value} is more than the maximum ${shape.max} (${shapeName})`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') add(`expected a boolean (${shapeName}), got ${typeOf(value)} ${show(value)}`);
        return;
      case 'timestamp':
        if (typeof value !== 'number' && typeof value !== 'string' && !(value instanceof Date)) add(`expected a timestamp (${shapeName}), got ${typeOf(value)}`);
        return;
      default:
        throw new ApiValidatorError(`shape ${shapeName} has type ${JSON.stringify(shape.type)}, which the validator does not handle`);
    }
  }

  private checkStructure(shapeName: string, shape: ApiShape, value: unknown, at: string, problems: string[]): void {
    const prefix = at ? `${at}.` : '';
    if (!isPlainObject(value)) {
      problems.push(`${at || '(request)'}: expected a structure (${shapeName}), got ${typeOf(value)} ${show(value)}`);
      return;
    }
    const members = shape.members ?? {};
    const present = new Set<string>();
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue; // dropped when serialized
      const dynamic = key.endsWith('.$');
      const name = dynamic ? key.slice(0, -2) : key;
      if (!(name in members)) {
        problems.push(`${prefix}${key}: unknown member of ${shapeName}; allowed: ${Object.keys(members).sort().join(', ')}`);
        continue;
      }
      if (present.has(name)) {
        problems.push(`${prefix}${key}: member ${name} is given both as "${name}" and as "${name}.$"`);
        continue;
      }
      present.add(name);
      if (dynamic) {
        if (!isStatesPath(item)) problems.push(`${prefix}${key}: a ".$" value must be a Step Functions path or intrinsic function (starting with "$" or "States."), got ${show(item)}`);
      } else {
        this.check(members[name].shape, item, `${prefix}${name}`, problems);
      }
    }
    for (const name of shape.required ?? []) {
      if (!present.has(name)) problems.push(`${prefix}${name}: required member of ${shapeName} is missing`);
    }
    if (shape.union && present.size !== 1) {
      problems.push(`${at || '(request)'}: ${shapeName} is a union: exactly one of its members must be set, found ${present.size} (${[...present].join(', ') || 'none'})`);
    }
  }

  private checkString(shapeName: string, shape: ApiShape, value: unknown, add: (problem: string) => void): void {
    if (isIntrinsic(value)) return;
    if (typeof value !== 'string') return add(`expected a string (${shapeName}), got ${typeOf(value)} ${show(value)}`);
    if (hasToken(value)) return;
    if (shape.enum && !shape.enum.includes(value)) {
      add(`${show(value)} is not one of the values of ${shapeName}: ${shape.enum.join(', ')}`);
    }
    const length = value.length;
    if (shape.min !== undefined && length < shape.min) add(`${show(value)} is ${length} characters long, less than the minimum ${shape.min} (${shapeName})`);
    if (shape.max !== undefined && length > shape.max) add(`${show(value)} is ${length} characters long, more than the maximum ${shape.max} (${shapeName})`);
    if (shape.pattern !== undefined && !this.pattern(shape.pattern).test(value)) {
      add(`${show(value)} does not match the pattern ${shape.pattern} of ${shapeName}`);
    }
  }

  private checkCount(shape: ApiShape, count: number, what: string, add: (problem: string) => void): void {
    if (shape.min !== undefined && count < shape.min) add(`${count} ${what}, fewer than the minimum ${shape.min}`);
    if (shape.max !== undefined && count > shape.max) add(`${count} ${what}, more than the maximum ${shape.max}`);
  }

  private pattern(source: string): RegExp {
    let regex = this.patterns.get(source);
    if (!regex) {
      regex = compilePattern(source);
      this.patterns.set(source, regex);
    }
    return regex;
  }
}
