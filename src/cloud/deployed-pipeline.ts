/**
 * Finding a deployed pipeline (INTERNAL): the run spec from the cloud
 * assembly names the stack and the state machine's logical id;
 * CloudFormation's `DescribeStackResource` gives its ARN.
 */
import { DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AwsCaller, CloudClients } from './clients';
import { CloudError, describeAwsError } from './errors';
import { LOCAL_MODE_CONTEXT_KEY as LOCAL_MODE_CONTEXT } from '../private/local-mode';
import type { RunSpec } from '../private/run-spec';

/** A pipeline of the cloud assembly, found in its deployed stack. */
export interface DeployedPipeline {
  /** Construct path, e.g. `IrisStack/Iris`. */
  readonly path: string;
  readonly spec: RunSpec;
  readonly stackName: string;
  readonly region: string;
  readonly stateMachineArn: string;
  /** The endpoint the pipeline deploys, when it has one. */
  readonly endpointName?: string;
}

/**
 * The region to use: `--region`, else the stack's (when the stack has a
 * concrete environment), else the default chain's (AWS_REGION, the profile).
 */
export async function resolveRegion(explicit: string | undefined, spec: RunSpec | undefined, profile: string | undefined): Promise<string> {
  if (explicit) return explicit;
  if (spec?.region) return spec.region;
  try {
    const region = await new SFNClient(profile ? { profile } : {}).config.region();
    if (region) return region;
  } catch {
    // no region in the environment or the profile: said below
  }
  throw new CloudError(`No AWS region: ${spec ? `the stack of ${spec.pipeline} is environment-agnostic and ` : ''}`
    + 'none is configured. Give --region REGION, or set AWS_REGION or the profile\'s region.');
}

/** The run spec must describe a pipeline that has cloud resources. */
export function requireCloudSpec(spec: RunSpec): NonNullable<RunSpec['cloud']> {
  if (spec.options.localMode) {
    throw new CloudError(`Pipeline ${spec.pipeline} was synthesized in local mode (localMode: true or the context value ${LOCAL_MODE_CONTEXT}): `
      + 'it has no state machine, jobs or endpoint in the cloud, so there is nothing to run there. '
      + `Run it with 'byoa local run ${spec.pipeline}', or synthesize and deploy it without local mode (cdk deploy).`);
  }
  if (!spec.cloud) {
    throw new CloudError(`The run spec of ${spec.pipeline} does not name its stack's resources: it was synthesized by an older version `
      + 'of cdk-sagemaker-byoa. Run \'cdk synth\' again with this version.');
  }
  return spec.cloud;
}

/** Looks the pipeline's state machine up in its stack. */
export async function findDeployedPipeline(spec: RunSpec, clients: CloudClients, caller: AwsCaller): Promise<DeployedPipeline> {
  const cloud = requireCloudSpec(spec);
  const where = `region ${clients.region}${spec.account ? ` (the app deploys it to account ${spec.account})` : ''}`;
  let detail;
  try {
    const request = { StackName: cloud.stackName, LogicalResourceId: cloud.stateMachineLogicalId };
    const res = await caller.call(() => clients.cloudformation.send(new DescribeStackResourceCommand(request)),
      `CloudFormation DescribeStackResource of stack ${cloud.stackName}`, ['ValidationError']);
    detail = res.StackResourceDetail;
  } catch (e) {
    const message = (e as Error).message ?? '';
    if ((e as Error).name === 'ValidationError' && /Stack .* does not exist/i.test(message)) {
      throw new CloudError(`Stack ${cloud.stackName} of pipeline ${spec.pipeline} is not deployed in ${where}: `
        + `CloudFormation says "${message}". Deploy it first (cdk deploy ${cloud.stackName}), or give the right --region / --profile.`);
    }
    if ((e as Error).name === 'ValidationError') {
      throw new CloudError(`Stack ${cloud.stackName} in ${where} has no state machine ${cloud.stateMachineLogicalId} of pipeline ${spec.pipeline} `
        + `(CloudFormation: "${message}"): the deployed stack is older than the cloud assembly. Deploy the app again (cdk deploy ${cloud.stackName}).`);
    }
    throw e instanceof CloudError ? e : new CloudError(describeAwsError(e, 'CloudFormation DescribeStackResource'));
  }
  const status = detail?.ResourceStatus ?? '';
  if (!detail?.PhysicalResourceId || /^(CREATE_IN_PROGRESS|CREATE_FAILED|DELETE_)/.test(status)) {
    throw new CloudError(`The state machine of pipeline ${spec.pipeline} in stack ${cloud.stackName} is not deployed (its resource status is ${status || 'unknown'}). `
      + `Deploy the stack (cdk deploy ${cloud.stackName}) and try again.`);
  }
  return {
    path: spec.pipeline,
    spec,
    stackName: cloud.stackName,
    region: clients.region,
    stateMachineArn: detail.PhysicalResourceId,
    endpointName: spec.endpointName,
  };
}
