/**
 * Artifact archives (INTERNAL), made with the system `tar` like SageMaker:
 * members relative to the archived folder (`model.pkl`, `sub/x.bin`), never
 * absolute and never `./`-prefixed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { runProcess } from './docker';

/** An empty tar archive (end-of-archive blocks, GNU tar's 10 KiB record), gzipped. */
const EMPTY_TAR_GZ = gzipSync(Buffer.alloc(10240));

/** Gzipped tar of the CONTENTS of `dir` at `archive` (an empty archive when `dir` is empty or missing). */
export async function tarDirectory(dir: string, archive: string): Promise<void> {
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  if (entries.length === 0) {
    // No process needed for nothing.
    await fs.promises.writeFile(archive, EMPTY_TAR_GZ);
    return;
  }
  await runProcess('tar', ['-czf', archive, '-C', dir, '--', ...entries]);
}

/** Relative paths of the symbolic links under `dir` (depth first, sorted). */
export function findSymlinks(dir: string): string[] {
  const found: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) { found.push(relPath); } else if (entry.isDirectory()) { walk(path.join(abs, entry.name), relPath); }
    }
  };
  if (fs.existsSync(dir)) { walk(dir, ''); }
  return found;
}

/**
 * Merge several folders into `target`: files are copied in order and an
 * existing path is never overwritten, so on a name clash the FIRST folder
 * wins.
 */
export function mergeDirectories(sources: string[], target: string): void {
  fs.mkdirSync(target, { recursive: true });
  for (const src of sources) {
    if (!fs.existsSync(src)) { continue; }
    fs.cpSync(src, target, { recursive: true, force: false, errorOnExist: false, verbatimSymlinks: true });
  }
}
