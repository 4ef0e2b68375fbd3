/**
 * Exporting a training job's artifacts (INTERNAL): every host's
 * /opt/ml/model merged into `model.tar.gz` and /opt/ml/output/data into
 * `output.tar.gz` (on a name clash the lowest-numbered host wins), whatever
 * the outcome, as SageMaker uploads them.
 */
import * as path from 'path';
import { findSymlinks, mergeDirectories, tarDirectory } from '../archive';

/** The per-host folders mounted as /opt/ml/model and /opt/ml/output. */
export interface HostOutputDirs {
  readonly host: string;
  readonly model: string;
  readonly output: string;
}

/**
 * Writes `modelArtifact` and `outputArtifact` from `hosts` (merged in
 * `scratch` when there are several) and returns the symbolic links found
 * in the model folders (`algo-1:/opt/ml/model/<path>`).
 */
export async function exportArtifacts(hosts: HostOutputDirs[], scratch: string, modelArtifact: string, outputArtifact: string): Promise<string[]> {
  const symlinks = hosts.flatMap((h) => findSymlinks(h.model).map((s) => `${h.host}:/opt/ml/model/${s}`));
  await Promise.all([
    tarDirectory(mergedDir(hosts.map((h) => h.model), path.join(scratch, 'merged-model')), modelArtifact),
    tarDirectory(mergedDir(hosts.map((h) => path.join(h.output, 'data')), path.join(scratch, 'merged-output')), outputArtifact),
  ]);
  return symlinks;
}

/** The one folder, or the merge of several (first wins). */
function mergedDir(dirs: string[], target: string): string {
  if (dirs.length === 1) { return dirs[0]; }
  mergeDirectories(dirs, target);
  return target;
}
