import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { LocalModeError } from './errors';
import { LocalEndpoint } from './local-endpoint';
import { ILocalRunObserver, ITransformProgressObserver, LocalJobStatus } from './local-types';
import { readRunSpec } from './private/cloud-assembly';
import { cleanupRegistry, DockerCli } from './private/docker';
import { prepareImage } from './private/image';
import { uniqueJobName } from './private/job-name';
import type { ImageSpec, RunSpec } from '../private/run-spec';
import {
  builtInAlgorithmError, builtInAlgorithmOf, localCodeArchive, localModelEnvironment, localTrainingRequest, servingNeedsCodeMount, trainingCodeOf,
  repackModelFile,
} from './private/script-mode';
import { StopRequest } from './private/stop-request';
import { makeTempDirSync } from './private/temp-dir';
import { reapDeadRuns } from './private/tidy';
import { runTrainingJob } from './private/training/runner';
import { runTransformJob } from './private/transform/runner';
import { DEFAULT_LOCAL_ACCOUNT, imageBuildLogDir, JobLocation, newestTrainedModel } from './private/work-dir';

/** Options of `DockerRunner.tidy`. */
export interface LocalTidyOptions {
  /**
   * Work dirs whose jobs' `.scratch` folders are reaped too.
   * @default - none (only containers, networks and temp folders)
   */
  readonly workDirs?: string[];
  /**
   * List what would be removed, and remove nothing.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * The Docker CLI.
   * @default - `$CDK_DOCKER`, else `docker`
   */
  readonly dockerExecutable?: string;
}

/** What `DockerRunner.tidy` removed (or, in a dry run, would remove). */
export interface LocalTidyResult {
  /** Containers of runs whose process is gone. */
  readonly containers: string[];
  /** Networks of runs whose process is gone. */
  readonly networks: string[];
  /** Temp folders and jobs' `.scratch` folders of runs whose process is gone. */
  readonly folders: string[];
  /** What could not be listed or removed, and why. */
  readonly problems: string[];
}

/** Options of {@link DockerRunner}. */
export interface DockerRunnerOptions {
  /**
   * Folder where jobs write their results (`<workDir>/<job>/...`).
   * @default - `.byoa` under the current working directory
   */
  readonly workDir?: string;
  /**
   * Time between SIGTERM and SIGKILL when a container is stopped (for
   * example when `MaxRuntimeInSeconds` is reached). SageMaker waits 120 s.
   * @default Duration.seconds(120)
   */
  readonly maxRuntimeGracePeriod?: Duration;
  /**
   * Docker-compatible CLI to run.
   * @default - `$CDK_DOCKER`, else `docker`
   */
  readonly dockerExecutable?: string;
  /**
   * Whether SageMaker's images (framework containers) that are not on the
   * machine are pulled (after an ECR login). With `false`, local mode never
   * calls AWS for images: a missing one fails at once, saying so.
   * @default true
   */
  readonly pullImages?: boolean;
  /**
   * Whether every line of an image asset's `docker build` goes to the
   * observer. Without it the observer gets one progress line per build
   * step ("step 3 of 7: RUN ..."), and a failed build's error carries the
   * last lines; either way the full output is kept in
   * `<workDir>/image-builds/<image>.log`.
   * @default false
   */
  readonly verboseImageBuild?: boolean;
  /**
   * Receives log lines, metrics and progress of every run.
   * @default - nothing is reported
   */
  readonly observer?: ILocalRunObserver;
}

/** Options of {@link DockerRunner.train}. */
export interface LocalTrainOptions {
  /**
   * Receives this run's log lines, metrics and progress (instead of the
   * runner's observer).
   * @default - the runner's observer
   */
  readonly observer?: ILocalRunObserver;
}

/** Last value of a training metric. */
export interface LocalFinalMetric {
  readonly metricName: string;
  readonly value: number;
  readonly timestamp: Date;
}

