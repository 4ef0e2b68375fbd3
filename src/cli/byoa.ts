#!/usr/bin/env node
/**
 * The `byoa` command line: runs a synthesized pipeline locally with Docker,
 * and runs, follows and calls the deployed pipeline.
 *
 *   byoa local train     PIPELINE [--app cdk.out] [--workdir DIR]
 *   byoa local transform PIPELINE [--model PATH|s3://...] [--app cdk.out] [--workdir DIR]
 *   byoa local serve     PIPELINE [--model PATH|s3://...] [--port N] [--app cdk.out] [--workdir DIR]
 *   byoa local run       PIPELINE [--app cdk.out] [--workdir DIR] [--keep-serving] [--port N]
 *   byoa local tidy      [--workdir DIR] [--dry-run]
 *   byoa cloud run|follow|status|logs|invoke PIPELINE ...   (see cloud-commands.ts)
 *   byoa --version
 *
 * Exit code 0 only when everything succeeded; 1 when a job failed or could
 * not run (the reason is printed); 2 on a usage error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { cloudMain, CloudDeps } from './cloud-commands';
import { SUBCOMMAND_HELP, USAGE_LOCAL, USAGE_MAIN } from './local-help';
import { givenModel } from './model-artifact';
import { downloadModel, isS3Uri } from './s3-model';
import { TransformProgressDisplay } from './transform-progress';
import { defaultClientFactory } from '../cloud/clients';
import { resolveRegion } from '../cloud/deployed-pipeline';
import {
  DockerRunner, ILocalRunObserver, LocalEndpoint, LocalJobStatus, LocalLogEvent, LocalMetricEvent, LocalTrainingResult, LocalTransformResult,
} from '../local';
import type { RunSpec } from '../private/run-spec';

/** Where the CLI writes (replaceable in tests). */
export interface CliOutput {
  /** Whether stdout is a terminal (the progress bar is then redrawn in place). @default false */
  readonly isTTY?: boolean;
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
  /** Writes text as is to stdout (for the progress bar). @default - lines through out() */
  write?(text: string): void;
}

const consoleOutput: CliOutput = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  write: (text) => process.stdout.write(text),
  isTTY: process.stdout.isTTY === true,
};

/**
 * Prints container logs prefixed with the job (and host when not algo-1),
 * metrics as they appear. Lines go around the transform progress bar when
 * one is shown.
 */
class PrintingObserver implements ILocalRunObserver {
  /** The progress bar being shown, if any. */
  public progress?: TransformProgressDisplay;
  /** Job name for lines that come before the runner knows the job's name. */
  public fallbackJobName = 'job';

  constructor(private readonly output: CliOutput) {}
  public onLogLine(e: LocalLogEvent): void {
    const job = e.jobName || this.fallbackJobName;
    const prefix = e.host && e.host !== 'algo-1' ? `[${job}/${e.host}]` : `[${job}]`;
    this.print(e.stream === 'stderr' ? 'err' : 'out', `${prefix} ${e.line}`);
  }
  public onMetric(e: LocalMetricEvent): void {
    this.print('out', `[${e.jobName}] metric ${e.metricName} = ${e.value}`);
  }
  public onProgress(message: string): void {
    this.print('err', `byoa: ${message}`);
  }
  private print(stream: 'out' | 'err', line: string): void {
    const write = () => (stream === 'err' ? this.output.err(line) : this.output.out(line));
    if (this.progress) this.progress.around(write); else write();
  }
}

/** What the CLI talks to besides Docker (replaceable in tests). */
export type CliDeps = CloudDeps;

