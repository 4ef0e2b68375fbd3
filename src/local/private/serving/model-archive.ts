/**
 * INTERNAL (not exported from the barrel): puts a model archive where a
 * serving container sees it as `/opt/ml/model`, the way SageMaker does:
 * extracted BEFORE the container starts into a fresh folder that holds only
 * the archive's contents. Script mode's code archive (`sourcedir.tar.gz`) is
 * extracted the same way, for `/opt/ml/code`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LocalModeError } from '../../errors';
import { cleanupRegistry, DockerCli, runProcess } from '../docker';
import { makeTempDir, TempDirKind, tempDirPrefix } from '../temp-dir';

/** What an archive is, for messages and temp folder names. */
interface ArchiveKind {
  /** `Model artifact`, `Code archive`. */
  readonly label: string;
  /** What to give instead when the path is wrong. */
  readonly expected: string;
  /** The folder the container sees it in. */
  readonly containerPath: string;
}

const MODEL_ARCHIVE: ArchiveKind = { label: 'Model artifact', expected: 'a model.tar.gz (the training job\'s output)', containerPath: '/opt/ml/model' };
const CODE_ARCHIVE: ArchiveKind = { label: 'Code archive', expected: 'a sourcedir.tar.gz (script mode\'s code)', containerPath: '/opt/ml/code' };

/**
 * Extracts `archivePath` (a `model.tar.gz`, or an uncompressed tar) into a
 * new temp folder registered with the cleanup registry, and returns it.
 * Rejects archives with symbolic or hard links (SageMaker hosting cannot
 * extract them), absolute member names or `..` components.
 */
export async function extractModelArchive(archivePath: string): Promise<string> {
  await checkArchive(archivePath, MODEL_ARCHIVE);
  return extractInto(archivePath, await createModelDir(), MODEL_ARCHIVE);
}

/** Where {@link extractCodeArchive} extracts. */
export interface CodeFolderOptions {
  /** A new, empty folder to extract into. @default - a new temp folder registered with the cleanup registry */
  readonly into?: string;
  /**
   * The image of the containers that will write into the temp folder (as
   * root), and their Docker CLI: its removal may need them (see `TrackDirOptions`).
   * @default - the folder is removed without their help
   */
  readonly containers?: { readonly image: string; readonly docker: DockerCli };
}

/**
 * Extracts a script-mode code archive (`sourcedir.tar.gz`) with the checks
 * of {@link extractModelArchive}. Returns the folder.
 */
export async function extractCodeArchive(archivePath: string, options: CodeFolderOptions = {}): Promise<string> {
  await checkArchive(archivePath, CODE_ARCHIVE);
  const target = options.into ?? await createTempDir('code', options.containers);
  return extractInto(archivePath, target, CODE_ARCHIVE);
}

async function extractInto(archivePath: string, dir: string, kind: ArchiveKind): Promise<string> {
  try {
    await runProcess('tar', ['-xf', path.resolve(archivePath), '-C', dir, '--no-same-owner', '--no-same-permissions']);
    // The container may run as any user: let it read everything.
    await runProcess('chmod', ['-R', 'a+rX', dir]);
  } catch (e) {
    await cleanupRegistry.cleanup({ dirs: [dir] });
    throw new LocalModeError(`Could not extract ${kind.label.toLowerCase()} '${archivePath}': ${(e as Error).message}`);
  }
  return dir;
}

/**
 * Prefix of the temp folders for `/opt/ml/model` made by THIS process
 * (`byoa-model-<pid>-`): a check for leftovers can look at its own only.
 */
export function modelDirPrefix(): string {
  return tempDirPrefix('model');
}

/** A new, empty temp folder for `/opt/ml/model` (named with {@link modelDirPrefix}), registered for cleanup. */
export async function createModelDir(): Promise<string> {
  return createTempDir('model');
}

async function createTempDir(kind: TempDirKind, containers?: { readonly image: string; readonly docker: DockerCli }): Promise<string> {
  const dir = await makeTempDir(kind);
  cleanupRegistry.trackDir(dir, containers);
  await fs.promises.chmod(dir, 0o755);
  return dir;
}

async function checkArchive(archivePath: string, kind: ArchiveKind): Promise<void> {
  const archive = path.resolve(archivePath);
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(archive);
  } catch {
    throw new LocalModeError(`${kind.label} '${archivePath}' does not exist. Give the path of ${kind.expected}.`);
  }
  if (!stat.isFile()) {
    throw new LocalModeError(`${kind.label} '${archivePath}' is not a file. Give the path of ${kind.expected}, not a folder.`);
  }
  let names: string[];
  let long: string[];
  try {
    names = splitLines((await runProcess('tar', ['-tf', archive])).stdout);
    long = splitLines((await runProcess('tar', ['-tvf', archive])).stdout);
  } catch (e) {
    throw new LocalModeError(`${kind.label} '${archive}' is not a readable tar archive (tar.gz or tar): ${(e as Error).message}`);
  }
  const problems: string[] = [];
  if (names.length !== long.length) {
    problems.push('member names with line breaks are not allowed');
  }
  names.forEach((name, i) => {
    const type = long[i]?.[0];
    if (type === 'l' || type === 'h') problems.push(`'${name}' is a ${type === 'l' ? 'symbolic' : 'hard'} link`);
    if (name.startsWith('/')) problems.push(`'${name}' is an absolute path`);
    if (name.split('/').includes('..')) problems.push(`'${name}' contains '..'`);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ') + (problems.length > 10 ? `; and ${problems.length - 10} more` : '');
    throw new LocalModeError(
      `${kind.label} '${archive}' cannot be used: ${shown}. SageMaker extracts only regular files and folders ` +
      `with relative paths inside ${kind.containerPath}; rebuild the archive without links or paths outside it.`,
    );
  }
}

function splitLines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}