/** Outcome of {@link DockerRunner.train}. */
export interface LocalTrainingResult {
  /** The training job name (the request's prefix plus a unique suffix). */
  readonly jobName: string;
  readonly status: LocalJobStatus;
  /**
   * Why the job failed (first 1024 characters of /opt/ml/output/failure, or
   * a message of the runner).
   * @default - the job completed
   */
  readonly failureReason?: string;
  /** Absolute path of `model.tar.gz`. */
  readonly modelArtifact: string;
  /** Absolute path of `output.tar.gz` (/opt/ml/output/data). */
  readonly outputArtifact: string;
  /** Absolute path of `description.json` (shaped like DescribeTrainingJob's response). */
  readonly descriptionPath: string;
  /** Absolute path of `metrics.json` (time series and final values). */
  readonly metricsPath: string;
  /** Last value of each metric that appeared in the logs. */
  readonly finalMetrics: LocalFinalMetric[];
  /** Time from the containers' start to their end. */
  readonly duration: Duration;
}

/** A trained model found in the runner's work dir. */
export interface LocalTrainedModel {
  /** Absolute path of the `model.tar.gz`. */
  readonly modelArtifact: string;
  /** The training job that produced it. */
  readonly trainingJobName: string;
}

/** Options of `DockerRunner.transform`. */
export interface LocalTransformOptions {
  /** Path of the model archive to serve (for example a `LocalTrainingResult`'s `modelArtifact`). */
  readonly modelArtifact: string;
  /**
   * Receives the serving container's log lines (host `algo-1`) and the runner's progress messages.
   * @default - the runner's observer
   */
  readonly observer?: ILocalRunObserver;
  /**
   * Receives record/byte progress of the job (for progress bars).
   * @default - no progress events
   */
  readonly progressObserver?: ITransformProgressObserver;
  /**
   * How long the container may take until `GET /ping` answers 200.
   * @default Duration.seconds(60)
   */
  readonly startupHealthCheckTimeout?: Duration;
  /**
   * Time between SIGTERM and SIGKILL when the container is stopped. The job
   * is over (description.json written, Completed or Failed) before its
   * container is stopped: nothing is lost by killing a transform container
   * whose work is done, so the grace is short.
   * @default Duration.seconds(3)
   */
  readonly stopGracePeriod?: Duration;
}

/** Outcome of `DockerRunner.transform`. */
export interface LocalTransformResult {
  /** The transform job name (the request's prefix plus a unique suffix). */
  readonly jobName: string;
  readonly status: LocalJobStatus;
  /**
   * Why the job failed (the first failing input file and its reason).
   * @default - the job completed
   */
  readonly failureReason?: string;
  /** Absolute path of the job's folder (the `.out` files and description.json). */
  readonly outputDir: string;
  /** Absolute path of `description.json` (shaped like DescribeTransformJob's response). */
  readonly descriptionPath: string;
  /** Absolute paths of the `.out` files written (one per input file that succeeded). */
  readonly outputFiles: string[];
  /** Records transformed. */
  readonly records: number;
  /** Time from the container's health to the last answer. */
  readonly duration: Duration;
}

/** Options of `DockerRunner.startEndpoint`. */
export interface LocalEndpointOptions {
  /** Path of the model archive to serve (for example a `LocalTrainingResult`'s `modelArtifact`). */
  readonly modelArtifact: string;
  /**
   * Receives the container's log lines (host `algo-1`) and the runner's progress messages.
   * @default - the runner's observer
   */
  readonly observer?: ILocalRunObserver;
  /**
   * How long the container may take until `GET /ping` answers 200.
   * @default - the production variant's ContainerStartupHealthCheckTimeoutInSeconds, else 60 seconds
   */
  readonly startupHealthCheckTimeout?: Duration;
  /**
   * How long one invocation may take.
   * @default Duration.seconds(60)
   */
  readonly invocationTimeout?: Duration;
  /**
   * Time between SIGTERM and SIGKILL when the endpoint is stopped.
   * @default Duration.seconds(30)
   */
  readonly stopGracePeriod?: Duration;
  /**
   * Loopback port of the local SageMaker Runtime API that serves the
   * endpoint ({@link LocalEndpoint.runtimeUrl}).
   * @default - the one already running in this process, else a free port
   */
  readonly runtimePort?: number;
}

