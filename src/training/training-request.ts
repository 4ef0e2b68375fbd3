import type { CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CODE_CHANNEL, ScriptTraining, scriptHyperparameters } from '../code/private/script-mode';
import { InstanceType } from '../instance-type';
import { CompressionType, InputMode, RecordWrapperType, S3DataDistribution, S3DataType } from './enums';
import { HyperparameterEncoding, renderHyperparameters, validateHyperparameters } from './hyperparameters';
import { TrainingProps } from './training-props';
import { checkInstanceType } from '../private/instance-types';
import { translatePythonRegex } from '../private/python-regex';
import { DEFAULT_MAX_RUNTIME_SECONDS } from '../private/sagemaker-limits';
import { smEnvironment, validateSmEnvironment } from '../private/sm-environment';
import { checkSize, renderSeconds, seconds } from '../private/units';
import { ENV_KEY_PATTERN, isToken, Problems } from '../private/validation';

export const DEFAULT_TRAINING_INSTANCE_TYPE = InstanceType.ML_M5_LARGE;
const CHANNEL_NAME = /^[A-Za-z0-9.\-_]+$/;
const MAX_RUNTIME_SECONDS = 2_419_200;

/** Values that exist only once the job's resources are bound. */
export interface TrainingRequestContext {
  /** `TrainingJobName` (a placeholder that the state machine or the local runner replaces). */
  readonly jobName: string;
  readonly roleArn: string;
  readonly imageUri: string;
  /** One URI per channel, in the order of `props.channels`. */
  readonly channelUris: string[];
  readonly outputPath: string;
  readonly outputKmsKeyId?: string;
  readonly volumeKmsKeyId?: string;
  readonly checkpointUri?: string;
  readonly subnetIds?: string[];
  readonly securityGroupIds?: string[];
  /** Script mode: the code and what the SDK's hyperparameters say. */
  readonly script?: ScriptTraining;
}

/** Script mode JSON-encodes every hyperparameter, as the SDK does. */
export function hyperparameterEncoding(props: TrainingProps): HyperparameterEncoding {
  return props.code ? 'json' : 'plain';
}

/** Checks a training definition against SageMaker's `CreateTrainingJob` limits. */
export function validateTraining(problems: Problems, props: TrainingProps, prefix = 'training'): void {
  problems.checkCount(`${prefix}.channels`, props.channels.length, 1, 20, 'channels');
  const seen = new Set<string>();
  props.channels.forEach((channel, i) => {
    const p = `${prefix}.channels[${i}]`;
    problems.checkName(`${p}.channelName`, channel.channelName, 1, 64, CHANNEL_NAME, '[A-Za-z0-9\\.\\-_]+');
    if (!isToken(channel.channelName)) {
      if (seen.has(channel.channelName)) {
        problems.addMessage(`${p}.channelName`, `${JSON.stringify(channel.channelName)} is used by another channel; channel names must be unique`);
      }
      seen.add(channel.channelName);
    }
    problems.checkKeyPrefix(`${p}.input keyPrefix`, channel.input?._source.keyPrefix);
    problems.checkOneOf(`${p}.inputMode`, channel.inputMode, Object.values(InputMode));
    problems.checkOneOf(`${p}.compressionType`, channel.compressionType, Object.values(CompressionType));
    problems.checkOneOf(`${p}.s3DataDistributionType`, channel.s3DataDistributionType, Object.values(S3DataDistribution));
    problems.checkOneOf(`${p}.recordWrapperType`, channel.recordWrapperType, Object.values(RecordWrapperType));
    problems.checkOneOf(`${p}.s3DataType`, channel.s3DataType, Object.values(S3DataType));
    problems.checkLength(`${p}.contentType`, channel.contentType, 0, 256);
  });
  problems.checkOneOf(`${prefix}.inputMode`, props.inputMode, Object.values(InputMode));

  validateHyperparameters(problems, `${prefix}.hyperparameters`, props.hyperparameters, hyperparameterEncoding(props));
  if (props.code) validateScriptTraining(problems, prefix, props);
  validateMetricDefinitions(problems, `${prefix}.metricDefinitions`, props.metricDefinitions ?? []);

  checkInstanceType(problems, `${prefix}.instanceType`, props.instanceType, 'training');
  problems.checkInt(`${prefix}.instanceCount`, props.instanceCount, 1);
  checkSize(problems, `${prefix}.volumeSize`, props.volumeSize);
  const maxRuntime = seconds(props.maxRuntime);
  problems.checkInt(`${prefix}.maxRuntime (seconds)`, maxRuntime, 1, MAX_RUNTIME_SECONDS);
  const maxWait = seconds(props.maxWait);
  if (props.maxWait && !props.useSpotInstances) {
    problems.addMessage(`${prefix}.maxWait`, 'is only allowed with useSpotInstances: true');
  }
  if (props.useSpotInstances && maxWait !== undefined && !isToken(maxWait) && maxWait < (maxRuntime ?? DEFAULT_MAX_RUNTIME_SECONDS)) {
    problems.add(`${prefix}.maxWait (seconds)`, maxWait, `at least maxRuntime (${maxRuntime ?? DEFAULT_MAX_RUNTIME_SECONDS} seconds)`);
  }

  problems.checkMap(`${prefix}.environment`, props.environment, { maxEntries: 100, maxKeyLength: 512, maxValueLength: 512, keyPattern: ENV_KEY_PATTERN });
  checkStringList(problems, `${prefix}.containerEntrypoint`, props.containerEntrypoint);
  checkStringList(problems, `${prefix}.containerArguments`, props.containerArguments);

  if ((props.vpcSubnets || props.securityGroups) && !props.vpc) {
    problems.addMessage(`${prefix}.vpc`, 'is required when vpcSubnets or securityGroups are given');
  }
  if (props.securityGroups) {
    problems.checkCount(`${prefix}.securityGroups`, props.securityGroups.length, 1, 5, 'security groups');
  }
  if (props.vpc) {
    const subnetIds = props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    if (!isToken(subnetIds)) {
      problems.checkCount(`${prefix}.vpcSubnets`, subnetIds.length, 1, 16, 'subnets');
    }
  }
  problems.checkKeyPrefix(`${prefix}.checkpoint.keyPrefix`, props.checkpoint?.keyPrefix);

  if (props.smEnvironment) {
    const hps = renderHyperparameters(props.hyperparameters, hyperparameterEncoding(props));
    const env = smEnvironment(props.channels.map(c => c.channelName), hps, props.instanceCount ?? 1);
    validateSmEnvironment(problems, `${prefix}.smEnvironment`, env, props.environment ?? {});
    problems.checkMap(`${prefix}.environment (with smEnvironment)`, { ...props.environment, ...env }, { maxEntries: 100, maxKeyLength: 512, maxValueLength: 512 });
  }
}

