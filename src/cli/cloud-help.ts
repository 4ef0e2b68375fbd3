/** Help texts of `byoa cloud` (INTERNAL). */

const AWS_OPTIONS = `  --app DIR          Cloud assembly directory (default: cdk.out)
  --profile NAME     AWS profile, as for the AWS CLI (default: the default credential chain)
  --region REGION    AWS region (default: the stack's, else AWS_REGION or the profile's)
  -h, --help         Show this help`;

const FOLLOW_OUTPUT = `While following, it prints each step as it starts and ends (Train, Create
model, Batch transform, Endpoint) with its timing; during training the job's
secondary status transitions, the log lines of every host ([job] for algo-1,
[job/algo-N] for the others) and the metrics as they appear; the transform
job's status and log lines; the endpoint's status until InService.
Ctrl-C detaches (the execution goes on; the command to follow it again is
printed); with --stop-on-interrupt, Ctrl-C stops the execution instead.`;

const EXIT_CODES = 'Exit codes: 0 the execution succeeded, 1 it failed or could not be started or found (the reason is printed), '
  + '2 usage error, 130 interrupted with Ctrl-C.';

export const USAGE_CLOUD = `Usage: byoa cloud <run|follow|status|logs|invoke> PIPELINE [options]

Runs and uses the DEPLOYED pipeline PIPELINE (its construct path, e.g.
MyStack/MyPipeline, or its id when unambiguous). The cloud assembly (cdk.out)
gives its stack, region and account; CloudFormation gives the deployed state
machine. Credentials come from the default chain, or --profile.

Subcommands:
  run       Start an execution and follow it to the end
  follow    Follow a running or finished execution (default: the newest)
  status    The last executions: status, duration, jobs, final metrics
  logs      The CloudWatch log lines of a training or transform job
  invoke    Call the deployed endpoint (InvokeEndpoint)

Options:
${AWS_OPTIONS}

Run 'byoa cloud <subcommand> --help' for details.`;

export const CLOUD_HELP: { [name: string]: string } = {
  run: `Usage: byoa cloud run PIPELINE [--no-follow] [--stop-on-interrupt] [options]

Starts an execution of the pipeline's state machine and follows it to the end.
Exit code 0 only when the execution succeeded; otherwise the failed step and
SageMaker's FailureReason are printed (exit code 1).

${FOLLOW_OUTPUT}

Options:
  --no-follow          Print the execution ARN (alone on stdout) and return
  --stop-on-interrupt  Ctrl-C stops the execution instead of detaching
${AWS_OPTIONS}

${EXIT_CODES}`,
  follow: `Usage: byoa cloud follow EXECUTION_ARN|PIPELINE [--stop-on-interrupt] [options]

Attaches to an execution: the one whose ARN is given, or the newest execution
of PIPELINE. A finished execution is shown to its end at once.

${FOLLOW_OUTPUT}

Options:
  --stop-on-interrupt  Ctrl-C stops the execution instead of detaching
${AWS_OPTIONS}

${EXIT_CODES}`,
  status: `Usage: byoa cloud status PIPELINE [--limit N] [--json] [options]

The pipeline's last executions, newest first, as a table: execution name,
status, start, duration, training job (with its status) and its final metrics.

Options:
  --limit N          How many executions (1-100, default 10)
  --json             Print them as JSON instead (for scripts)
${AWS_OPTIONS}

Exit codes: 0 listed, 1 the pipeline could not be found (the reason is printed), 2 usage error.`,
  logs: `Usage: byoa cloud logs PIPELINE [--job NAME] [--follow] [options]

Prints the CloudWatch log lines of a job of the pipeline, every host's stream
prefixed as in local mode. The job is the training job of the newest execution
unless --job names a training or batch transform job.

Options:
  --job NAME         The training or transform job (default: the newest execution's training job)
  --follow           Keep printing new lines until the job ends (or Ctrl-C)
${AWS_OPTIONS}

Exit codes: 0 printed, 1 the job or pipeline could not be found (the reason is printed), 2 usage error.`,
  invoke: `Usage: byoa cloud invoke PIPELINE --body FILE_OR_STRING [--content-type TYPE] [--accept TYPE] [options]

Calls the pipeline's deployed endpoint (SageMaker InvokeEndpoint) and prints
the answer. When the model container answers with an error, its status code
and message are printed as an error (exit code 1), never as a prediction.

Options:
  --body FILE_OR_STRING  The request body: the contents of FILE when such a file exists, else the string itself
  --content-type TYPE    Content type of the body (default: the batch transform's, else application/json)
  --accept TYPE          Accept header (default: none)
${AWS_OPTIONS}

Exit codes: 0 the model answered, 1 it answered with an error or could not be called (the reason is printed), 2 usage error.`,
};
