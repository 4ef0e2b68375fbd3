import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ByoaValidationError } from './errors';

/** Renders a value for an error message: strings quoted, long values cut. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') {
    text = JSON.stringify(value);
  } else if (value === undefined) {
    text = 'undefined';
  } else if (typeof value === 'number') {
    text = String(value);
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** True when the value is (or contains) an unresolved CDK token: such values are checked at deploy time. */
export function isToken(value: unknown): boolean {
  return value !== undefined && value !== null && Token.isUnresolved(value);
}

/**
 * Collects every problem of one construct's props, then throws them all at
 * once as a {@link ByoaValidationError}. Every check skips unresolved tokens.
 */
export class Problems {
  private readonly list: string[] = [];

  /** How many problems have been found. */
  public get count(): number {
    return this.list.length;
  }

  /** Adds a problem: `property: value is wrong; allowed: ...`. */
  public add(property: string, value: unknown, allowed: string): void {
    this.list.push(`${property}: ${show(value)} is not valid; allowed: ${allowed}`);
  }

  /** Adds problems already worded `property ...` (checks that return their findings as a list). */
  public addAll(messages: string[]): void {
    this.list.push(...messages);
  }

  /** Adds a free-form problem that still names the property. */
  public addMessage(property: string, message: string): void {
    this.list.push(`${property}: ${message}`);
  }

  /**
   * A string of `min`-`max` characters matching `pattern` (when given).
   * SageMaker counts the limit in bytes of UTF-8, so that is what is
   * counted (a name that passes a pattern like `[a-zA-Z0-9-]` is ASCII anyway).
   */
  public checkName(property: string, value: string | undefined, min: number, max: number, pattern?: RegExp, patternText?: string): void {
    if (value === undefined || isToken(value)) return;
    const bytes = utf8Length(value);
    if (bytes < min || bytes > max || (pattern && !pattern.test(value))) {
      this.add(property, value, `${min}-${max} characters${pattern ? ` matching ${patternText ?? pattern.source}` : ''}`);
    }
  }

  /**
   * A string of `min`-`max` bytes in UTF-8: the API's "length" limits count
   * bytes, so `"é".repeat(300)` (600 bytes) does not fit in 500.
   */
  public checkLength(property: string, value: string | undefined, min: number, max: number): void {
    if (value === undefined || isToken(value)) return;
    const bytes = utf8Length(value);
    if (bytes < min || bytes > max) {
      this.add(property, value, `a string of ${min}-${max} ${sizeUnit(value, bytes)} (got ${describeSize(value, bytes)})`);
    }
  }

