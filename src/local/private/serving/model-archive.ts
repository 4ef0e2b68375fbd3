/**
 * INTERNAL (not exported from the barrel): puts a model archive where a
 * serving container sees it as `/opt/ml/model`, the way SageMaker does:
 * extracted BEFORE the container starts into a fresh folder that holds only
 * the archive's contents.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalModeError } from '../../errors';
import { cleanupRegistry, runProcess } from '../docker';

/**
 * Extracts `archivePath` (a `model.tar.gz`, or an uncompressed tar) into a
 * new temp folder registered with the cleanup registry, and returns it.
 * Rejects archives with symbolic or hard links (SageMaker hosting cannot
 * extract them), absolute member names or `..` components.
 */
export async function extractModelArchive(archivePath: string): Promise<string> {
  const archive = path.resolve(archivePath);
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(archive);
  } catch {
    throw new LocalModeError(`Model artifact '${archivePath}' does not exist. Give the path of a model.tar.gz (the training job's output).`);
  }
  if (!stat.isFile()) {
    throw new LocalModeError(`Model artifact '${archivePath}' is not a file. Give the path of a model.tar.gz archive, not a folder.`);
  }
  await checkArchiveMembers(archive);
  const dir = await createModelDir();
  try {
    await runProcess('tar', ['-xf', archive, '-C', dir, '--no-same-owner', '--no-same-permissions']);
    // The container may run as any user: let it read everything.
    await runProcess('chmod', ['-R', 'a+rX', dir]);
  } catch (e) {
    await cleanupRegistry.cleanup({ dirs: [dir] });
    throw new LocalModeError(`Could not extract model artifact '${archivePath}': ${(e as Error).message}`);
  }
  return dir;
}

/**
 * Prefix of the temp folders for `/opt/ml/model` made by THIS process
 * (`byoa-model-<pid>-`): a check for leftovers can look at its own only.
 */
export function modelDirPrefix(): string {
  return `byoa-model-${process.pid}-`;
}

/** A new, empty temp folder for `/opt/ml/model` (named with {@link modelDirPrefix}), registered for cleanup. */
export async function createModelDir(): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), modelDirPrefix()));
  cleanupRegistry.trackDir(dir);
  await fs.promises.chmod(dir, 0o755);
  return dir;
}

async function checkArchiveMembers(archive: string): Promise<void> {
  let names: string[];
  let long: string[];
  try {
    names = splitLines((await runProcess('tar', ['-tf', archive])).stdout);
    long = splitLines((await runProcess('tar', ['-tvf', archive])).stdout);
  } catch (e) {
    throw new LocalModeError(`Model artifact '${archive}' is not a readable tar archive (tar.gz or tar): ${(e as Error).message}`);
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
      `Model artifact '${archive}' cannot be used: ${shown}. SageMaker hosting extracts only regular files and folders ` +
      'with relative paths inside /opt/ml/model; rebuild the archive without links or paths outside it.',
    );
  }
}

function splitLines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}
