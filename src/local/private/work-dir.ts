/**
 * The work-dir layout of local jobs (INTERNAL): the ONE owner of where a
 * job's files go, of its ARN, of how its description is written, and of
 * how the newest completed training job's model is found again. The
 * runners and the CLI ask here instead of building paths themselves.
 *
 * ```
 * WORKDIR/<training job>/output/model.tar.gz   /opt/ml/model of every host (merged)
 * WORKDIR/<training job>/output/output.tar.gz  /opt/ml/output/data of every host (merged)
 * WORKDIR/<training job>/metrics.json          metric time series and final values
 * WORKDIR/<training job>/description.json      shaped like DescribeTrainingJobResponse
 * WORKDIR/<training job>/.scratch/             per-host /opt/ml folders; removed after the job
 * WORKDIR/<transform job>/<input>.out          one per input file that succeeded
 * WORKDIR/<transform job>/description.json     shaped like DescribeTransformJobResponse
 * WORKDIR/image-builds/<image>.log              the full output of the newest build of an asset image
 * ```
 */
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { explainFileSystemError } from './fs-errors';
import { jobNameMatcher } from './job-name';
import { LocalModeError } from '../errors';

const DESCRIPTION_FILE = 'description.json';

/** The folder of the image build logs, `WORKDIR/image-builds`. */
export function imageBuildLogDir(workDir: string): string {
  return path.join(path.resolve(workDir), 'image-builds');
}

/** The build log of image `tag` (`byoa-local/<name>:<hash>`): `WORKDIR/image-builds/<name>-<hash>.log`. */
export function imageBuildLogPath(logDir: string, tag: string): string {
  return path.join(logDir, `${tag.replace(/^byoa-local\//, '').replace(/[^A-Za-z0-9._-]/g, '-')}.log`);
}

/** Where the files of a training job go. */
export interface TrainingJobPaths {
  /** `WORKDIR/<job>`. */
  readonly jobDir: string;
  /** Per-host /opt/ml folders and downloads; removed after the job. */
  readonly scratch: string;
  /** `WORKDIR/<job>/output`. */
  readonly outputDir: string;
  readonly modelArtifact: string;
  readonly outputArtifact: string;
  readonly metricsPath: string;
  readonly descriptionPath: string;
}

/** The files of training job `jobName` in `workDir`. */
export function trainingJobPaths(workDir: string, jobName: string): TrainingJobPaths {
  const jobDir = path.resolve(workDir, jobName);
  const outputDir = path.join(jobDir, 'output');
  return {
    jobDir,
    scratch: path.join(jobDir, '.scratch'),
    outputDir,
    modelArtifact: path.join(outputDir, 'model.tar.gz'),
    outputArtifact: path.join(outputDir, 'output.tar.gz'),
    metricsPath: path.join(jobDir, 'metrics.json'),
    descriptionPath: path.join(jobDir, DESCRIPTION_FILE),
  };
}

/** Where the files of a transform job go: the `.out` files and the description share one folder. */
export interface TransformJobPaths {
  /** `WORKDIR/<job>` (the description's `S3OutputPath`). */
  readonly outputDir: string;
  readonly descriptionPath: string;
}

/** The files of transform job `jobName` in `workDir`. */
export function transformJobPaths(workDir: string, jobName: string): TransformJobPaths {
  const outputDir = path.join(path.resolve(workDir), jobName);
  return { outputDir, descriptionPath: path.join(outputDir, DESCRIPTION_FILE) };
}

/**
 * Creates the folder of a new job EXCLUSIVELY (its parent may exist): a job
 * folder is owned by the one run that created it, which alone may remove
 * what is in it. Throws a {@link LocalModeError} when it exists already, or
 * when the work dir cannot take it (read-only, full, not ours).
 */
export function createJobFolder(dir: string): void {
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new LocalModeError(`The job folder ${dir} exists already: another run owns it. Start the job again (it gets a new name), `
        + 'or use another --workdir.');
    }
    throw explainFileSystemError(e, 'Creating the job folder', dir);
  }
}

/**
 * Removes the folder of a job that never started (or whose outputs could not
 * be written): a run that throws leaves nothing in the work dir, rather than
 * an empty or half-written job folder. Only the run that created the folder
 * calls it. Never throws.
 */
export function removeJobFolder(dir: string): void {
  try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* reported by tidy, if ever */ }
}

/**
 * Writes a job description (a Describe*Job response) as indented JSON,
 * whole or not at all: into a temp file beside it, then renamed. A full disk
 * or a read-only folder is a {@link LocalModeError} naming the file.
 */
