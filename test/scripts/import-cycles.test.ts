import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findCycles, importGraph } from '../../scripts/import-cycles';

function tree(files: { [name: string]: string }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-cycles-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

const relative = (root: string, cycles: string[][]) => cycles.map((c) => c.map((f) => path.relative(root, f)));

describe('import-cycles', () => {
  test('GIVEN a circle made of a type-only import WHEN checked THEN it is found', () => {
    const root = tree({
      'a.ts': "import type { B } from './b';\nexport interface A { b?: B }\n",
      'b.ts': "import { helper } from './sub';\nexport interface B { n: number }\n",
      'sub/index.ts': "export * from '../a';\nexport const helper = 1;\n",
    });
    expect(relative(root, findCycles(importGraph(root)))).toEqual([['a.ts', 'b.ts', path.join('sub', 'index.ts'), 'a.ts']]);
  });

  test('GIVEN imports that only go one way, and packages WHEN checked THEN there is no circle', () => {
    const root = tree({
      'a.ts': "import * as fs from 'fs';\nimport { b } from './b';\nexport const a = b + String(fs);\n",
      'b.ts': "export const b = 'b';\n",
      'c.ts': "export type T = import('./a').Unknown;\n",
    });
    expect(findCycles(importGraph(root))).toEqual([]);
  });

  test('GIVEN an import type() query back into the importer WHEN checked THEN it is found', () => {
    const root = tree({
      'a.ts': "import { c } from './c';\nexport const a = c;\n",
      'c.ts': "export const c = 1;\nexport type A = typeof import('./a');\n",
    });
    expect(relative(root, findCycles(importGraph(root)))).toEqual([['a.ts', 'c.ts', 'a.ts']]);
  });

  test('src/ has no import circle', () => {
    const src = path.join(__dirname, '..', '..', 'src');
    expect(relative(src, findCycles(importGraph(src)))).toEqual([]);
  });
});
