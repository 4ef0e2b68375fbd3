import * as fs from 'fs';
import * as path from 'path';

/**
 * jsii-rosetta compiles (strict) and translates only ```ts / ```typescript
 * blocks. Every other block is shown as it is, in every language's README, so
 * each must say what it is: a TypeScript example cannot slip past the compiler
 * as ```js or an unlabelled fence.
 */
const COMPILED = ['ts', 'typescript'];
const SHOWN_AS_IS = ['sh', 'console', 'text', 'json', 'python', 'dockerfile', 'yaml', 'diff'];

function fenceProblems(markdown: string): string[] {
  const problems: string[] = [];
  let open = false;
  markdown.split('\n').forEach((line, i) => {
    const fence = /^\s*(```+|~~~+)\s*(\S*)/.exec(line);
    if (!fence) return;
    if (open) {
      open = false;
      return;
    }
    open = true;
    const language = fence[2].split(/[\s{]/)[0];
    if (!COMPILED.includes(language) && !SHOWN_AS_IS.includes(language)) {
      problems.push(`README.md line ${i + 1}: code block language "${language}" is not allowed; `
        + `use ${COMPILED.map((l) => '```' + l).join(' or ')} for TypeScript (compiled by jsii-rosetta, strict), `
        + `or one of ${SHOWN_AS_IS.map((l) => '```' + l).join(', ')} for anything else`);
    }
  });
  return problems;
}

describe('README code blocks', () => {
  test('each says its language, and TypeScript is always ```ts', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

    expect(fenceProblems(readme)).toEqual([]);
  });

  test.each([
    ['an unlabelled block', '```\nconst x = 1;\n```\n', /line 1: code block language "" is not allowed/],
    ['a ```js block', 'text\n\n```js\nnew ByoaPipeline(stack, "P", {});\n```\n', /line 3: code block language "js" is not allowed/],
  ])('%s is reported', (_what, markdown, message) => {
    expect(fenceProblems(markdown)).toEqual([expect.stringMatching(message)]);
  });

  test('shell, console and TypeScript blocks pass; only opening fences are looked at', () => {
    expect(fenceProblems('```sh\nnpx cdk synth\n```\n\n```console\n$ npx byoa local run\n```\n\n```ts fixture=default\nconst a = 1;\n```\n')).toEqual([]);
  });
});