export function writeDescription(file: string, description: object): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, JSON.stringify(description, undefined, 2) + '\n');
    fs.renameSync(temp, file);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw explainFileSystemError(e, 'Writing the job description', file);
  }
}

/** The account of local jobs when the stack has no concrete one. */
export const DEFAULT_LOCAL_ACCOUNT = '000000000000';

/** Where a local job "runs": the region and account of its ARN (and of the training job's environment). */
export interface JobLocation {
  readonly region: string;
  readonly account: string;
}

/** The ARN of a local job, by the one rule for both kinds: `arn:aws:sagemaker:<region>:<account>:<kind>/<lower-case name>`. */
export function localJobArn(kind: 'training-job' | 'transform-job', jobName: string, where: JobLocation): string {
  return `arn:aws:sagemaker:${where.region}:${where.account}:${kind}/${jobName.toLowerCase()}`;
}

/**
 * The one URI form of every local location in a description: an absolute
 * `file://` URI (RFC 8089, `file:///abs/path`, percent-encoded), as
 * `s3://bucket/key` is on SageMaker.
 */
export function localFileUri(p: string): string {
  return pathToFileURL(path.resolve(p)).href;
}

/**
 * A location of the request as the description shows it: a `file://` URI
 * (relative to `baseDir`, the cloud assembly, or absolute) becomes an
 * absolute `file://` URI; `s3://` and `unresolved://` ones are kept.
 */
export function describedUri(uri: string | undefined, baseDir: string): string | undefined {
  if (uri === undefined || !uri.startsWith('file://')) return uri;
  return localFileUri(fileUriPath(uri, baseDir));
}

/**
 * The local path of a `file://` URI of a request: absolute as it is, or
 * relative to `baseDir` (the cloud assembly), percent-decoded.
 */
export function fileUriPath(uri: string, baseDir: string): string {
  const rest = decodeURIComponent(uri.slice('file://'.length));
  return path.isAbsolute(rest) ? rest : path.resolve(baseDir, rest);
}

/** An `S3DataSource` holder (a channel's or the transform input's `DataSource`) with its `S3Uri` as {@link describedUri} shows it. */
export function describedDataSource<T extends { S3DataSource?: { S3Uri: string | undefined } }>(
  dataSource: T | undefined, baseDir: string): T | undefined {
  const source = dataSource?.S3DataSource;
  return source ? { ...dataSource, S3DataSource: { ...source, S3Uri: describedUri(source.S3Uri, baseDir) } } : dataSource;
}

/**
 * The request's `RoleArn` as a string. In a synthesized template it is
 * usually a CloudFormation expression (`{"Fn::GetAtt": ["RoleLogicalId",
 * "Arn"]}`); the description then shows the placeholder
 * `arn:aws:iam::<account>:role/<logical ID>` (the deployed role's name is
 * only known to CloudFormation), or `arn:aws:iam::<account>:role/unresolved`
 * when no logical ID can be read from it.
 */
export function describedRoleArn(role: unknown, account: string): string {
  if (typeof role === 'string') return role;
  return `arn:aws:iam::${account}:role/${referencedLogicalId(role) ?? 'unresolved'}`;
}

/** The first logical ID a CloudFormation expression refers to (`Ref`, `Fn::GetAtt`), depth first. */
function referencedLogicalId(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const v of value) {
      const id = referencedLogicalId(v);
      if (id) return id;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.Ref === 'string') return o.Ref;
  const getAtt = o['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return referencedLogicalId(Object.values(o));
}

/** A trained model found in the work dir. */
export interface TrainedModel {
  /** Absolute path of the `model.tar.gz`. */
  readonly modelArtifact: string;
  /** The training job that produced it. */
  readonly trainingJobName: string;
}

/**
 * The newest `WORKDIR/<job>/output/model.tar.gz` of the training jobs named
 * after `trainingJobPrefix` whose `description.json` says `Completed`.
 * @throws LocalModeError when there is none
 */
export function newestTrainedModel(workDir: string, trainingJobPrefix: string | undefined, pipelinePath: string): TrainedModel {
  const matcher = jobNameMatcher(trainingJobPrefix);
  const candidates: { jobName: string; stamp: string; modelArtifact: string }[] = [];
  const entries = fs.existsSync(workDir) ? fs.readdirSync(workDir, { withFileTypes: true }) : [];
  for (const entry of entries) {
    const stamp = entry.isDirectory() ? matcher(entry.name) : undefined;
    if (stamp === undefined) continue;
    const paths = trainingJobPaths(workDir, entry.name);
    if (!fs.existsSync(paths.modelArtifact) || describedStatus(paths.descriptionPath) !== 'Completed') continue;
    candidates.push({ jobName: entry.name, stamp, modelArtifact: paths.modelArtifact });
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
