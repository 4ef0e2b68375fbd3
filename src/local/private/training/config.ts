/**
 * The files SageMaker writes to /opt/ml/input/config for a training job
 * (INTERNAL), exactly as in the container contract.
 */
import type { Channel, CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { LocalModeError } from '../../errors';

/** Group name SageMaker uses when ResourceConfig has no InstanceGroups. */
export const HOMOGENEOUS_GROUP = 'homogeneousCluster';

/** One container of the job. */
export interface TrainingHost {
  /** `algo-1` ... `algo-N`. */
  readonly name: string;
  readonly instanceType: string;
  readonly groupName: string;
}

/** The hosts of a job from its ResourceConfig (InstanceCount, or InstanceGroups in order). */
export function trainingHosts(request: CreateTrainingJobRequest): TrainingHost[] {
  const rc = request.ResourceConfig;
  const hosts: TrainingHost[] = [];
  if (rc?.InstanceGroups && rc.InstanceGroups.length > 0) {
    for (const g of rc.InstanceGroups) {
      for (let i = 0; i < (g.InstanceCount ?? 1); i++) {
        hosts.push({ name: `algo-${hosts.length + 1}`, instanceType: String(g.InstanceType), groupName: String(g.InstanceGroupName) });
      }
    }
  } else {
    const count = rc?.InstanceCount ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      throw new LocalModeError(`ResourceConfig.InstanceCount must be an integer >= 1, got ${count}.`);
    }
    for (let i = 1; i <= count; i++) {
      hosts.push({ name: `algo-${i}`, instanceType: String(rc?.InstanceType ?? 'ml.m5.large'), groupName: HOMOGENEOUS_GROUP });
    }
  }
  if (hosts.length === 0) { throw new LocalModeError('ResourceConfig describes no instance: the job needs at least one.'); }
  return hosts;
}

/** resourceconfig.json of `current` (hosts sorted, instance groups listed). */
export function resourceConfig(hosts: TrainingHost[], current: TrainingHost): object {
  const groups: { instance_group_name: string; instance_type: string; hosts: string[] }[] = [];
  for (const h of hosts) {
    let g = groups.find((x) => x.instance_group_name === h.groupName);
    if (!g) {
      g = { instance_group_name: h.groupName, instance_type: h.instanceType, hosts: [] };
      groups.push(g);
    }
    g.hosts.push(h.name);
  }
  return {
    current_host: current.name,
    hosts: hosts.map((h) => h.name).sort(),
    network_interface_name: 'eth0',
    current_instance_type: current.instanceType,
    current_group_name: current.groupName,
    instance_groups: groups.map((g) => ({ ...g, hosts: [...g.hosts].sort() })),
  };
}

/** The input mode of a channel: its own InputMode, else the job's, else File. */
export function channelInputMode(request: CreateTrainingJobRequest, channel: Channel): string {
  return String(channel.InputMode ?? request.AlgorithmSpecification?.TrainingInputMode ?? 'File');
}

/** inputdataconfig.json: one entry per channel; ContentType only when set. */
export function inputDataConfig(request: CreateTrainingJobRequest): object {
  const config: { [channel: string]: object } = {};
  for (const ch of request.InputDataConfig ?? []) {
    config[String(ch.ChannelName)] = {
      ...(ch.ContentType ? { ContentType: ch.ContentType } : {}),
      TrainingInputMode: channelInputMode(request, ch),
      S3DistributionType: ch.DataSource?.S3DataSource?.S3DataDistributionType ?? 'FullyReplicated',
      RecordWrapperType: ch.RecordWrapperType ?? 'None',
    };
  }
  return config;
}

/** hyperparameters.json: the request's map as given (values are already strings). */
export function hyperParameters(request: CreateTrainingJobRequest): object {
  return request.HyperParameters ?? {};
}
