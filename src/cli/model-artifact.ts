/**
 * The model archive given to `byoa local transform|serve` with `--model`
 * (INTERNAL to the CLI). Without `--model`, the CLI asks
 * `DockerRunner.newestTrainedModel()`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LocalModeError } from '../local/errors';

/** A model archive and where it comes from. */
export interface ChosenModel {
  /** Absolute path of the `model.tar.gz`. */
  readonly modelArtifact: string;
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
