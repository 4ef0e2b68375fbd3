/**
 * SageMaker metric regexes are written for Python's `re` (SageMaker and the
 * SDK's examples use `(?P<name>...)`). This turns the Python-only syntax
 * into its JavaScript equivalent, so that synth-time checks accept what
 * SageMaker accepts and local mode matches log lines the same way
 * (INTERNAL; no aws-cdk-lib import):
 *
 * - `(?P<name>...)` named group -> `(?<name>...)`;
 * - `(?P=name)` back-reference -> `\k<name>`;
 * - `\A` / `\Z` (start / end of the string) -> lookarounds that mean the same
 *   whatever the flags;
 * - leading inline flags `(?i)`, `(?m)`, `(?s)` -> RegExp flags (`(?a)`,
 *   `(?u)` and `(?L)` change nothing here and are dropped; `(?x)`, verbose
 *   mode, is refused).
 *
 * Escapes and character classes are skipped, so `\(?P<` or `[(?P<]` are
 * left alone.
 */

/** The JavaScript source and flags of a Python regex. */
export interface TranslatedRegex {
  readonly source: string;
  readonly flags: string;
}

/** Translates `python` (see the module doc); throws an Error naming what cannot be translated. */
export function translatePythonRegex(python: string): TranslatedRegex {
  let rest = python;
  let flags = '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(rest);
  if (inline) {
    for (const f of inline[1]) {
      if (f === 'x') throw new Error('verbose mode (?x) is not supported: write the regex without it');
      if ('ims'.includes(f) && !flags.includes(f)) flags += f;
    }
    rest = rest.slice(inline[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '\\') {
      const next = rest[i + 1] ?? '';
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') out += '(?![\\s\\S])';
      else out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal in both syntaxes.
      if (rest[i + 1] === '^') { out += '^'; i++; }
      if (rest[i + 1] === ']') { out += ']'; i++; }
      continue;
    }
    if (rest.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    const backReference = /^\(\?P=(\w+)\)/.exec(rest.slice(i));
    if (backReference) {
      out += `\\k<${backReference[1]}>`;
      i += backReference[0].length - 1;
      continue;
    }
    out += c;
  }
  return { source: out, flags };
}

/** `new RegExp` of a Python regex; throws when it does not compile (the message says why). */
export function compilePythonRegex(python: string): RegExp {
  const { source, flags } = translatePythonRegex(python);
  return new RegExp(source, flags);
}