/** The version in the package's package.json. */
function version(): string {
  const file = path.join(__dirname, '..', '..', 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], output: CliOutput = consoleOutput, deps: CliDeps = {}): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help') {
    output.out(USAGE_MAIN);
    return command ? 0 : 2;
  }
  if (command === '--version') {
    output.out(version());
    return 0;
  }
  if (command === 'cloud') {
    return cloudMain(rest, output, deps);
  }
  if (command !== 'local') {
    output.err(`byoa: unknown ${command.startsWith('-') ? 'option' : 'command'} '${command}'. Commands: local, cloud; options: --version, --help.\n\n${USAGE_MAIN}`);
    return 2;
  }
  const [sub, ...args] = rest;
  if (!sub || sub === '-h' || sub === '--help') {
    output.out(USAGE_LOCAL);
    return sub ? 0 : 2;
  }
  if (!(sub in SUBCOMMAND_HELP)) {
    output.err(`byoa: unknown subcommand 'local ${sub}'. Subcommands: ${Object.keys(SUBCOMMAND_HELP).join(', ')}.\n\n${USAGE_LOCAL}`);
    return 2;
  }
  if (sub === 'tidy') {
    return tidyCommand(args, output);
  }

  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'app': { type: 'string', default: 'cdk.out' },
        'workdir': { type: 'string', default: '.byoa' },
        'model': { type: 'string' },
        'profile': { type: 'string' },
        'region': { type: 'string' },
        'keep-serving': { type: 'boolean', default: false },
        'port': { type: 'string' },
        'verbose': { type: 'boolean', default: false },
        'help': { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    output.err(`byoa: ${(e as Error).message}\n\n${SUBCOMMAND_HELP[sub]}`);
    return 2;
  }
  if (parsed.values.help) {
    output.out(SUBCOMMAND_HELP[sub]);
    return 0;
  }
  if (parsed.values['keep-serving'] && sub !== 'run') {
    output.err('byoa: --keep-serving only applies to \'byoa local run\'.');
    return 2;
  }
  let runtimePort: number | undefined;
  if (parsed.values.port !== undefined) {
    if (sub !== 'serve' && sub !== 'run') {
      output.err('byoa: --port only applies to \'byoa local serve\' and \'byoa local run\' (the port of the local SageMaker Runtime API).');
      return 2;
    }
    runtimePort = Number(parsed.values.port);
    if (!/^\d+$/.test(parsed.values.port) || runtimePort < 1 || runtimePort > 65535) {
      output.err(`byoa: --port must be a port number from 1 to 65535; got '${parsed.values.port}'.`);
      return 2;
    }
  }
  if (parsed.values.model !== undefined && sub !== 'transform' && sub !== 'serve') {
    output.err(`byoa: --model only applies to 'byoa local transform' and 'byoa local serve' ('byoa local ${sub}' trains its own model).`);
    return 2;
  }
  if ((parsed.values.profile !== undefined || parsed.values.region !== undefined) && !isS3Uri(parsed.values.model ?? '')) {
    output.err('byoa: --profile and --region only apply to an s3:// --model of \'byoa local transform\' and \'byoa local serve\'.');
    return 2;
  }
  if (parsed.positionals.length !== 1) {
    output.err(`byoa: expected exactly one PIPELINE argument, got ${parsed.positionals.length}.\n\n${SUBCOMMAND_HELP[sub]}`);
    return 2;
  }

  const observer = new PrintingObserver(output);
  const appDir = parsed.values.app!;
  try {
    const runner = DockerRunner.fromCloudAssembly(appDir, parsed.positionals[0], {
      workDir: parsed.values.workdir,
      verboseImageBuild: parsed.values.verbose === true,
      observer,
    });
    const spec = runner._spec;
    const cli: CliRun = { runner, spec, output, observer, deps, profile: parsed.values.profile, region: parsed.values.region, runtimePort };
    switch (sub) {
      case 'train':
        return await trainCommand(cli);
      case 'transform':
        return await transformCommand(cli, parsed.values.model);
      case 'serve':
        return await serveCommand(cli, parsed.values.model);
      case 'run':
        return await runCommand(cli, parsed.values['keep-serving'] === true);
      default:
        return 2;
    }
  } catch (e) {
    output.err(`byoa: ${(e as Error).message}`);
    return 1;
  }
}