const MAX_HYPERPARAMETERS = 100;
/** The five `sagemaker_*` hyperparameters and TensorFlow's `model_dir`. */
const SCRIPT_HYPERPARAMETERS = 6;

/** Script mode: the code, the names the SDK reserves, and room for the `code` channel. */
function validateScriptTraining(problems: Problems, prefix: string, props: TrainingProps): void {
  props.code!._validate(problems, `${prefix}.code`);
  const reserved = Object.keys(props.hyperparameters ?? {}).filter(k => k.startsWith('sagemaker_') || k === 'model_dir');
  for (const name of reserved) {
    problems.addMessage(`${prefix}.hyperparameters.${name}`, 'is set by the library in script mode (training.code); allowed: names that do not start with "sagemaker_" and are not "model_dir"');
  }
  const userCount = Object.keys(props.hyperparameters ?? {}).length;
  if (userCount > MAX_HYPERPARAMETERS - SCRIPT_HYPERPARAMETERS) {
    problems.addMessage(`${prefix}.hyperparameters`, `has ${userCount} entries; allowed: at most ${MAX_HYPERPARAMETERS - SCRIPT_HYPERPARAMETERS} in script mode (the library adds up to ${SCRIPT_HYPERPARAMETERS} of the ${MAX_HYPERPARAMETERS} SageMaker allows)`);
  }
  if (props.enableNetworkIsolation) {
    if (props.channels.some(c => c.channelName === CODE_CHANNEL)) {
      problems.addMessage(`${prefix}.channels`, `a channel named "${CODE_CHANNEL}" carries the code in script mode with enableNetworkIsolation; allowed: other channel names`);
    }
    if (props.channels.length > 19) {
      problems.addMessage(`${prefix}.channels`, `has ${props.channels.length} channels; allowed: 1 to 19 in script mode with enableNetworkIsolation (the "${CODE_CHANNEL}" channel is the 20th)`);
    }
  }
}

/** Metric definitions: at most 40, names 1-255, regexes 1-500 that compile with exactly one capture group. */
export function validateMetricDefinitions(problems: Problems, property: string, definitions: { name: string; regex: string }[]): void {
  problems.checkCount(property, definitions.length, 0, 40, 'metric definitions');
  const names = new Set<string>();
  definitions.forEach((definition, i) => {
    const p = `${property}[${i}]`;
    problems.checkLength(`${p}.name`, definition.name, 1, 255);
    if (!isToken(definition.name)) {
      if (names.has(definition.name)) {
        problems.addMessage(`${p}.name`, `${JSON.stringify(definition.name)} is defined twice; metric names must be unique`);
      }
      names.add(definition.name);
    }
    problems.checkLength(`${p}.regex`, definition.regex, 1, 500);
    if (isToken(definition.regex) || definition.regex.length === 0) return;
    const groups = captureGroups(definition.regex);
    if (typeof groups === 'string') {
      problems.add(`${p}.regex`, definition.regex, `a regular expression that compiles (Python syntax such as (?P<name>...) is accepted, as SageMaker does; here: ${groups})`);
    } else if (groups !== 1) {
      problems.add(`${p}.regex`, definition.regex, `a regular expression with exactly one capture group (found ${groups}); use (?:...) for other groups`);
    }
  });
}

