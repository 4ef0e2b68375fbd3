/**
 * Runs one `CreateTrainingJobRequest` with Docker, reproducing the SageMaker
 * training contract (INTERNAL; the public entry point is `DockerRunner.train`).
 *
 * Where the job's files go (model.tar.gz, output.tar.gz, metrics.json,
 * description.json, the .scratch folder) is `../work-dir.ts`'s business;
 * `S3OutputPath` of the description is the work dir itself, as on SageMaker
 * `<S3OutputPath>/<job>/output/model.tar.gz`.
 *
 * Multi-instance jobs (InstanceCount > 1) run containers algo-1..algo-N at
 * once. Without a bridge network they share the host's network namespace:
 * each gets `--hostname algo-i` and `--add-host algo-j:127.0.1.j` entries for
 * every host, so the names resolve (to distinct loopback addresses), but a
 * port bound on 0.0.0.0 by one host is bound for all of them. With a bridge
 * network, a user-defined network is created per job and the hosts are
 * network aliases on it. With network isolation (`--network none`) the
 * names resolve but the hosts cannot talk to each other (SageMaker would let
 * them). Model output is merged from every host's /opt/ml/model; on a name
 * clash the file of the lowest-numbered host wins. ShardedByS3Key channels
 * are given in full to every host, and `CheckpointConfig.S3Uri` is not
 * synchronised (the checkpoint folder starts empty and is discarded): both
 * are reported through `onProgress`.
 *
 * Files the containers write as root are given back to the invoking user
 * (when not root) on every path: success, failure, max runtime, and a
 * docker error.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { CreateTrainingJobRequest, DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import { exportArtifacts } from './artifacts';
import { uniqueJobName } from '../job-name';
import { hyperParameters, inputDataConfig, resourceConfig, TrainingHost, trainingHosts } from './config';
import { MetricCollector, MetricPoint } from './metric-collector';
import { trainingDescription, trainingOutcome } from './outcome';
import { LocalModeError } from '../../errors';
import { Deadline, startDeadline } from '../deadline';
import { resolveChannels } from './inputs';
import { DEFAULT_MAX_RUNTIME_SECONDS } from '../../../private/sagemaker-limits';
import {
  BindMount, cleanupRegistry, createNetwork, DockerCli, networkModeFor, OutputStream,
  removeContainers, restoreOwnership, runContainer, RunningContainer, SIGKILL_EXIT_CODE, sigtermIgnoredNote, stopContainers,
} from '../docker';
import { explainFileSystemError } from '../fs-errors';
import { CODE_MOUNT_PATH } from '../script-mode';
import { extractCodeArchive } from '../serving/model-archive';
import { StopRequest } from '../stop-request';
import { createJobFolder, localJobArn, removeJobFolder, trainingJobPaths, writeDescription } from '../work-dir';


export interface TrainingRunOptions {
  readonly request: CreateTrainingJobRequest;
  /** Local image reference to run (already built or pulled). */
  readonly image: string;
  readonly assemblyDir: string;
  readonly workDir: string;
  readonly region: string;
  readonly account: string;
  /** The Docker CLI of the job's containers and network. */
  readonly docker: DockerCli;
  /** Seconds between SIGTERM and SIGKILL when stopping. */
  readonly stopGraceSeconds: number;
  /** Every log line of every host. */
  readonly onLogLine?: (jobName: string, host: string, stream: OutputStream, line: string) => void;
  /** Every metric value as it appears. */
  readonly onMetric?: (jobName: string, point: MetricPoint) => void;
  /** Notes of the runner: what local mode does differently, problems while tidying up. */
  readonly onProgress?: (message: string) => void;
  /** Fixed job name (tests); @default - prefix + timestamp */
  readonly jobName?: string;
  /**
   * Script mode: a `sourcedir.tar.gz` extracted into a private folder per
   * host, mounted at /opt/ml/code (as the SDK's local mode mounts the code).
   * @default - nothing is mounted at /opt/ml/code
   */
  readonly codeArchivePath?: string;
  /**
   * Stops the job when requested (StopTrainingJob): SIGTERM to its
   * containers, SIGKILL after `stopGraceSeconds` (at once on a second
   * request); the artifacts written so far are exported, and the job ends
   * `Stopped`. @default - the job is not stoppable
   */
  readonly stop?: StopRequest;
}

