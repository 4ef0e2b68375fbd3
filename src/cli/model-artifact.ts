/**
 * Which model archive `byoa local transform|serve` uses (INTERNAL to the
 * CLI): the one given with `--model`, else the newest completed training
 * job of the pipeline in the work dir.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LocalModeError } from '../local/errors';
import { uniqueJobName } from '../local/private/job-name';

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
 * The job names local mode gives training jobs of the request prefix
 * `prefix`: the cleaned prefix, `-`, and a 17-digit UTC timestamp.
 */
function jobNamePattern(prefix: string | undefined): RegExp {
  const sample = uniqueJobName(prefix, new Date(0));
  const cleaned = sample.replace(/-\d{17}$/, '');
  return new RegExp(`^${cleaned.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{17})$`);
}

/**
 * The newest `WORKDIR/<job>/output/model.tar.gz` of the training jobs named
 * after `trainingJobPrefix` whose `description.json` says `Completed`.
 * @throws LocalModeError when there is none
 */
export function newestTrainedModel(workDir: string, trainingJobPrefix: string | undefined, pipelinePath: string): ChosenModel {
  const pattern = jobNamePattern(trainingJobPrefix);
  const candidates: { jobName: string; stamp: string; modelArtifact: string }[] = [];
  const entries = fs.existsSync(workDir) ? fs.readdirSync(workDir, { withFileTypes: true }) : [];
  for (const entry of entries) {
    const match = entry.isDirectory() ? pattern.exec(entry.name) : null;
    if (!match) continue;
    const modelArtifact = path.join(workDir, entry.name, 'output', 'model.tar.gz');
    if (!fs.existsSync(modelArtifact) || describedStatus(path.join(workDir, entry.name, 'description.json')) !== 'Completed') continue;
    candidates.push({ jobName: entry.name, stamp: match[1], modelArtifact });
  }
  if (candidates.length === 0) {
    throw new LocalModeError(`No trained model of pipeline ${pipelinePath} in ${workDir}: no completed training job `
      + `${trainingJobPrefix ?? 'job'}-<timestamp> with output/model.tar.gz. Run 'byoa local train ${pipelinePath}' first `
      + '(with the same --workdir), or give a model archive with --model PATH.');
  }
  candidates.sort((a, b) => (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : 0));
  return { modelArtifact: candidates[0].modelArtifact, trainingJobName: candidates[0].jobName };
}

/** `TrainingJobStatus` of a description.json, or undefined when it cannot be read. */
function describedStatus(file: string): string | undefined {
  try {
    const description = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof description?.TrainingJobStatus === 'string' ? description.TrainingJobStatus : undefined;
  } catch {
    return undefined;
  }
}