/**
 * Runs a pipeline synthesized into a cloud assembly (`cdk.out`) on the local
 * Docker engine, reproducing the SageMaker container contract: training
 * (`train`), and, from the same run spec, batch transform and real-time
 * endpoints.
 *
 * Every container and temporary folder it creates is removed when a run
 * ends, fails or is interrupted (SIGINT/SIGTERM).
 */
export class DockerRunner {
  /**
   * Removes at once, synchronously, every container, network and temporary
   * folder local mode created in this process (for a second Ctrl-C: the
   * `byoa` CLI calls it instead of reaching into local mode's internals).
   * @internal
   */
  public static _removeEverythingNow(): void {
    cleanupRegistry.cleanupSync();
  }

  /**
   * Removes what runs that did not end cleanly left behind (a SIGKILLed CLI,
   * a crash, a machine that lost power): the containers and networks whose
   * `byoa.pid` process no longer exists on this host, local mode's temp
   * folders named after such a process, and, in `workDirs`, the `.scratch`
   * folders of their jobs. Anything of a live process or of another host
   * is left alone. Every run does this before it starts; `byoa local tidy`
   * does it on demand.
   */
  public static async tidy(options: LocalTidyOptions = {}): Promise<LocalTidyResult> {
    const docker = DockerCli.of(options.dockerExecutable);
    await docker.engine();
    return reapDeadRuns(docker, { workDirs: options.workDirs?.map((w) => path.resolve(w)), dryRun: options.dryRun });
  }

  /**
   * A runner for the pipeline at `pipelinePath` (construct path such as
   * `IrisStack/Iris`, or the pipeline's id when unambiguous) of the cloud
   * assembly in `assemblyDir`.
   */
  public static fromCloudAssembly(assemblyDir: string, pipelinePath: string, options: DockerRunnerOptions = {}): DockerRunner {
    const spec = readRunSpec(path.resolve(assemblyDir), pipelinePath);
    // A pipeline in a Stage lives in a nested assembly: its assets are there.
    return new DockerRunner(spec.assemblyDirectory ?? path.resolve(assemblyDir), spec, options);
  }

  /** Absolute path of the cloud assembly. */
  public readonly assemblyDir: string;
  /** Construct path of the pipeline. */
  public readonly pipelinePath: string;
  /** Absolute path of the work dir. */
  public readonly workDir: string;

  private readonly spec: RunSpec;
  private readonly options: DockerRunnerOptions;
  /** The Docker CLI of every docker call of this runner (`dockerExecutable`, else `$CDK_DOCKER`, else `docker`). */
  private readonly docker: DockerCli;
  /** The stop requests of the training and transform jobs running now (see {@link stopJobs}). */
  private readonly running = new Set<StopRequest>();
  /** Prepared images (local references), per role. */
  private readonly images: { training?: string; inference?: string } = {};

  private constructor(assemblyDir: string, spec: RunSpec, options: DockerRunnerOptions) {
    this.assemblyDir = assemblyDir;
    this.spec = spec;
    this.options = options;
    this.pipelinePath = spec.pipeline;
    this.workDir = path.resolve(options.workDir ?? '.byoa');
    this.docker = DockerCli.of(options.dockerExecutable);
  }

  /**
   * The model of the newest training job of this pipeline in the work dir
   * that completed (`<workDir>/<job>/output/model.tar.gz`, newest by the
   * job name's timestamp): what `transform` and `startEndpoint` serve when
   * no other model is chosen. Throws an error named `LocalModeError` when
   * there is none.
   */
  public newestTrainedModel(): LocalTrainedModel {
    return newestTrainedModel(this.workDir, this.spec.training.TrainingJobName, this.pipelinePath);
  }

