import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  EmbeddedString, PackageManifest, readmeDocstringProblems, setupPyStringProblems, setupPyStrings,
} from '../../projenrc/python-strings';

const root = path.join(__dirname, '..', '..');
const pkg: PackageManifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const distNameOf = (dep: string): string =>
  JSON.parse(fs.readFileSync(require.resolve(`${dep}/package.json`, { paths: [root] }), 'utf8')).jsii.targets.python.distName;

/**
 * Runs, with Debian's python3, the statement jsii-pacmak writes at the top of
 * setup.py (same layout: `json.loads(`, an indented `"""`, the JSON indented by
 * 4, a closing `"""`), and returns what Python's kwargs came out as, written
 * as UTF-8 the way setuptools writes the package metadata.
 */
function throughSetupPy(kwargs: object): { ok: true; value: unknown } | { ok: false; error: string } {
  const setupPy = [
    'import json',
    'import sys',
    '',
    'kwargs = json.loads(',
    '    """',
    JSON.stringify(kwargs, null, 4),
    '"""',
    ')',
    'sys.stdout.buffer.write(json.dumps(kwargs, ensure_ascii=False).encode("utf-8"))',
  ].join('\n');
  const run = spawnSync('/usr/bin/python3', ['-'], { input: setupPy, encoding: 'utf8' });
  if (run.error) throw run.error;
  return run.status === 0 ? { ok: true, value: JSON.parse(run.stdout) } : { ok: false, error: run.stderr };
}

function asKwargs(strings: readonly EmbeddedString[]): Record<string, string> {
  return Object.fromEntries(strings.map((s) => [s.field, s.value]));
}

describe('the strings jsii-pacmak embeds in setup.py', () => {
  test('this package has none that would break setup.py', () => {
    // GIVEN the package.json `npx projen` writes
    const strings = setupPyStrings(pkg, distNameOf);

    // THEN every string pacmak takes from it is there, and none has a problem
    expect(strings.map((s) => s.field)).toEqual(expect.arrayContaining([
      'name', 'version', 'description', 'license', 'url', 'author', 'project_urls.Source',
      'package_data', 'install_requires[aws-cdk-lib]', 'install_requires[constructs]', 'scripts[byoa]', 'keywords[0]',
    ]));
    expect(asKwargs(strings).name).toBe('cdk-sagemaker-byoa');
    expect(setupPyStringProblems(strings)).toEqual([]);
  });

  test('they come out of the setup.py statement unchanged', () => {
    const kwargs = asKwargs(setupPyStrings(pkg, distNameOf));

    expect(throughSetupPy(kwargs)).toEqual({ ok: true, value: kwargs });
  });

  test('the old description, with double quotes, is reported, and really breaks setup.py', () => {
    // GIVEN the description as it was
    const old = { field: 'description', source: 'description', value: 'AWS CDK constructs for "bring your own algorithm" SageMaker pipelines' };

    // THEN the check names the field, the character and what is allowed
    const problems = setupPyStringProblems([old]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^description \(set by description\) .* contains a double quote \("\).*Allowed: any text without double quotes, backslashes or control characters/);
    // AND Python fails on it exactly as the issue describes
    const result = throughSetupPy({ description: old.value });
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.error).toMatch(/json\.decoder\.JSONDecodeError: Expecting ',' delimiter/);
  });

  test.each([
    ['a backslash', 'C:\\temp', /a backslash \(\\\)/],
    ['a backslash before n (would turn into a newline)', 'fit\\nicely', /a backslash/],
    ['a newline', 'line one\nline two', /U\+000A/],
    ['a tab', 'a\tb', /U\+0009/],
    ['a NUL', 'a\u0000b', /U\+0000/],
    ['a lone surrogate', 'a\ud800b', /U\+D800/],
  ])('%s is reported, and setup.py would fail or change the value', (_what, value, message) => {
    const strings = [{ field: 'author', source: 'author and authorAddress', value }];

    expect(setupPyStringProblems(strings)).toEqual([expect.stringMatching(message)]);
    const result = throughSetupPy({ author: value });
    expect(result.ok && JSON.stringify(result.value) === JSON.stringify({ author: value })).toBe(false);
  });

  test('typographic quotes, single quotes and non-ASCII text are allowed, and survive setup.py', () => {
    const value = 'constructs for \u201cbring your own algorithm\u201d, it\'s caf\u00e9 \u{1F680}';
    const strings = [{ field: 'description', source: 'description', value }];

    expect(setupPyStringProblems(strings)).toEqual([]);
    expect(throughSetupPy({ description: value })).toEqual({ ok: true, value: { description: value } });
  });

  test('every field pacmak writes is either covered here or a constant of pacmak', () => {
    // GIVEN the setup.py keyword arguments jsii-pacmak's Python target writes
    const source = fs.readFileSync(require.resolve('jsii-pacmak/lib/targets/python.js', { paths: [root] }), 'utf8');
    const block = /const setupKwargs = \{([\s\S]*?)\n {8}\};/.exec(source)?.[1];
    expect(block).toBeDefined();
    const fields = [...block!.matchAll(/^ {12}([a-z_]+)[,:]/gm)].map((m) => m[1]);

    // THEN it is the list this check was written against: a new pacmak that
    // adds one must be looked at (and python-strings.ts extended)
    const covered = ['name', 'version', 'description', 'license', 'url', 'author', 'project_urls', 'package_data', 'install_requires', 'classifiers', 'scripts'];
    const pacmakConstants = ['long_description_content_type', 'bdist_wheel', 'package_dir', 'packages', 'python_requires'];
    expect(fields.sort()).toEqual([...covered, ...pacmakConstants].sort());
  });
});

describe('the README, which pacmak embeds as the module docstring', () => {
  test("has no ''' (pacmak wraps it in r''' ... ''')", () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

    expect(readmeDocstringProblems(readme)).toEqual([]);
  });

  test("a ''' is reported with its line", () => {
    expect(readmeDocstringProblems("# Title\n\nprint('''hello''')\n")).toEqual([
      expect.stringMatching(/^README\.md line 3 contains '''/),
    ]);
  });
});
