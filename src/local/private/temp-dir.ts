/**
 * Local mode's temp folders (INTERNAL): `<tmpdir>/byoa-<kind>-<pid>-XXXXXX`,
 * named after the process that owns them, so that `byoa local tidy` (and
 * every run, see `./tidy.ts`) can tell what a dead run left from what a
 * live one uses.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalModeError } from '../errors';
import { errnoCode, explainFileSystemError } from './fs-errors';

/** What a temp folder is for: `run` (a runner's scratch), `model` (/opt/ml/model), `code` (/opt/ml/code), `env` (an env-file). */
const TEMP_DIR_KINDS = ['run', 'model', 'code', 'env'] as const;
export type TempDirKind = typeof TEMP_DIR_KINDS[number];
/** A name given by {@link tempDirPrefix} plus mkdtemp's six characters; group 1 is the pid. */
const TEMP_DIR_NAME = new RegExp(`^byoa-(?:${TEMP_DIR_KINDS.join('|')})-(\\d+)-[A-Za-z0-9]{6}$`);

/** `byoa-<kind>-<pid>-`. */
export function tempDirPrefix(kind: TempDirKind, pid: number = process.pid): string {
  return `byoa-${kind}-${pid}-`;
}

/** The owning process of a temp folder named by {@link tempDirPrefix}, else undefined. */
export function tempDirOwner(name: string): number | undefined {
  const m = TEMP_DIR_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** A new temp folder of `kind`; a missing or unwritable TMPDIR is a {@link LocalModeError} that says so. */
export function makeTempDirSync(kind: TempDirKind): string {
  const base = os.tmpdir();
  try {
    return fs.mkdtempSync(path.join(base, tempDirPrefix(kind)));
  } catch (e) {
    throw tempDirError(e, base);
  }
}

/** {@link makeTempDirSync}, asynchronously. */
export async function makeTempDir(kind: TempDirKind): Promise<string> {
  const base = os.tmpdir();
  try {
    return await fs.promises.mkdtemp(path.join(base, tempDirPrefix(kind)));
  } catch (e) {
    throw tempDirError(e, base);
  }
}

function tempDirError(e: unknown, base: string): unknown {
  const tmpdir = process.env.TMPDIR ? `TMPDIR=${process.env.TMPDIR}` : 'TMPDIR is not set';
  if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') {
    return new LocalModeError(`Local mode needs a temporary folder, but ${base} does not exist or is not a folder (${tmpdir}). `
      + 'Create it, or set TMPDIR to an existing, writable folder.');
  }
  return explainFileSystemError(e, 'Creating a temporary folder in', `${base} (${tmpdir})`);
}