  /** An integer within [min, max]. */
  public checkInt(property: string, value: number | undefined, min: number, max?: number): void {
    if (value === undefined || isToken(value)) return;
    if (!Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
      this.add(property, value, max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`);
    }
  }

  /** A number within [min, max]. */
  public checkNumber(property: string, value: number | undefined, min: number, max?: number): void {
    if (value === undefined || isToken(value)) return;
    if (typeof value !== 'number' || Number.isNaN(value) || value < min || (max !== undefined && value > max)) {
      this.add(property, value, max === undefined ? `a number >= ${min}` : `a number from ${min} to ${max}`);
    }
  }

  /** One of the listed values. */
  public checkOneOf(property: string, value: string | undefined, allowed: readonly string[]): void {
    if (value === undefined || isToken(value)) return;
    if (!allowed.includes(value)) {
      this.add(property, value, `one of ${allowed.join(', ')}`);
    }
  }

  /** A list of min-max entries. */
  public checkCount(property: string, count: number, min: number, max: number, what: string): void {
    if (count < min || count > max) {
      this.addMessage(property, `has ${count} ${what}; allowed: ${min === max ? min : `${min} to ${max}`}`);
    }
  }

  /** A string-to-string map with limits on size, key and value (in bytes of UTF-8, as the API counts). */
  public checkMap(property: string, map: { [key: string]: string } | undefined, limits: MapLimits): void {
    if (map === undefined || isToken(map)) return;
    const entries = Object.entries(map);
    if (entries.length > limits.maxEntries) {
      this.addMessage(property, `has ${entries.length} entries; allowed: at most ${limits.maxEntries}`);
    }
    let total = 0;
    let totalKnown = true;
    for (const [key, value] of entries) {
      const keyBytes = utf8Length(key);
      if (isToken(key)) {
        totalKnown = false;
      } else if (keyBytes < 1 || keyBytes > limits.maxKeyLength || (limits.keyPattern && !limits.keyPattern.test(key))) {
        this.add(`${property} key`, key, `1-${limits.maxKeyLength} characters${limits.keyPattern ? ` matching ${limits.keyPattern.source}` : ''}`
          + (keyBytes > key.length ? ` (got ${describeSize(key, keyBytes)})` : ''));
      }
      total += keyBytes;
      if (typeof value !== 'string') {
        this.add(`${property}.${key}`, value, 'a string');
      } else if (isToken(value)) {
        totalKnown = false;
      } else {
        const valueBytes = utf8Length(value);
        total += valueBytes;
        if (valueBytes > limits.maxValueLength) {
          this.add(`${property}.${key}`, value, `at most ${limits.maxValueLength} ${sizeUnit(value, valueBytes)} (got ${describeSize(value, valueBytes)})`);
        }
      }
    }
    if (limits.maxTotalBytes !== undefined && totalKnown && total > limits.maxTotalBytes) {
      this.addMessage(property, `keys and values add up to ${total} bytes in UTF-8; allowed: at most ${limits.maxTotalBytes} (${limits.maxTotalBytes / 1024} KB) combined`);
    }
  }

  /**
   * An S3 key prefix: no leading "/", and short enough for the `s3://` URI
   * (at most 1024 characters with a bucket name of up to 63).
   */
  public checkKeyPrefix(property: string, keyPrefix: string | undefined): void {
    if (keyPrefix === undefined || isToken(keyPrefix)) return;
    if (keyPrefix.startsWith('/')) {
      this.add(property, keyPrefix, 'a key prefix without a leading "/"');
    } else if (utf8Length(keyPrefix) > MAX_KEY_PREFIX_LENGTH) {
      const bytes = utf8Length(keyPrefix);
      this.add(property, `${keyPrefix.slice(0, 40)}... (${describeSize(keyPrefix, bytes, ' characters')})`,
        `at most ${MAX_KEY_PREFIX_LENGTH} ${sizeUnit(keyPrefix, bytes)}, so that the s3:// URI fits in 1024`);
    }
  }

  /** Throws every collected problem at once, naming the construct path. */
  public throwIfAny(scope: IConstruct | string): void {
    if (this.list.length > 0) {
      throw new ByoaValidationError(typeof scope === 'string' ? scope : scope.node.path, [...this.list]);
    }
  }
}

export interface MapLimits {
  readonly maxEntries: number;
  /** In bytes of UTF-8. */
  readonly maxKeyLength: number;
  /** In bytes of UTF-8. */
  readonly maxValueLength: number;
  readonly keyPattern?: RegExp;
  /** All keys and values together, in bytes of UTF-8. @default - no limit */
  readonly maxTotalBytes?: number;
}

/** The length of `text` in bytes of UTF-8 (what SageMaker's length limits count). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * How a size is counted in a message: `characters` for ASCII text (bytes
 * and characters are the same), else `bytes in UTF-8`.
 */
function sizeUnit(text: string, bytes: number): string {
  return bytes === text.length ? 'characters' : 'bytes in UTF-8';
}

/** `501` (ASCII; `501 characters` with `asciiUnit`), or `600 bytes in 300 characters`. */
function describeSize(text: string, bytes: number, asciiUnit = ''): string {
  return bytes === text.length ? `${bytes}${asciiUnit}` : `${bytes} bytes in ${text.length} characters`;
}

/** 1024 - "s3://" - a 63-character bucket name - "/". */
export const MAX_KEY_PREFIX_LENGTH = 1024 - 5 - 63 - 1;

/** Environment variable names in training requests. */
export const ENV_KEY_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
