/**
 * Which model archive `byoa local transform|serve` uses (INTERNAL to the
 * CLI): the one given with `--model`, else the newest completed training
 * job of the pipeline in the work dir.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LocalModeError } from '../local/errors';
import { newestTrainedModel as newestInWorkDir } from '../local/private/work-dir';

/** A model archive and where it comes from. */
export interface ChosenModel {
  /** Absolute path of the `model.tar.gz`. */
  readonly modelArtifact: string;
  /** The training job that produced it, when it was found in the work dir. */
  readonly trainingJobName?: string;
}

/**
 * The archive given with `--model`: it must be an existing file.
 * @throws LocalModeError when it does not exist or is not a file
 */
export function givenModel(modelPath: string): ChosenModel {
  const file = path.resolve(modelPath);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new LocalModeError(`--model ${modelPath}: no such file (${file}). Give the path of a model.tar.gz, `
      + 'for example WORKDIR/<training job>/output/model.tar.gz, or leave --model out to use the newest trained model.');
  }
  if (!stat.isFile()) {
    throw new LocalModeError(`--model ${modelPath}: ${file} is not a file. Give the path of a model.tar.gz (a gzipped tar archive of /opt/ml/model).`);
  }
  return { modelArtifact: file };
}

/**
 * The newest completed training job's model of the pipeline in the work dir
 * (the work dir's layout and the job-name format are known to
 * `local/private/work-dir.ts` alone).
 * @throws LocalModeError when there is none
 */
export function newestTrainedModel(workDir: string, trainingJobPrefix: string | undefined, pipelinePath: string): ChosenModel {
  return newestInWorkDir(workDir, trainingJobPrefix, pipelinePath);
}