/** `byoa local tidy`: removes what dead runs left (see `DockerRunner.tidy`). */
async function tidyCommand(args: string[], output: CliOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      options: {
        'workdir': { type: 'string', default: '.byoa' },
        'dry-run': { type: 'boolean', default: false },
        'help': { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    output.err(`byoa: ${(e as Error).message}\n\n${SUBCOMMAND_HELP.tidy}`);
    return 2;
  }
  if (parsed.values.help) {
    output.out(SUBCOMMAND_HELP.tidy);
    return 0;
  }
  const dryRun = parsed.values['dry-run'] === true;
  try {
    const result = await DockerRunner.tidy({ workDirs: [parsed.values.workdir!], dryRun });
    const verb = dryRun ? 'Would remove' : 'Removed';
    const items = [
      ...result.containers.map((c) => `container ${c}`),
      ...result.networks.map((n) => `network ${n}`),
      ...result.folders.map((f) => `folder ${f}`),
    ];
    for (const item of items) { output.out(`${verb} ${item}`); }
    if (items.length === 0) { output.out('Nothing to tidy: no container, network or scratch folder of a dead run.'); }
    for (const problem of result.problems) { output.err(`byoa: ${problem}`); }
    return result.problems.length ? 1 : 0;
  } catch (e) {
    output.err(`byoa: ${(e as Error).message}`);
    return 1;
  }
}

/** What every subcommand works with. */
interface CliRun {
  readonly runner: DockerRunner;
  readonly spec: RunSpec;
  readonly output: CliOutput;
  readonly observer: PrintingObserver;
  readonly deps: CliDeps;
  /** AWS profile and region for an s3:// model. */
  readonly profile?: string;
  readonly region?: string;
  /** `--port`: the port of the local SageMaker Runtime API. */
  readonly runtimePort?: number;
}

/** The exit code of a process ended by `signal`, as the shell reports it (130 for SIGINT, 143 for SIGTERM). */
function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/**
 * Runs `body` (a training or transform job) with SIGINT and SIGTERM
 * stopping it as StopTrainingJob/StopTransformJob would: the first signal
 * stops its containers gracefully, the second kills them at once (the job
 * still ends `Stopped`, with its description), the third removes
 * everything and exits. Resolves with the job's result and the first signal
 * received, if any.
 */
async function untilStopped<T>(cli: CliRun, body: () => Promise<T>): Promise<{ result: T; signal?: NodeJS.Signals }> {
  let signal: NodeJS.Signals | undefined;
  let count = 0;
  const onSignal = (received: NodeJS.Signals) => {
    signal ??= received;
    count++;
    if (count === 1) {
      cli.output.err(`byoa: received ${received}: stopping the job (SIGTERM to its containers, SIGKILL after the grace period); `
        + 'press Ctrl-C again to kill them at once.');
      cli.runner.stopJobs();
    } else if (count === 2) {
      cli.output.err(`byoa: received ${received} again: killing the job's containers now; once more removes everything and exits.`);
      cli.runner.stopJobs();
    } else {
      DockerRunner._removeEverythingNow();
      process.exit(signalExitCode(signal));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await body();
    return { result, signal };
  } catch (e) {
    if (signal) { (e as { signal?: NodeJS.Signals }).signal = signal; }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** Trains and prints the outcome: code 0 when the job completed, 1 when it failed, 130/143 when a signal stopped it. */
async function trainAndReport(cli: CliRun): Promise<{ code: number; modelArtifact: string }> {
  const { result, signal } = await untilStopped(cli, () => cli.runner.train());
  const modelArtifact = result.modelArtifact;
  if (reportTraining(result, cli.output)) { return { code: 0, modelArtifact }; }
  return { code: signal && result.status === LocalJobStatus.STOPPED ? signalExitCode(signal) : 1, modelArtifact };
}

/** `byoa local train`. */
async function trainCommand(cli: CliRun): Promise<number> {
  return (await trainAndReport(cli)).code;
}

/** Prints the outcome of a training run; true when it completed. */
function reportTraining(result: LocalTrainingResult, output: CliOutput): boolean {
  for (const m of result.finalMetrics) {
    output.out(`[${result.jobName}] final ${m.metricName} = ${m.value}`);
  }
  if (result.status === LocalJobStatus.STOPPED) {
    output.err(`Training job ${result.jobName} Stopped after ${(result.duration.toMilliseconds() / 1000).toFixed(1)} s. Kept, as SageMaker keeps them:`);
    output.err(`  model:       ${fs.existsSync(result.modelArtifact) ? result.modelArtifact : '(none: the job wrote no model archive)'}`);
    output.err(`  output:      ${fs.existsSync(result.outputArtifact) ? result.outputArtifact : '(none)'}`);
    output.err(`  description: ${result.descriptionPath} (TrainingJobStatus Stopped)`);
    return false;
  }
  if (result.status === LocalJobStatus.COMPLETED) {
    output.out(`Training job ${result.jobName} Completed in ${(result.duration.toMilliseconds() / 1000).toFixed(1)} s`);
    output.out(`  model:       ${result.modelArtifact}`);
    output.out(`  output:      ${result.outputArtifact}`);
    output.out(`  description: ${result.descriptionPath}`);
    return true;
  }
  output.err(`Training job ${result.jobName} Failed: ${result.failureReason}`);
  output.err(`  description: ${result.descriptionPath}`);
  return false;
}

/** The model of `transform`/`serve`: `--model` (a file, or downloaded from S3), else the newest trained one (and says which). */
async function chooseModel(cli: CliRun, modelOption: string | undefined): Promise<string> {
  if (modelOption !== undefined && isS3Uri(modelOption)) {
    const region = await resolveRegion(cli.region, cli.spec, cli.profile);
    const clients = (cli.deps.clientFactory ?? defaultClientFactory)({ region, profile: cli.profile });
    const modelArtifact = await downloadModel(modelOption, { s3: clients.s3, workDir: cli.runner.workDir, output: cli.output });
    cli.output.out(`Using model ${modelArtifact} (from ${modelOption})`);
    return modelArtifact;
  }
  if (modelOption !== undefined) {
    const given = givenModel(modelOption);
    cli.output.out(`Using model ${given.modelArtifact}`);
    return given.modelArtifact;
  }
  const newest = cli.runner.newestTrainedModel();
  cli.output.out(`Using the newest trained model: ${newest.modelArtifact} (training job ${newest.trainingJobName}; choose another with --model PATH)`);
  return newest.modelArtifact;
}

/** Runs the batch transform with a progress bar and prints the outcome: 0 when it completed, 1 when it failed, 130/143 when a signal stopped it. */
async function runTransform(cli: CliRun, modelArtifact: string): Promise<number> {
  const { output, observer } = cli;
  const progress = new TransformProgressDisplay(
    // Without write(), the display is never in place and writes whole lines.
    { write: output.write ? (text) => output.write!(text) : (text) => output.out(text.replace(/\n$/, '')) },
    { tty: output.isTTY === true && output.write !== undefined },
  );
  observer.fallbackJobName = cli.spec.transform?.TransformJobName ?? 'transform';
  observer.progress = progress;
  let result: LocalTransformResult;
  let signal: NodeJS.Signals | undefined;
  try {
    ({ result, signal } = await untilStopped(cli, () => cli.runner.transform({ modelArtifact, progressObserver: progress })));
  } finally {
    progress.close();
    observer.progress = undefined;
  }
  const seconds = (result.duration.toMilliseconds() / 1000).toFixed(1);
  const outFiles = `${result.outputFiles.length} .out file${result.outputFiles.length === 1 ? '' : 's'}`;
  if (result.status === LocalJobStatus.COMPLETED) {
    output.out(`Transform job ${result.jobName} Completed: ${result.records} records in ${seconds} s`);
    output.out(`  outputs:     ${result.outputDir} (${outFiles})`);
    output.out(`  description: ${result.descriptionPath}`);
    return 0;
  }
  if (result.status === LocalJobStatus.STOPPED) {
    output.err(`Transform job ${result.jobName} Stopped after ${seconds} s (${result.records} records done).`);
    output.err(`  kept:        ${result.outputDir} (${outFiles} of the inputs that finished; SageMaker keeps none of a stopped job)`);
    output.err(`  description: ${result.descriptionPath} (TransformJobStatus Stopped)`);
    return signal ? signalExitCode(signal) : 1;
  }
  output.err(`Transform job ${result.jobName} Failed: ${result.failureReason}`);
  output.err(`  outputs:     ${result.outputDir} (${outFiles} written)`);
  output.err(`  description: ${result.descriptionPath}`);
  return 1;
}

async function transformCommand(cli: CliRun, modelOption: string | undefined): Promise<number> {
  if (!cli.runner.hasTransform) {
    cli.output.err(`byoa: pipeline ${cli.runner.pipelinePath} has no batch transform.`);
    return 1;
  }
  const modelArtifact = await chooseModel(cli, modelOption);
  return runTransform(cli, modelArtifact);
}

/** Content type for the example request: the transform input's, else JSON. */
function exampleContentType(spec: RunSpec): string {
  return spec.transform?.TransformInput?.ContentType ?? 'application/json';
}

/**
 * Starts the endpoint and prints how to call it through the local SageMaker
 * Runtime API; throws (with the container's last lines) when it does not
 * get healthy.
 */
async function startEndpoint(cli: CliRun, modelArtifact: string): Promise<LocalEndpoint> {
  const endpoint = await cli.runner.startEndpoint({ modelArtifact, runtimePort: cli.runtimePort });
  const contentType = exampleContentType(cli.spec);
  const name = endpoint.endpointName;
  cli.output.out(`Endpoint ${name} is healthy: SageMaker Runtime API at ${endpoint.runtimeUrl}`);
  cli.output.out('  (InvokeEndpoint for any SageMaker Runtime client given this endpoint URL; signatures are not checked)');
  cli.output.out(`  invoke: aws sagemaker-runtime invoke-endpoint --endpoint-url ${endpoint.runtimeUrl} --endpoint-name ${name} `
    + `--content-type ${contentType} --body fileb://INPUT_FILE OUTPUT_FILE`);
  cli.output.out(`  or:     curl -s -X POST -H 'Content-Type: ${contentType}' --data-binary @INPUT_FILE ${endpoint.invocationsUrl}`);
  return endpoint;
}

/** How often a stopping endpoint says that it is still being waited for. */
const STOP_WAIT_NOTICE_MS = 5000;

/**
 * Serves until SIGINT or SIGTERM, then stops the endpoint (exit code 0). A
 * second signal while stopping removes everything at once and exits 130.
 * When the container exits on its own meanwhile (it crashed, or was
 * killed), says so with its last log lines: exit code 1.
 */
async function serveUntilSignal(cli: CliRun, endpoint: LocalEndpoint): Promise<number> {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => {
    let count = 0;
    onSignal = (signal) => {
      count++;
      if (count === 1) {
        resolve(signal);
      } else {
        DockerRunner._removeEverythingNow();
        process.exit(130);
      }
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    cli.output.out(`Serving ${endpoint.endpointName} until Ctrl-C (SIGINT or SIGTERM).`);
    const ended = await Promise.race([received.then((signal) => ({ signal })), endpoint._whenContainerExits()]);
    if (!('signal' in ended)) {
      cli.output.err(`byoa: the container of endpoint ${endpoint.endpointName} exited with code ${ended.code} while serving; `
        + 'the endpoint no longer answers.'
        + (ended.logs ? `\n--- last container output ---\n${ended.logs}` : ' It printed nothing.'));
      await endpoint.stop();
      return 1;
    }
    const signal = ended.signal;
    cli.output.out(`Received ${signal}: stopping endpoint ${endpoint.endpointName}: waiting for its container to exit after SIGTERM `
      + `(SIGKILL after ${endpoint.stopGracePeriod.toSeconds()} s); press Ctrl-C again to remove it at once.`);
    const started = Date.now();
    const waiting = setInterval(() => cli.output.out(
      `Still waiting for endpoint ${endpoint.endpointName} to stop (${Math.round((Date.now() - started) / 1000)} s); Ctrl-C again removes it at once.`,
    ), STOP_WAIT_NOTICE_MS);
    try {
      await endpoint.stop();
    } finally {
      clearInterval(waiting);
    }
    cli.output.out(`Endpoint ${endpoint.endpointName} stopped.`);
    return 0;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

async function serveCommand(cli: CliRun, modelOption: string | undefined): Promise<number> {
  if (!cli.runner.hasEndpoint) {
    cli.output.err(`byoa: pipeline ${cli.runner.pipelinePath} has no endpoint.`);
    return 1;
  }
  const modelArtifact = await chooseModel(cli, modelOption);
  let endpoint: LocalEndpoint;
  try {
    endpoint = await startEndpoint(cli, modelArtifact);
  } catch (e) {
    cli.output.err(`byoa: the endpoint of ${cli.runner.pipelinePath} failed to start: ${(e as Error).message}`);
    return 1;
  }
  try {
    return await serveUntilSignal(cli, endpoint);
  } finally {
    await endpoint.stop();
  }
}

/** Runs one step of `run` (its exit code: 0 when it succeeded); prints which step failed or was stopped, and why. */
async function step(cli: CliRun, name: string, body: () => Promise<number>): Promise<number> {
  cli.output.out(`=== Step ${name} ===`);
  let code: number;
  let reason = 'see the messages above';
  try {
    code = await body();
  } catch (e) {
    code = 1;
    reason = (e as Error).message;
  }
  if (code === 130 || code === 143) {
    cli.output.err(`byoa: step '${name}' of pipeline ${cli.runner.pipelinePath} was stopped (${code === 130 ? 'SIGINT' : 'SIGTERM'}); the steps after it did not run.`);
  } else if (code !== 0) {
    cli.output.err(`byoa: step '${name}' of pipeline ${cli.runner.pipelinePath} failed: ${reason}`);
  }
  return code;
}

async function runCommand(cli: CliRun, keepServing: boolean): Promise<number> {
  const { runner, output } = cli;
  const steps = ['train', ...(runner.hasTransform ? ['transform'] : []), ...(runner.hasEndpoint ? ['endpoint'] : [])];
  output.out(`Running pipeline ${runner.pipelinePath}: ${steps.join(', ')}`);
  let modelArtifact = '';
  const trained = await step(cli, 'train', async () => {
    const trainedModel = await trainAndReport(cli);
    modelArtifact = trainedModel.modelArtifact;
    return trainedModel.code;
  });
  if (trained !== 0) return trained;
  if (runner.hasTransform) {
    const transformed = await step(cli, 'transform', () => runTransform(cli, modelArtifact));
    if (transformed !== 0) return transformed;
  }
  if (runner.hasEndpoint) {
    let endpoint: LocalEndpoint | undefined;
    const served = await step(cli, 'endpoint', async () => {
      endpoint = await startEndpoint(cli, modelArtifact);
      return 0;
    });
    if (served !== 0) return served;
    try {
      if (keepServing) {
        const serving = await serveUntilSignal(cli, endpoint!);
        if (serving !== 0) return serving;
      } else {
        output.out(`Stopping endpoint ${endpoint!.endpointName} (use --keep-serving to keep it serving until Ctrl-C).`);
      }
    } finally {
      await endpoint!.stop();
    }
  }
  output.out(`Pipeline ${runner.pipelinePath} completed locally: ${steps.join(', ')}.`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`byoa: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