  /**
   * The run spec of the pipeline, for the `byoa` CLI (which asks the runner
   * instead of reading the cloud assembly itself).
   * @internal
   */
  public get _spec(): RunSpec {
    return this.spec;
  }

  /** Whether the pipeline has a batch transform step. */
  public get hasTransform(): boolean {
    return this.spec.transform !== undefined;
  }

  /** Whether the pipeline has a real-time endpoint. */
  public get hasEndpoint(): boolean {
    return this.spec.endpointConfig !== undefined;
  }

  /**
   * Run the pipeline's training job. Resolves when the job has ended, with
   * status `Completed`, `Failed` or `Stopped` (see `stopJobs`); rejects only
   * when the job could not be started (no Docker engine, an input local mode
   * cannot read, ...) or its outputs could not be written (a full disk): a
   * rejected run leaves no job folder behind.
   */
  public async train(options: LocalTrainOptions = {}): Promise<LocalTrainingResult> {
    return this.stoppable((stop) => this.trainUntilStopped(options, stop));
  }

  private async trainUntilStopped(options: LocalTrainOptions, stop: StopRequest): Promise<LocalTrainingResult> {
    const observer = options.observer ?? this.options.observer;
    this.checkRunsLocally();
    await this.engineAndReap(observer);
    const image = await this.prepareImage('training', observer);
    observer?.onProgress(`Training ${this.pipelinePath} with ${image}`);
    const jobName = uniqueJobName(this.spec.training.TrainingJobName);
    return this.withScratch(async (scratch) => {
      const { request, codeArchivePath } = await this.scriptModeTraining(jobName, scratch, observer);
      return this.runTraining(request, jobName, image, observer, codeArchivePath, stop);
    });
  }

  private async runTraining(request: RunSpec['training'], jobName: string, image: string,
    observer: ILocalRunObserver | undefined, codeArchivePath: string | undefined, stop: StopRequest): Promise<LocalTrainingResult> {
    const res = await runTrainingJob({
      docker: this.docker,
      stop,
      request,
      jobName,
      codeArchivePath,
      image,
      assemblyDir: this.assemblyDir,
      workDir: this.workDir,
      ...this.location,
      stopGraceSeconds: (this.options.maxRuntimeGracePeriod ?? Duration.seconds(120)).toMilliseconds() / 1000,
      onLogLine: observer ? (job, host, stream, line) => observer.onLogLine({ jobName: job, host, stream, line }) : undefined,
      onMetric: observer
        ? (job, p) => observer.onMetric({ jobName: job, host: p.host, metricName: p.metricName, value: p.value, timestamp: p.timestamp })
        : undefined,
      onProgress: observer ? (message) => observer.onProgress(message) : undefined,
    });
    return {
      ...outcome(res),
      modelArtifact: res.modelArtifact,
      outputArtifact: res.outputArtifact,
      descriptionPath: res.descriptionPath,
      metricsPath: res.metricsPath,
      finalMetrics: res.finalMetrics.map((p) => ({ metricName: p.metricName, value: p.value, timestamp: p.timestamp })),
    };
  }

  // -------------------------------------------------------------------------
  // Batch transform and real-time endpoint (private/transform/, private/serving/).
  // They serve the model archive of a training run.
  // -------------------------------------------------------------------------

  /**
   * Run the pipeline's batch transform with the model archive of a training
   * run. Resolves when the job has ended, with status `Completed`, `Failed`
   * or `Stopped` (see `stopJobs`); rejects only when it could not start (no
   * transform step, an input local mode cannot read, a container that never
   * gets healthy) or its outputs could not be written (a full disk): a
   * rejected run leaves no job folder behind.
   */
  public async transform(options: LocalTransformOptions): Promise<LocalTransformResult> {
    return this.stoppable((stop) => this.transformUntilStopped(options, stop));
  }

