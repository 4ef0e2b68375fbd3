#!/usr/bin/env node
/**
 * The `byoa` command line: runs a synthesized pipeline locally with Docker.
 *
 *   byoa local train     PIPELINE [--app cdk.out] [--workdir DIR]
 *   byoa local transform PIPELINE [--app cdk.out] [--workdir DIR]
 *   byoa local serve     PIPELINE [--app cdk.out] [--workdir DIR]
 *   byoa local run       PIPELINE [--app cdk.out] [--workdir DIR] [--keep-serving]
 *
 * Exit code 0 only when everything succeeded; 1 when a job failed or could
 * not run (the reason is printed); 2 on a usage error.
 */
import { parseArgs } from 'util';
import { DockerRunner, ILocalRunObserver, LocalJobStatus, LocalLogEvent, LocalMetricEvent, LocalTrainingResult } from '../local';

const USAGE_MAIN = `Usage: byoa <command> ...

Commands:
  local    Run a pipeline of a cloud assembly (cdk.out) on the local Docker engine

Run 'byoa local --help' for details.`;

const USAGE_LOCAL = `Usage: byoa local <train|transform|serve|run> PIPELINE [options]

Runs the pipeline PIPELINE (its construct path, e.g. MyStack/MyPipeline, or its
id when unambiguous) from a synthesized cloud assembly with Docker, the way
SageMaker runs the algorithm container.

Subcommands:
  train       Run the training job
  transform   Train, then run the batch transform job on the model
  serve       Train, then serve the model as a local real-time endpoint
  run         The whole pipeline: train, then transform and/or endpoint

Options:
  --app DIR       Cloud assembly directory (default: cdk.out)
  --workdir DIR   Where job outputs go (default: .byoa)
  -h, --help      Show help (also: byoa local <subcommand> --help)`;

const SUBCOMMAND_HELP: { [name: string]: string } = {
  train: `Usage: byoa local train PIPELINE [--app cdk.out] [--workdir DIR]

Runs the pipeline's training job in Docker: config files in /opt/ml/input/config,
channels mounted read-only, metric definitions applied to the logs.
Writes WORKDIR/<job>/output/model.tar.gz, output.tar.gz, metrics.json and
description.json. Exit code 0 when the job completed, 1 otherwise.`,
  transform: `Usage: byoa local transform PIPELINE [--app cdk.out] [--workdir DIR]

Trains, then runs the pipeline's batch transform job on the trained model.`,
  serve: `Usage: byoa local serve PIPELINE [--app cdk.out] [--workdir DIR]

Trains, then starts the model's serving container as a local endpoint on
127.0.0.1 and serves until Ctrl-C.`,
  run: `Usage: byoa local run PIPELINE [--app cdk.out] [--workdir DIR] [--keep-serving]

Runs the whole pipeline: training, then the batch transform and/or the
endpoint it defines. The endpoint is stopped at the end unless --keep-serving
is given (then it serves until Ctrl-C).`,
};

/** Where the CLI writes (replaceable in tests). */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const consoleOutput: CliOutput = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** Prints container logs prefixed with the job (and host when not algo-1), metrics as they appear. */
class PrintingObserver implements ILocalRunObserver {
  constructor(private readonly output: CliOutput) {}
  public onLogLine(e: LocalLogEvent): void {
    const prefix = e.host && e.host !== 'algo-1' ? `[${e.jobName}/${e.host}]` : `[${e.jobName}]`;
    (e.stream === 'stderr' ? this.output.err : this.output.out)(`${prefix} ${e.line}`);
  }
  public onMetric(e: LocalMetricEvent): void {
    this.output.out(`[${e.jobName}] metric ${e.metricName} = ${e.value}`);
  }
  public onProgress(message: string): void {
    this.output.err(`byoa: ${message}`);
  }
}

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], output: CliOutput = consoleOutput): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help') {
    output.out(USAGE_MAIN);
    return command ? 0 : 2;
  }
  if (command !== 'local') {
    output.err(`byoa: unknown command '${command}'. Commands: local.\n\n${USAGE_MAIN}`);
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

  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'app': { type: 'string', default: 'cdk.out' },
        'workdir': { type: 'string', default: '.byoa' },
        'keep-serving': { type: 'boolean', default: false },
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
  if (parsed.positionals.length !== 1) {
    output.err(`byoa: expected exactly one PIPELINE argument, got ${parsed.positionals.length}.\n\n${SUBCOMMAND_HELP[sub]}`);
    return 2;
  }

  const observer = new PrintingObserver(output);
  try {
    const runner = DockerRunner.fromCloudAssembly(parsed.values.app!, parsed.positionals[0], {
      workDir: parsed.values.workdir,
      observer,
    });
    switch (sub) {
      case 'train':
        return reportTraining(await runner.train(), output) ? 0 : 1;
      case 'transform':
      case 'serve':
      case 'run':
        return await runFurther(sub, runner, output, parsed.values['keep-serving'] === true);
      default:
        return 2;
    }
  } catch (e) {
    output.err(`byoa: ${(e as Error).message}`);
    return 1;
  }
}

/** Prints the outcome of a training run; true when it completed. */
function reportTraining(result: LocalTrainingResult, output: CliOutput): boolean {
  for (const m of result.finalMetrics) {
    output.out(`[${result.jobName}] final ${m.metricName} = ${m.value}`);
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

async function runFurther(sub: string, runner: DockerRunner, output: CliOutput, keepServing: boolean): Promise<number> {
  const wantsTransform = sub === 'transform' || (sub === 'run' && runner.hasTransform);
  const wantsEndpoint = sub === 'serve' || (sub === 'run' && runner.hasEndpoint);
  if (sub === 'transform' && !runner.hasTransform) {
    output.err(`byoa: pipeline ${runner.pipelinePath} has no batch transform.`);
    return 1;
  }
  if (sub === 'serve' && !runner.hasEndpoint) {
    output.err(`byoa: pipeline ${runner.pipelinePath} has no endpoint.`);
    return 1;
  }
  if ((wantsTransform || wantsEndpoint) && !LOCAL_TRANSFORM_AND_ENDPOINT_AVAILABLE) {
    // TODO(lead): wire DockerRunner.transform() / startEndpoint() (helper B's
    // src/local/transform and src/local/hosting.ts) here once they exist on
    // DockerRunner, and set LOCAL_TRANSFORM_AND_ENDPOINT_AVAILABLE. `serve`
    // and `run --keep-serving` should print the endpoint URL and wait for
    // Ctrl-C; `run` without it stops the endpoint at the end.
    output.err(`byoa: 'byoa local ${sub}' needs local ${[wantsTransform ? 'batch transform' : '', wantsEndpoint ? 'endpoints' : ''].filter((x) => x).join(' and ')}, `
      + 'which are not yet available in this version. Use \'byoa local train\'.');
    return 1;
  }
  const training = await runner.train();
  if (!reportTraining(training, output)) { return 1; }
  void keepServing;
  return 0;
}

/** Flipped by the lead when DockerRunner gains transform() and startEndpoint(). */
const LOCAL_TRANSFORM_AND_ENDPOINT_AVAILABLE = false;

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`byoa: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