/**
 * The number of capture groups of a SageMaker metric regex (Python syntax
 * translated first: see `src/private/python-regex.ts`), or why it does not
 * compile.
 */
export function captureGroups(regex: string): number | string {
  try {
    const { source, flags } = translatePythonRegex(regex);
    return new RegExp(`${source}|`, flags).exec('')!.length - 1;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Renders the `CreateTrainingJob` request: the one function both backends read. */
export function renderTrainingJob(props: TrainingProps, ctx: TrainingRequestContext): CreateTrainingJobRequest {
  const userHyperparameters = renderHyperparameters(props.hyperparameters, hyperparameterEncoding(props));
  // The SDK's own hyperparameters reach neither the script's arguments nor SM_HP_*.
  const hyperparameters = { ...userHyperparameters, ...(ctx.script ? scriptHyperparameters(ctx.script) : {}) };
  const instanceCount = props.instanceCount ?? 1;
  const environment = {
    ...props.environment,
    ...(props.smEnvironment ? smEnvironment(props.channels.map(c => c.channelName), userHyperparameters, instanceCount) : {}),
  };
  const maxRuntime = renderSeconds(props.maxRuntime) ?? DEFAULT_MAX_RUNTIME_SECONDS;
  return {
    TrainingJobName: ctx.jobName,
    RoleArn: ctx.roleArn,
    AlgorithmSpecification: {
      TrainingImage: ctx.imageUri,
      TrainingInputMode: props.inputMode ?? InputMode.FILE,
      MetricDefinitions: props.metricDefinitions?.length
        ? props.metricDefinitions.map(m => ({ Name: m.name, Regex: m.regex }))
        : undefined,
      ContainerEntrypoint: props.containerEntrypoint,
      ContainerArguments: props.containerArguments,
    },
    HyperParameters: Object.keys(hyperparameters).length ? hyperparameters : undefined,
    InputDataConfig: props.channels.map((channel, i) => ({
      ChannelName: channel.channelName,
      DataSource: {
        S3DataSource: {
          S3DataType: channel.s3DataType ?? S3DataType.S3_PREFIX,
          S3Uri: ctx.channelUris[i],
          S3DataDistributionType: channel.s3DataDistributionType ?? S3DataDistribution.FULLY_REPLICATED,
        },
      },
      ContentType: channel.contentType,
      CompressionType: channel.compressionType ?? CompressionType.NONE,
      RecordWrapperType: channel.recordWrapperType ?? RecordWrapperType.NONE,
      InputMode: channel.inputMode,
    })).concat(ctx.script?.codeChannelUri !== undefined ? [{
      ChannelName: CODE_CHANNEL,
      DataSource: {
        S3DataSource: {
          S3DataType: S3DataType.S3_PREFIX,
          S3Uri: ctx.script.codeChannelUri,
          S3DataDistributionType: S3DataDistribution.FULLY_REPLICATED,
        },
      },
      ContentType: undefined,
      CompressionType: CompressionType.NONE,
      RecordWrapperType: RecordWrapperType.NONE,
      InputMode: InputMode.FILE,
    }] : []),
    OutputDataConfig: {
      S3OutputPath: ctx.outputPath,
      KmsKeyId: ctx.outputKmsKeyId,
    },
    ResourceConfig: {
      InstanceType: (props.instanceType ?? DEFAULT_TRAINING_INSTANCE_TYPE).toString() as any,
      InstanceCount: instanceCount,
      VolumeSizeInGB: (props.volumeSize ?? Size.gibibytes(30)).toGibibytes(),
      VolumeKmsKeyId: ctx.volumeKmsKeyId,
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: maxRuntime,
      MaxWaitTimeInSeconds: props.useSpotInstances ? (renderSeconds(props.maxWait) ?? maxRuntime) : undefined,
    },
    Environment: Object.keys(environment).length ? environment : undefined,
    EnableNetworkIsolation: props.enableNetworkIsolation ?? false,
    EnableInterContainerTrafficEncryption: props.enableInterContainerTrafficEncryption ?? false,
    EnableManagedSpotTraining: props.useSpotInstances ?? false,
    CheckpointConfig: ctx.checkpointUri
      ? { S3Uri: ctx.checkpointUri, LocalPath: props.checkpoint?.localPath ?? '/opt/ml/checkpoints' }
      : undefined,
    VpcConfig: ctx.subnetIds && ctx.securityGroupIds
      ? { Subnets: ctx.subnetIds, SecurityGroupIds: ctx.securityGroupIds }
      : undefined,
  };
}

function checkStringList(problems: Problems, property: string, list: string[] | undefined): void {
  if (list === undefined) return;
  problems.checkCount(property, list.length, 1, 100, 'strings');
  list.forEach((item, i) => problems.checkLength(`${property}[${i}]`, item, 1, 256));
}