  private async transformUntilStopped(options: LocalTransformOptions, stop: StopRequest): Promise<LocalTransformResult> {
    const request = this.spec.transform;
    if (!request) {
      throw new LocalModeError(`Pipeline ${this.pipelinePath} has no batch transform step: add one to the pipeline, or call train()/startEndpoint() only.`);
    }
    const observer = options.observer ?? this.options.observer;
    this.checkRunsLocally();
    await this.engineAndReap(observer);
    const image = await this.prepareImage('inference', observer);
    observer?.onProgress(`Batch transform of ${this.pipelinePath} with ${image}`);
    // Named here, so that the container's first log lines carry the name too.
    const jobName = uniqueJobName(request.TransformJobName);
    const res = await this.withScratch(async (scratch) => {
      const serving = await this.scriptModeServing(options.modelArtifact, scratch, observer);
      return runTransformJob({
        docker: this.docker,
        stop,
        request,
        jobName,
        model: { ...this.spec.model, PrimaryContainer: { ...this.spec.model.PrimaryContainer, Environment: serving.environment } },
        image,
        modelArtifact: serving.modelArtifact,
        codeArchivePath: serving.codeArchivePath,
        assemblyDir: this.assemblyDir,
        ...this.location,
        workDir: this.workDir,
        startupTimeoutMs: (options.startupHealthCheckTimeout ?? Duration.seconds(60)).toMilliseconds(),
        onLogLine: observer ? (line) => observer.onLogLine({ jobName, host: 'algo-1', stream: 'stdout', line }) : undefined,
        onProgress: (p) => options.progressObserver?.onProgress(p),
        stopGraceSeconds: options.stopGracePeriod === undefined ? undefined : wholeSeconds(options.stopGracePeriod, 'stopGracePeriod'),
        onOutputsWritten: observer ? (r) => observer.onProgress(
          `Transform job ${r.jobName} ${r.status}: outputs and ${path.basename(r.descriptionPath)} written; stopping its container`,
        ) : undefined,
      });
    });
    return {
      ...outcome(res),
      outputDir: res.outputDir,
      descriptionPath: res.descriptionPath,
      outputFiles: res.files.filter((f) => f.output).map((f) => f.output!),
      records: res.records,
    };
  }

  /**
   * Start the pipeline's real-time endpoint locally with the model archive
   * of a training run. Resolves once `GET /ping` answers 200; call `stop()`
   * on the endpoint when done.
   */
  public async startEndpoint(options: LocalEndpointOptions): Promise<LocalEndpoint> {
    const observer = options.observer ?? this.options.observer;
    this.checkRunsLocally();
    await this.engineAndReap(observer);
    const image = await this.prepareImage('inference', observer);
    const variants = this.spec.endpointConfig?.ProductionVariants ?? [];
    const variant = variants[0];
    if (variants.length > 1) {
      observer?.onProgress(`Note: the endpoint config has ${variants.length} production variants `
        + `(${variants.map((v) => `'${v.VariantName}'`).join(', ')}); local mode serves only the first, '${variant?.VariantName}', `
        + 'and sends every invocation to it (no traffic split).');
    }
    const variantTimeout = variant?.ContainerStartupHealthCheckTimeoutInSeconds;
    const endpointName = this.spec.endpointName ?? this.pipelinePath.split('/').pop() ?? 'endpoint';
    observer?.onProgress(`Starting local endpoint ${endpointName} with ${image}`);
    // The endpoint extracts the archives at start: the scratch folder can go once it runs.
    return this.withScratch(async (scratch) => {
      const serving = await this.scriptModeServing(options.modelArtifact, scratch, observer);
      return LocalEndpoint._start({
        image,
        environment: serving.environment,
        modelArtifact: serving.modelArtifact,
        codeArchivePath: serving.codeArchivePath,
        endpointName,
        startupHealthCheckTimeout: options.startupHealthCheckTimeout ?? (variantTimeout ? Duration.seconds(variantTimeout) : undefined),
        invocationTimeout: options.invocationTimeout,
        stopGracePeriod: options.stopGracePeriod,
        logSink: observer ? { writeLine: (line) => observer.onLogLine({ jobName: endpointName, host: 'algo-1', stream: 'stdout', line }) } : undefined,
        logPrefix: '',
        runtimePort: options.runtimePort,
        variantName: variant?.VariantName,
      }, this.docker);
    });
  }