export interface TrainingRunResult {
  readonly jobName: string;
  readonly status: 'Completed' | 'Failed' | 'Stopped';
  readonly failureReason?: string;
  readonly modelArtifact: string;
  readonly outputArtifact: string;
  readonly descriptionPath: string;
  readonly metricsPath: string;
  readonly finalMetrics: MetricPoint[];
  readonly startTime: Date;
  readonly endTime: Date;
  readonly description: DescribeTrainingJobResponse;
}

/**
 * Run the job to its end. Throws only when the job cannot be started at all,
 * or its outputs cannot be written (a full disk); a run that throws leaves
 * no job folder behind.
 */
export async function runTrainingJob(options: TrainingRunOptions): Promise<TrainingRunResult> {
  const creationTime = new Date();
  const request = options.request;
  const jobName = options.jobName ?? uniqueJobName(request.TrainingJobName);
  const arn = localJobArn('training-job', jobName, options);
  const hosts = trainingHosts(request);
  const metrics = new MetricCollector(request.AlgorithmSpecification?.MetricDefinitions, {
    onMetric: (p) => options.onMetric?.(jobName, p),
    onWarning: (message) => options.onProgress?.(`Warning: ${message}`),
  });
  const paths = trainingJobPaths(options.workDir, jobName);
  const { scratch, outputDir, modelArtifact, outputArtifact } = paths;

  createJobFolder(paths.jobDir);
  // A folder the containers write into as root: removing it may need the image (see CleanupRegistry).
  const docker = options.docker;
  cleanupRegistry.trackDir(scratch, { image: options.image, docker });
  const containers: RunningContainer[] = [];
  let network: string | undefined;
  let deadline: Deadline | undefined;
  let ownershipRestored = false;
  /** Set once description.json is written: the job folder is then the job's record, kept whatever happens next. */
  let described = false;
  let unsubscribeStop: (() => void) | undefined;
  const giveBackScratch = async () => {
    if (ownershipRestored || containers.length === 0) { return; }
    ownershipRestored = true;
    const problem = await restoreOwnership(docker, [scratch], options.image);
    if (problem) { options.onProgress?.(`Warning: ${problem}`); }
  };
  try {
    fs.mkdirSync(outputDir);
    // Everything that can be checked is checked before a container starts.
    const channels = await resolveChannels(request, {
      assemblyDir: options.assemblyDir,
      downloadDir: path.join(scratch, 'channels'),
      region: options.region,
      hosts: hosts.map((h) => h.name),
    });
    for (const note of divergenceNotes(request, hosts.length)) { options.onProgress?.(note); }

    const spec = request.AlgorithmSpecification;
    const entrypoint = spec?.ContainerEntrypoint?.length ? spec.ContainerEntrypoint : undefined;
    const args = spec?.ContainerArguments?.length
      ? [...(entrypoint?.slice(1) ?? []), ...spec.ContainerArguments]
      : [...(entrypoint?.slice(1) ?? []), ...(entrypoint ? [] : ['train'])];
    const env: { [k: string]: string } = {
      ...request.Environment,
      TRAINING_JOB_NAME: jobName,
      TRAINING_JOB_ARN: arn,
      AWS_REGION: options.region,
    };

    const isolated = request.EnableNetworkIsolation === true;
    let networkMode = networkModeFor(await docker.engine(), isolated);
    if (networkMode === 'bridge' && hosts.length > 1) {
      network = `byoa-${jobName}`.slice(0, 63);
      await createNetwork(docker, network);
      networkMode = network;
    }
    const addHosts = networkMode === 'host' || networkMode === 'none'
      ? hosts.map((h, i) => ({ name: h.name, ip: `127.0.1.${i + 1}` }))
      : undefined;

    const hostDirs = hosts.map((h) => prepareHostDir(scratch, h, hosts, request));
    const codeDirs: string[] = [];
    if (options.codeArchivePath) {
      for (const h of hosts) {
        const dir = path.join(scratch, h.name, 'code');
        fs.mkdirSync(dir);
        codeDirs.push(await extractCodeArchive(options.codeArchivePath, { into: dir }));
      }
    }
    const checkpointPath = request.CheckpointConfig ? (request.CheckpointConfig.LocalPath ?? '/opt/ml/checkpoints') : undefined;

    const startTime = new Date();
    let firstFailure: { host: number; code: number } | undefined;
    let timedOut = false;
    let stopped = false;
    const names = hosts.map((h) => containerName(jobName, h.name));
    if (options.stop?.requested) {
      throw new LocalModeError(`Training job ${jobName} was stopped before its containers started: nothing ran, nothing was kept.`);
    }
    hosts.forEach((h, i) => {
      const mounts: BindMount[] = [
        { hostPath: hostDirs[i].config, containerPath: '/opt/ml/input/config' },
        ...channels.flatMap((c) => c.mounts(i)),
        { hostPath: hostDirs[i].model, containerPath: '/opt/ml/model' },
        { hostPath: hostDirs[i].output, containerPath: '/opt/ml/output' },
        ...(codeDirs[i] ? [{ hostPath: codeDirs[i], containerPath: CODE_MOUNT_PATH }] : []),
      ];
      if (checkpointPath) {
        const dir = path.join(scratch, h.name, 'checkpoints');
        fs.mkdirSync(dir);
        mounts.push({ hostPath: dir, containerPath: checkpointPath });
      }
      const c = runContainer(docker, {
        image: options.image,
        name: names[i],
        autoRemove: true,
        labels: { 'byoa.job': jobName },
        entrypoint: entrypoint?.[0],
        args,
        env,
        envFileDir: scratch,
        mounts,
        network: networkMode,
        networkAliases: network ? [h.name] : undefined,
        hostname: h.name,
        addHosts,
      }, (line, stream) => {
        options.onLogLine?.(jobName, h.name, stream, line);
        metrics.accept(line, h.name);
      });
      containers.push(c);
      // A failing host stops the others (as SageMaker stops the job).
      c.exited.then((code) => {
        if (code !== 0 && !firstFailure) {
          firstFailure = { host: i, code };
          if (hosts.length > 1) { void stopContainers(docker, names.filter((_, j) => j !== i), options.stopGraceSeconds); }
        }
      }, () => undefined);
    });

    unsubscribeStop = options.stop?.onRequest((forced) => {
      if (timedOut) { return; }
      stopped = true;
      void stopContainers(docker, names, forced ? 0 : options.stopGraceSeconds);
    });
    const maxRuntime = request.StoppingCondition?.MaxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME_SECONDS;
    // MaxRuntimeInSeconds may exceed setTimeout's limit (2^31-1 ms): see ../deadline.ts.
    deadline = startDeadline(maxRuntime * 1000, () => {
      if (stopped) { return; }
      timedOut = true;
      void stopContainers(docker, names, options.stopGraceSeconds);
    });

    const settled = await Promise.allSettled(containers.map((c) => c.exited));
    deadline.cancel();
    unsubscribeStop?.();
    if ((timedOut || stopped) && options.stopGraceSeconds > 0 && settled.some((r) => r.status === 'fulfilled' && r.value === SIGKILL_EXIT_CODE)) {
      const note = sigtermIgnoredNote(options.image, options.stopGraceSeconds);
      if (note) options.onProgress?.(note.replace(/^byoa: /, ''));
    }
    const dockerFailure = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
    if (dockerFailure) { throw dockerFailure.reason; }
    const endTime = new Date();

    // Artifacts are exported whatever the outcome; the files must be ours to read.
    await giveBackScratch();
    let modelSymlinks: string[];
    try {
      modelSymlinks = await exportArtifacts(hosts.map((h, i) => ({ host: h.name, ...hostDirs[i] })), scratch, modelArtifact, outputArtifact);
    } catch (e) {
      throw explainFileSystemError(e, 'Writing the model and output archives into', outputDir);
    }
    const failureFile = firstFailure ? path.join(hostDirs[firstFailure.host].output, 'failure') : undefined;
    const outcome = trainingOutcome({
      hosts: hosts.map((h) => h.name),
      timedOut,
      stopped,
      maxRuntimeSeconds: maxRuntime,
      stopGraceSeconds: options.stopGraceSeconds,
      firstFailure: firstFailure && {
        ...firstFailure,
        failureFile: failureFile && fs.existsSync(failureFile) ? fs.readFileSync(failureFile, 'utf8') : '',
      },
      modelSymlinks,
    });
    // A model with symbolic links is not handed out.
    if (!timedOut && !firstFailure && modelSymlinks.length) { fs.rmSync(modelArtifact, { force: true }); }
    const { status, failureReason } = outcome;

    await metrics.flush();
    const finalMetrics = metrics.finalMetrics();
    const metricsPath = paths.metricsPath;
    try {
      fs.writeFileSync(metricsPath, JSON.stringify({
        finalMetrics: finalMetrics.map(pointJson),
        series: metrics.series.map(pointJson),
      }, undefined, 2));
    } catch (e) {
      throw explainFileSystemError(e, 'Writing the metrics file', metricsPath);
    }

    const description = trainingDescription({
      request,
      jobName,
      arn,
      image: options.image,
      outcome,
      modelArtifact: status === 'Completed' || fs.existsSync(modelArtifact) ? modelArtifact : undefined,
      outputPath: path.resolve(options.workDir),
      assemblyDir: options.assemblyDir,
      account: options.account,
      maxRuntimeSeconds: maxRuntime,
      finalMetrics,
      creationTime,
      startTime,
      endTime,
    });
    const descriptionPath = paths.descriptionPath;
    writeDescription(descriptionPath, description);
    described = true;

    return {
      jobName,
      status,
      failureReason,
      modelArtifact,
      outputArtifact,
      descriptionPath,
      metricsPath,
      finalMetrics,
      startTime,
      endTime,
      description,
    };
  } finally {
    deadline?.cancel();
    unsubscribeStop?.();
    metrics.close();
    // Containers run with --rm; anything still registered (an error, an
    // interrupted start) is removed here.
    const leftover = containers.map((c) => c.name).filter((n) => cleanupRegistry.pending().containers.includes(n));
    if (leftover.length) { await removeContainers(docker, leftover); }
    // On every path (also a docker error): what the containers wrote is given back before the scratch folder is removed.
    await giveBackScratch();
    await cleanupRegistry.cleanup({ networks: network ? [network] : [], dirs: [scratch] });
    // Nothing half-made is left as if it were a job: no empty folder, no archive without its description.
    if (!described) { removeJobFolder(paths.jobDir); }
  }
}

