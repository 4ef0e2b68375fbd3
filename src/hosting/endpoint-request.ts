import type { CreateEndpointConfigInput, CreateModelInput, ProductionVariant } from '@aws-sdk/client-sagemaker';
import { InstanceType } from '../instance-type';
import { EndpointProps, ProductionVariantProps } from './endpoint-props';
import { checkInstanceType } from '../private/instance-types';
import { DEFAULT_VARIANT_NAME, JOB_NAME_PATTERN, MAX_NAME_LENGTH } from '../private/sagemaker-limits';
import { checkSize, renderGibibytes, renderSeconds, seconds } from '../private/units';
import { ENV_KEY_PATTERN, isToken, Problems } from '../private/validation';

export const DEFAULT_HOSTING_INSTANCE_TYPE = InstanceType.ML_M5_LARGE;
const NAME_PATTERN_TEXT = '[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}';

/** Values that exist only once the model is bound. */
export interface ModelRequestContext {
  /** `ModelName`: set by the state machine or the local runner. @default - empty */
  readonly modelName?: string;
  readonly roleArn: string;
  readonly imageUri: string;
  /** `PrimaryContainer.ModelDataUrl`: empty when it is only known at run time. */
  readonly modelDataUrl?: string;
  readonly environment?: { [name: string]: string };
  readonly enableNetworkIsolation?: boolean;
  readonly subnetIds?: string[];
  readonly securityGroupIds?: string[];
}

/** Checks a model container's environment (`CreateModel` limits). */
export function validateModelEnvironment(problems: Problems, property: string, environment: { [name: string]: string } | undefined): void {
  // ContainerDefinition.Environment: keys [a-zA-Z_][a-zA-Z0-9_]*, each key and value <= 1024 bytes, 32 KB combined.
  problems.checkMap(property, environment, {
    maxEntries: 100, maxKeyLength: 1024, maxValueLength: 1024, keyPattern: ENV_KEY_PATTERN, maxTotalBytes: 32 * 1024,
  });
}

/** Renders the `CreateModel` request: the one function both backends read. */
export function renderModel(ctx: ModelRequestContext): CreateModelInput {
  return {
    ModelName: ctx.modelName ?? '',
    ExecutionRoleArn: ctx.roleArn,
    PrimaryContainer: {
      Image: ctx.imageUri,
      ModelDataUrl: ctx.modelDataUrl,
      Environment: ctx.environment && Object.keys(ctx.environment).length ? ctx.environment : undefined,
    },
    EnableNetworkIsolation: ctx.enableNetworkIsolation ?? false,
    VpcConfig: ctx.subnetIds && ctx.securityGroupIds
      ? { Subnets: ctx.subnetIds, SecurityGroupIds: ctx.securityGroupIds }
      : undefined,
  };
}

/** The variants an endpoint definition stands for. */
export function endpointVariants(props: EndpointProps): ProductionVariantProps[] {
  if (props.variants) return props.variants;
  return [{ instanceType: props.instanceType, initialInstanceCount: props.initialInstanceCount }];
}

/** Checks an endpoint definition against SageMaker's `CreateEndpointConfig` limits. */
export function validateEndpoint(problems: Problems, props: EndpointProps, prefix = 'endpoint'): void {
  problems.checkName(`${prefix}.endpointName`, props.endpointName, 1, MAX_NAME_LENGTH, JOB_NAME_PATTERN, NAME_PATTERN_TEXT);
  if (props.serverless) {
    const s = props.serverless;
    if (props.variants || props.instanceType || props.initialInstanceCount !== undefined) {
      problems.addMessage(`${prefix}.serverless`, 'cannot be combined with variants, instanceType or initialInstanceCount');
    }
    if (!isToken(s.memorySizeInMB) && (s.memorySizeInMB % 1024 !== 0 || s.memorySizeInMB < 1024 || s.memorySizeInMB > 6144)) {
      problems.add(`${prefix}.serverless.memorySizeInMB`, s.memorySizeInMB, '1024, 2048, 3072, 4096, 5120 or 6144');
    }
    problems.checkInt(`${prefix}.serverless.maxConcurrency`, s.maxConcurrency, 1, 200);
    return;
  }
  if (props.variants && (props.instanceType || props.initialInstanceCount !== undefined)) {
    problems.addMessage(`${prefix}.variants`, 'cannot be combined with instanceType or initialInstanceCount; set them on each variant');
  }
  const variants = endpointVariants(props);
  problems.checkCount(`${prefix}.variants`, variants.length, 1, 10, 'production variants');
  const names = new Set<string>();
  variants.forEach((v, i) => {
    const p = props.variants ? `${prefix}.variants[${i}]` : prefix;
    const name = variantName(v, i);
    problems.checkName(`${p}.variantName`, v.variantName, 1, MAX_NAME_LENGTH, JOB_NAME_PATTERN, NAME_PATTERN_TEXT);
    if (names.has(name)) {
      problems.addMessage(`${p}.variantName`, `${JSON.stringify(name)} is used by another variant; variant names must be unique`);
    }
    names.add(name);
    checkInstanceType(problems, `${p}.instanceType`, v.instanceType, 'hosting');
    problems.checkInt(`${p}.initialInstanceCount`, v.initialInstanceCount, 1);
    problems.checkNumber(`${p}.initialVariantWeight`, v.initialVariantWeight, 0);
    checkSize(problems, `${p}.volumeSize`, v.volumeSize, 512);
    problems.checkInt(`${p}.modelDataDownloadTimeout (seconds)`, seconds(v.modelDataDownloadTimeout), 60, 3600);
    problems.checkInt(`${p}.containerStartupHealthCheckTimeout (seconds)`, seconds(v.containerStartupHealthCheckTimeout), 60, 3600);
  });
}

/** Renders the `CreateEndpointConfig` request: the one function both backends read. */
export function renderEndpointConfig(
  props: EndpointProps,
  ctx: { configName?: string; modelName?: string; kmsKeyId?: string },
): CreateEndpointConfigInput {
  const variants: ProductionVariant[] = props.serverless
    ? [{
      VariantName: DEFAULT_VARIANT_NAME,
      ModelName: ctx.modelName ?? '',
      ServerlessConfig: { MemorySizeInMB: props.serverless.memorySizeInMB, MaxConcurrency: props.serverless.maxConcurrency },
    }]
    : endpointVariants(props).map((v, i) => ({
      VariantName: variantName(v, i),
      ModelName: ctx.modelName ?? '',
      InstanceType: (v.instanceType ?? DEFAULT_HOSTING_INSTANCE_TYPE).toString() as any,
      InitialInstanceCount: v.initialInstanceCount ?? 1,
      InitialVariantWeight: v.initialVariantWeight ?? 1,
      VolumeSizeInGB: renderGibibytes(v.volumeSize),
      ModelDataDownloadTimeoutInSeconds: renderSeconds(v.modelDataDownloadTimeout),
      ContainerStartupHealthCheckTimeoutInSeconds: renderSeconds(v.containerStartupHealthCheckTimeout),
    }));
  return {
    EndpointConfigName: ctx.configName ?? '',
    ProductionVariants: variants,
    KmsKeyId: ctx.kmsKeyId,
  };
}

export function variantName(v: ProductionVariantProps, index: number): string {
  return v.variantName ?? (index === 0 ? DEFAULT_VARIANT_NAME : `Variant${index + 1}`);
}
