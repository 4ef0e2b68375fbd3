/** Help texts of `byoa` and `byoa local` (INTERNAL; those of `byoa cloud` are in cloud-help.ts). */

export const USAGE_MAIN = `Usage: byoa <command> ...

Commands:
  local    Run a pipeline of a cloud assembly (cdk.out) on the local Docker engine
  cloud    Run, follow and call the deployed pipeline (after cdk deploy)

Options:
  --version   Print the version of byoa
  -h, --help  Show this help

Run 'byoa local --help' or 'byoa cloud --help' for details.`;

export const USAGE_LOCAL = `Usage: byoa local <train|transform|serve|run> PIPELINE [options]
       byoa local tidy [--workdir DIR] [--dry-run]

Runs the pipeline PIPELINE (its construct path, e.g. MyStack/MyPipeline, or its
id when unambiguous) from a synthesized cloud assembly with Docker, the way
SageMaker runs the algorithm container.

Subcommands:
  train       Run the training job
  transform   Run the batch transform job on a trained model
  serve       Serve a trained model as a local real-time endpoint until Ctrl-C
  run         The whole pipeline: train, then transform and/or endpoint
  tidy        Remove what runs that were killed left (containers, networks,
              scratch folders)

Options:
  --app DIR       Cloud assembly directory (default: cdk.out)
  --workdir DIR   Where job outputs go (default: .byoa)
  -h, --help      Show help (also: byoa local <subcommand> --help)`;

const COMMON_OPTIONS = `  --app DIR       Cloud assembly directory (default: cdk.out)
  --workdir DIR   Where job outputs go, and where trained models are looked
                  up (default: .byoa)
  --verbose       Print every line of an image asset's docker build (default:
                  one line per build step; the full log is always kept in
                  WORKDIR/image-builds/, and its last lines are printed when
                  the build fails)
  -h, --help      Show this help`;

const PORT_OPTION = `  --port N        Port of the local SageMaker Runtime API on 127.0.0.1
                  (default: a free port, printed)`;

const MODEL_OPTION = `  --model PATH    The model archive (model.tar.gz) to use: a file, or the
                  s3://BUCKET/KEY of a model trained in the cloud (downloaded
                  to WORKDIR/models/, with a progress line for large ones).
                  Default: the newest WORKDIR/<training job>/output/model.tar.gz
                  of this pipeline's completed training jobs (run 'byoa local
                  train' first)
  --profile NAME  AWS profile for an s3:// --model (default: the default chain)
  --region REGION AWS region for an s3:// --model (default: the stack's)`;

const EXIT_CODES = 'Exit codes: 0 success, 1 the job failed or could not run (the reason is printed), 2 usage error.';

const STOPPING = `Ctrl-C (SIGINT) or SIGTERM stops the job as StopTrainingJob/StopTransformJob
would: SIGTERM to its containers, SIGKILL after the grace period (a second
Ctrl-C kills them at once). The job's description.json then says Stopped, the
terminal says what was kept, and the exit code is 130 (SIGINT) or 143 (SIGTERM).`;

export const SUBCOMMAND_HELP: { [name: string]: string } = {
  train: `Usage: byoa local train PIPELINE [--app cdk.out] [--workdir DIR]

Runs the pipeline's training job in Docker: config files in /opt/ml/input/config;
channels in /opt/ml/input/data/<channel>, as a writable copy in File mode (as
SageMaker downloads the data; your files are never changed) and read-only in
FastFile mode; metric definitions applied to the logs.
Writes WORKDIR/<job>/output/model.tar.gz, output.tar.gz, metrics.json and
description.json. Exit code 0 when the job completed, 1 otherwise.

${STOPPING}

Options:
${COMMON_OPTIONS}

${EXIT_CODES}`,
  transform: `Usage: byoa local transform PIPELINE [--model PATH] [--app cdk.out] [--workdir DIR]

Runs the pipeline's batch transform job on a trained model: the serving
container (IMAGE serve) with the model extracted in /opt/ml/model, the input
split, batched and sent to POST /invocations as SageMaker does. Shows the
container's logs and a progress bar (records/s). Writes the .out files and
description.json to WORKDIR/<transform job>/. Exit code 0 when the job
completed, 1 otherwise (the failure reason is printed).

${STOPPING}

Options:
${MODEL_OPTION}
${COMMON_OPTIONS}

${EXIT_CODES}`,
  serve: `Usage: byoa local serve PIPELINE [--model PATH] [--port N] [--app cdk.out] [--workdir DIR]

Starts the model's serving container (IMAGE serve) as a local real-time
endpoint and serves it through a local SageMaker Runtime API on 127.0.0.1:
POST /endpoints/<EndpointName>/invocations, with InvokeEndpoint's headers,
6 MB limit, 60 s timeout and error shapes (a container error is a ModelError
with its original status). Point any SageMaker Runtime client at the printed
URL (the AWS CLI's --endpoint-url, boto3's endpoint_url, the JavaScript SDK's
endpoint); any credentials and region do, as signatures are not checked.
Serves until Ctrl-C (SIGINT or SIGTERM), then stops and removes the container
(exit code 0). Exit code 1 when the container does not get healthy, or exits
while it serves (the reason and its last log lines are printed).

Options:
${MODEL_OPTION}
${PORT_OPTION}
${COMMON_OPTIONS}

${EXIT_CODES}`,
  run: `Usage: byoa local run PIPELINE [--app cdk.out] [--workdir DIR] [--keep-serving] [--port N]

Runs the whole pipeline: training, then the batch transform it defines (on the
new model), then the endpoint it defines (started, checked healthy, its local
SageMaker Runtime API URL printed, as in 'byoa local serve'). The endpoint is stopped at the end unless --keep-serving is given
(then it serves until Ctrl-C). Exit code 0 only when every step succeeded;
otherwise the failed step and its reason are printed (exit code 1).

Options:
  --keep-serving  Keep the endpoint serving until Ctrl-C (SIGINT or SIGTERM)
${PORT_OPTION}
${COMMON_OPTIONS}

${EXIT_CODES}`,
  tidy: `Usage: byoa local tidy [--workdir DIR] [--dry-run]

Removes what local runs that did not end cleanly (a SIGKILLed or crashed
byoa, a machine that lost power) left behind: the containers and networks
labelled byoa.local whose byoa.pid process no longer exists on this host,
local mode's temp folders named after such a process, and the .scratch
folders of their jobs in WORKDIR. Anything of a live run, or created on
another host, is left alone. Every run does this too before it starts.

Options:
  --workdir DIR   Work dir whose jobs' .scratch folders are checked (default: .byoa)
  --dry-run       List what would be removed; remove nothing
  -h, --help      Show this help

Exit codes: 0 success, 1 something could not be removed (it is named), 2 usage error.`,
};