  /**
   * Region and account of every job of this runner: the stack's region, else
   * AWS_REGION / AWS_DEFAULT_REGION, else us-east-1; the stack's account, else
   * 000000000000.
   */
  private get location(): JobLocation {
    return {
      region: this.spec.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      account: this.spec.account ?? DEFAULT_LOCAL_ACCOUNT,
    };
  }

  /**
   * Stops the training and transform jobs this runner is running (the
   * `train()` and `transform()` calls in progress, also while their image is
   * being prepared: such a job then never starts), as
   * StopTrainingJob and StopTransformJob do: their containers get SIGTERM,
   * then SIGKILL after the grace period (`maxRuntimeGracePeriod` for
   * training, the transform's `stopGracePeriod`); calling it again kills
   * them at once. Each stopped job resolves with status `Stopped` and a
   * description that says so. A training job keeps the model and output
   * archives written until then (SageMaker saves them too); a transform job
   * keeps the `.out` files of the inputs that finished (SageMaker keeps none).
   *
   * The `byoa` CLI calls it on Ctrl-C and SIGTERM. Endpoints are stopped
   * with `LocalEndpoint.stop()`.
   */
  public stopJobs(): void {
    for (const stop of [...this.running]) { stop.request(); }
  }

  /** Checks the engine, and reaps what dead runs left (see {@link tidy}), saying so when there was something. */
  private async engineAndReap(observer: ILocalRunObserver | undefined): Promise<void> {
    await this.docker.engine();
    const reaped = await reapDeadRuns(this.docker, { workDirs: [this.workDir] });
    const what = [
      reaped.containers.length && `${reaped.containers.length} container(s) (${reaped.containers.join(', ')})`,
      reaped.networks.length && `${reaped.networks.length} network(s)`,
      reaped.folders.length && `${reaped.folders.length} scratch folder(s)`,
    ].filter(Boolean);
    if (what.length) { observer?.onProgress(`Removed what runs that ended without tidying up left: ${what.join(', ')}.`); }
    for (const problem of reaped.problems) { observer?.onProgress(`Warning: tidying up after dead runs: ${problem}`); }
  }

  /** Runs `fn` with a stop request that {@link stopJobs} reaches while it runs. */
  private async stoppable<T>(fn: (stop: StopRequest) => Promise<T>): Promise<T> {
    const stop = new StopRequest();
    this.running.add(stop);
    try {
      return await fn(stop);
    } finally {
      this.running.delete(stop);
    }
  }

  /**
   * Build or pull an image once per runner: the training image, or the
   * model's (`inferenceImage`, else the training image).
   */
  private async prepareImage(role: 'training' | 'inference', observer?: ILocalRunObserver): Promise<string> {
    const spec: ImageSpec = role === 'inference' ? this.spec.inferenceImage ?? this.spec.image : this.spec.image;
    const key = role === 'inference' && this.spec.inferenceImage ? 'inference' : 'training';
    if (!this.images[key]) {
      observer?.onProgress(`Preparing the ${key === 'inference' ? 'inference' : 'algorithm'} image (${spec.kind})`);
      this.images[key] = await prepareImage(spec, this.assemblyDir, {
        docker: this.docker,
        region: this.location.region,
        pull: this.options.pullImages,
        buildLogDir: imageBuildLogDir(this.workDir),
        verbose: this.options.verboseImageBuild,
        onLine: observer ? (line) => observer.onProgress(line) : undefined,
      });
    }
    return this.images[key]!;
  }

  /** Built-in algorithms are closed source: only SageMaker runs them. */
  private checkRunsLocally(): void {
    const algorithm = builtInAlgorithmOf(this.spec);
    if (algorithm) throw builtInAlgorithmError(this.pipelinePath, algorithm);
  }