/**
 * What local mode does differently from SageMaker for this request, said
 * out loud rather than silently.
 */
export function divergenceNotes(request: CreateTrainingJobRequest, hostCount: number): string[] {
  const notes: string[] = [];
  const sharded = (request.InputDataConfig ?? [])
    .filter((c) => c.DataSource?.S3DataSource?.S3DataDistributionType === 'ShardedByS3Key')
    .map((c) => `'${c.ChannelName}'`);
  if (sharded.length && hostCount > 1) {
    notes.push(`Note: channel${sharded.length > 1 ? 's' : ''} ${sharded.join(', ')} ${sharded.length > 1 ? 'are' : 'is'} ShardedByS3Key, but local mode `
      + `gives every one of the ${hostCount} hosts the full data (SageMaker would give each host a share of the objects).`);
  }
  const checkpoint = request.CheckpointConfig;
  if (checkpoint) {
    notes.push(`Note: CheckpointConfig is only partly reproduced: ${checkpoint.LocalPath ?? '/opt/ml/checkpoints'} is an empty, writable folder `
      + `that is discarded after the job; nothing is downloaded from or uploaded to ${checkpoint.S3Uri ?? 'the checkpoint S3 URI'}.`);
  }
  return notes;
}

interface HostDirs { readonly config: string; readonly model: string; readonly output: string }

