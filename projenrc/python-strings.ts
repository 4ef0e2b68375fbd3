/**
 * The package strings jsii-pacmak writes into the Python package's `setup.py`,
 * and the check that keeps them intact.
 *
 * jsii-pacmak's Python target (lib/targets/python.js, `emitSetupPy`) writes
 *
 *     kwargs = json.loads(
 *         """
 *     <JSON.stringify(setupKwargs, null, 4)>
 *     """
 *     )
 *
 * The triple-quoted string is not raw, so Python reads every escape that
 * `JSON.stringify` wrote before `json.loads` sees it: `\"` becomes `"` and ends
 * the JSON string early, `\\` becomes `\`, and `\n`, `\t` or `\u0000`..`\u001f`
 * become raw control characters, which `json.loads` rejects. A string survives
 * that only if `JSON.stringify` writes it with no escape at all: no double quote,
 * no backslash, no control character (U+0000 to U+001F), no lone surrogate.
 *
 * The package README is not embedded in setup.py (setup.py reads README.md at
 * build time), but pacmak embeds it as the root module's raw docstring
 * (`r'''...'''`) in `__init__.py`, so it must not contain `'''`.
 */

/** One string pacmak embeds, with the setup.py field it goes to and where it comes from. */
export interface EmbeddedString {
  /** The setup.py keyword argument (and index) it is written to. */
  readonly field: string;
  /** Where it is set, for the error message. */
  readonly source: string;
  readonly value: string;
}

/** The parts of package.json (as projen writes it) that pacmak reads for setup.py. */
export interface PackageManifest {
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  readonly license?: string;
  readonly homepage?: string;
  readonly keywords?: readonly string[];
  readonly author?: { readonly name?: string; readonly email?: string; readonly url?: string };
  readonly repository?: { readonly url?: string } | string;
  readonly bin?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly bundledDependencies?: readonly string[];
  readonly jsii?: {
    readonly targets?: {
      readonly python?: { readonly distName?: string; readonly module?: string; readonly classifiers?: readonly string[] };
    };
  };
}

/** Resolves a jsii dependency's Python distribution name (from its own package.json). */
export type PythonDistNameOf = (dependency: string) => string;

/**
 * Every string pacmak's `setup.py` embeds that comes from this project's configuration.
 * (The rest of setup.py is pacmak's own constants, and Python module names, which are identifiers.)
 */
export function setupPyStrings(pkg: PackageManifest, distNameOf: PythonDistNameOf): EmbeddedString[] {
  const python = pkg.jsii?.targets?.python ?? {};
  const repositoryUrl = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const out: EmbeddedString[] = [];
  const add = (field: string, source: string, value: string | undefined) => {
    if (value !== undefined) out.push({ field, source, value });
  };
  add('name', 'publishToPypi.distName', python.distName);
  add('version', 'package version', pkg.version);
  add('description', 'description', pkg.description);
  add('license', 'license', pkg.license);
  // jsii's assembly homepage is package.json's homepage, else the repository URL.
  add('url', 'homepage (else repositoryUrl)', pkg.homepage ?? repositoryUrl);
  add('author', 'author and authorAddress', pkg.author?.name !== undefined
    ? pkg.author.name + (pkg.author.email !== undefined ? `<${pkg.author.email}>` : '')
    : undefined);
  add('project_urls.Source', 'repositoryUrl', repositoryUrl);
  // The bundled jsii assembly's file name: `<npm name>@<version>.jsii.tgz`.
  add('package_data', 'package name and version', `${pkg.name}@${pkg.version ?? '0.0.0'}.jsii.tgz`);
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).sort()) {
    if (pkg.bundledDependencies?.includes(dep)) continue;
    const range = pkg.peerDependencies?.[dep] ?? pkg.dependencies?.[dep];
    add(`install_requires[${dep}]`, `dependency ${dep}`, `${distNameOf(dep)} ${range}`);
  }
  (python.classifiers ?? []).forEach((c, i) => add(`classifiers[${i}]`, 'publishToPypi classifiers', c));
  for (const [name, target] of Object.entries(pkg.bin ?? {})) {
    add(`scripts[${name}]`, 'bin', `${name} ${target}`);
  }
  // pacmak 1.x does not write keywords into setup.py; they are checked so that
  // a pacmak that starts to does not find a broken one.
  (pkg.keywords ?? []).forEach((k, i) => add(`keywords[${i}]`, 'keywords', k));
  return out;
}

/** The characters `JSON.stringify` escapes, which a non-raw Python `"""` string then mangles. */
function escapedByJson(ch: string): boolean {
  return JSON.stringify(ch) !== `"${ch}"`;
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (ch === '"') return 'a double quote (")';
  if (ch === '\\') return 'a backslash (\\)';
  return `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The problems that would break or alter setup.py: one message per bad string,
 * naming the field, where it is set, the bad character and what is allowed.
 */
export function setupPyStringProblems(strings: readonly EmbeddedString[]): string[] {
  const problems: string[] = [];
  for (const s of strings) {
    // By code point: a surrogate pair is one character (and not escaped), a lone surrogate is escaped.
    const bad = [...new Set(Array.from(s.value).filter(escapedByJson))];
    if (bad.length > 0) {
      problems.push(`${s.field} (set by ${s.source}) ${JSON.stringify(s.value)} contains ${bad.map(describeChar).join(', ')}; `
        + 'jsii-pacmak writes it inside a Python """ string in setup.py, where that breaks the JSON. '
        + 'Allowed: any text without double quotes, backslashes or control characters (use \'single\' or “typographic” quotes).');
    }
  }
  return problems;
}

/** The problem, if any, with the README that pacmak embeds as a raw `r'''` docstring. */
export function readmeDocstringProblems(readme: string): string[] {
  const lines = readme.split('\n');
  return lines.flatMap((line, i) => line.includes("'''")
    ? [`README.md line ${i + 1} contains ''' ; jsii-pacmak embeds the README in the Python module as an r''' docstring, which it would end. Allowed: anything but three single quotes in a row.`]
    : []);
}

/** Throws one error that lists every problem, or returns quietly. */
export function assertSetupPyStrings(strings: readonly EmbeddedString[]): void {
  const problems = setupPyStringProblems(strings);
  if (problems.length > 0) {
    throw new Error(`The Python package's setup.py would not run:\n- ${problems.join('\n- ')}`);
  }
}