  /** Runs `fn` with a temp folder of this process, removed afterwards. */
  private async withScratch<T>(fn: (scratch: string) => Promise<T>): Promise<T> {
    const scratch = makeTempDirSync('run');
    cleanupRegistry.trackDir(scratch);
    try {
      return await fn(scratch);
    } finally {
      await cleanupRegistry.cleanup({ dirs: [scratch] });
    }
  }

  /**
   * Script mode's training request as local mode runs it, and the code
   * archive to mount at /opt/ml/code (none with a `code` channel: network
   * isolation gives the container the archive as a channel, as in the cloud).
   */
  private async scriptModeTraining(jobName: string, scratch: string, observer?: ILocalRunObserver):
  Promise<{ request: RunSpec['training']; codeArchivePath?: string }> {
    const request = this.spec.training;
    if (!this.spec.code) return { request };
    const archive = await localCodeArchive(this.spec.code, this.assemblyDir, path.join(scratch, 'training-code'), (m) => observer?.onProgress(m));
    const code = trainingCodeOf(request);
    let codeChannelDir: string | undefined;
    if (code.kind === 'channel') {
      // The channel holds the archive under the name the submit directory gives it.
      codeChannelDir = path.join(scratch, 'code-channel');
      fs.mkdirSync(codeChannelDir);
      fs.copyFileSync(archive, path.join(codeChannelDir, code.fileName));
    }
    return {
      request: localTrainingRequest(request, { jobName, region: this.location.region, code, codeChannelDir }),
      codeArchivePath: code.kind === 'mount' ? archive : undefined,
    };
  }

  /**
   * What a serving container of the model gets in script mode: the model
   * archive (repacked with the inference code under `code/` when the model
   * needs it, as the cloud pipeline does), the code archive to mount at
   * /opt/ml/code otherwise, and the environment pointing there. A model
   * without `inferenceCode` has no code of its own (TensorFlow Serving).
   */
  private async scriptModeServing(modelArtifact: string, scratch: string, observer?: ILocalRunObserver):
  Promise<{ environment?: { [name: string]: string }; modelArtifact: string; codeArchivePath?: string }> {
    const environment = this.spec.model.PrimaryContainer?.Environment;
    const code = this.spec.inferenceCode;
    const repack = this.spec.repack === true;
    if (!code || !(repack || servingNeedsCodeMount(environment, code, repack))) {
      return { environment: localModelEnvironment(environment, { region: this.location.region, codeMounted: false }), modelArtifact: modelArtifact };
    }
    const archive = await localCodeArchive(code, this.assemblyDir, path.join(scratch, 'inference-code'), (m) => observer?.onProgress(m));
    if (repack) {
      const repacked = path.join(scratch, 'model.tar.gz');
      observer?.onProgress(`Repacking ${modelArtifact} with the inference code under code/ (as the cloud pipeline does)`);
      await repackModelFile(modelArtifact, archive, repacked);
      return { environment: localModelEnvironment(environment, { region: this.location.region, codeMounted: false }), modelArtifact: repacked };
    }
    return {
      environment: localModelEnvironment(environment, { region: this.location.region, codeMounted: true }),
      modelArtifact: modelArtifact,
      codeArchivePath: archive,
    };
  }
}

function outcome(res: { jobName: string; status: string; failureReason?: string; startTime: Date; endTime: Date }) {
  return {
    jobName: res.jobName,
    status: res.status === 'Completed' ? LocalJobStatus.COMPLETED : res.status === 'Stopped' ? LocalJobStatus.STOPPED : LocalJobStatus.FAILED,
    failureReason: res.failureReason,
    duration: Duration.millis(Math.max(0, res.endTime.getTime() - res.startTime.getTime())),
  };
}

/** A duration as whole seconds (what `docker stop -t` takes), or a clear error. */
function wholeSeconds(d: Duration, name: string): number {
  const ms = d.toMilliseconds();
  if (!(ms >= 0) || ms % 1000 !== 0) {
    throw new LocalModeError(`${name} ${ms} ms is not valid: use a whole number of seconds, 0 or more (docker stop -t takes seconds).`);
  }
  return ms / 1000;
}