function prepareHostDir(scratch: string, host: TrainingHost, hosts: TrainingHost[], request: CreateTrainingJobRequest): HostDirs {
  const base = path.join(scratch, host.name);
  const dirs = { config: path.join(base, 'config'), model: path.join(base, 'model'), output: path.join(base, 'output') };
  fs.mkdirSync(dirs.config, { recursive: true });
  fs.mkdirSync(dirs.model);
  fs.mkdirSync(path.join(dirs.output, 'data'), { recursive: true });
  fs.writeFileSync(path.join(dirs.config, 'hyperparameters.json'), JSON.stringify(hyperParameters(request)));
  fs.writeFileSync(path.join(dirs.config, 'inputdataconfig.json'), JSON.stringify(inputDataConfig(request)));
  fs.writeFileSync(path.join(dirs.config, 'resourceconfig.json'), JSON.stringify(resourceConfig(hosts, host)));
  return dirs;
}

/** Container names: `byoa-<job>-algo-N` (docker allows 253+ chars; keep it readable). */
function containerName(jobName: string, host: string): string {
  return `byoa-${jobName}-${host}`;
}

function pointJson(p: MetricPoint) {
  return { MetricName: p.metricName, Value: p.value, Timestamp: p.timestamp.toISOString(), Host: p.host };
}

