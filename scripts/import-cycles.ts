/**
 * Finds import circles among the TypeScript files of a folder (`src` by
 * default). Every module reference counts, type-only ones included:
 * `import`, `import type`, `export ... from`, `import('...')` types and
 * `require('...')`. Only relative references are followed (packages cannot
 * import us back). Prints each circle and exits 1 when there is one.
 *
 *   ts-node --transpile-only scripts/import-cycles.ts [folder]
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** The relative module references of one file, resolved to files of the graph. */
export function moduleReferences(file: string, text: string = fs.readFileSync(file, 'utf8')): string[] {
  const info = ts.preProcessFile(text, true, true);
  const dir = path.dirname(file);
  const refs = new Set<string>();
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const resolved = resolveModule(path.resolve(dir, ref.fileName));
    if (resolved) refs.add(resolved);
  }
  return [...refs].sort();
}

function resolveModule(base: string): string | undefined {
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Every `.ts` file under `root` (no `.d.ts`). */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out.sort();
}

/**
 * The circles of the graph: its strongly connected components with more
 * than one file, or a file that imports itself (Tarjan's algorithm). Each
 * is given as one path around the circle, starting at its first file.
 */
export function findCycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return components.map((c) => circleThrough(graph, c));
}

/** One path from the component's first file back to itself, inside the component. */
function circleThrough(graph: Map<string, string[]>, component: string[]): string[] {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const circle = [v];
        while (circle[0] !== start) circle.unshift(previous.get(circle[0])!);
        return [...circle, start];
      }
      if (!previous.has(w)) { previous.set(w, v); queue.push(w); }
    }
  }
  return component;
}

/** The import graph of every file under `root`. */
export function importGraph(root: string): Map<string, string[]> {
  return new Map(sourceFiles(root).map((f) => [f, moduleReferences(f)]));
}

if (require.main === module) {
  const root = path.resolve(process.argv[2] ?? 'src');
  const graph = importGraph(root);
  const cycles = findCycles(graph);
  const rel = (f: string) => path.relative(process.cwd(), f);
  if (cycles.length === 0) {
    console.log(`import-cycles: no import circles among the ${graph.size} files of ${rel(root)} (type-only imports included)`);
  } else {
    for (const c of cycles) console.error(`import circle: ${c.map(rel).join(' -> ')}`);
    console.error(`import-cycles: ${cycles.length} circle${cycles.length === 1 ? '' : 's'} in ${rel(root)}; break them (type-only imports count too).`);
    process.exitCode = 1;
  }
}
