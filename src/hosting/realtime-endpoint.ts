import { ArnFormat, Duration, IResource, Resource } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { EndpointProps } from './endpoint-props';
import { endpointVariants, renderEndpointConfig, renderModel, validateEndpoint, validateModelEnvironment, variantName } from './endpoint-request';
import { ModelData } from './model-data';
import { AlgorithmImage } from '../image/algorithm-image';
import { sagemakerArn } from '../private/arns';
import { grantSageMakerLogsAndMetrics } from '../private/grants';
import { DEFAULT_VARIANT_NAME } from '../private/sagemaker-limits';
import { Problems } from '../private/validation';

/** A SageMaker real-time endpoint. */
export interface IRealtimeEndpoint extends IResource {
  /** The endpoint's name. @attribute */
  readonly endpointName: string;
  /** The endpoint's ARN. @attribute */
  readonly endpointArn: string;
  /** Lets `grantee` invoke the endpoint (`sagemaker:InvokeEndpoint`). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}

/** Props of a {@link RealtimeEndpoint}. */
export interface RealtimeEndpointProps extends EndpointProps {
  /** The algorithm image that serves the model (`serve`). */
  readonly image: AlgorithmImage;
  /** The trained model artifact. */
  readonly modelData: ModelData;
  /**
   * Environment of the model's container (at most 100 entries).
   * @default - none
   */
  readonly environment?: { [name: string]: string };
  /**
   * Runs the container without network access.
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;
  /**
   * The model's execution role.
   * @default - a role that may pull the image and read the model artifact only
   */
  readonly role?: iam.IRole;
}

/** Instance-count autoscaling of a variant on invocations per instance. */
export interface EndpointAutoScalingProps {
  /** Fewest instances (at least 1). */
  readonly minCapacity: number;
  /** Most instances. */
  readonly maxCapacity: number;
  /** Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance per minute). */
  readonly targetInvocationsPerInstance: number;
  /**
   * The variant to scale.
   * @default - the first variant
   */
  readonly variantName?: string;
  /**
   * Wait after a scale-in.
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * Wait after a scale-out.
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;
}

abstract class RealtimeEndpointBase extends Resource implements IRealtimeEndpoint {
  public abstract readonly endpointName: string;
  public abstract readonly endpointArn: string;

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn] });
  }
}

/**
 * Hosts an existing model artifact on a SageMaker real-time endpoint at
 * deploy time (`AWS::SageMaker::Model`, `EndpointConfig` and `Endpoint`),
 * with the same validation and request rendering as `ByoaPipeline`'s
 * endpoint step.
 */
export class RealtimeEndpoint extends RealtimeEndpointBase {
  /** Imports an endpoint by name. */
  public static fromEndpointName(scope: Construct, id: string, endpointName: string): IRealtimeEndpoint {
    class Import extends RealtimeEndpointBase {
      public readonly endpointName = endpointName;
      public readonly endpointArn = sagemakerArn(scope, 'endpoint', endpointName);
    }
    return new Import(scope, id);
  }

  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** The model's execution role. */
  public readonly role: iam.IRole;
  /** The names of the production variants. */
  public readonly variantNames: string[];
  private readonly endpoint: sagemaker.CfnEndpoint;
  private readonly serverless: boolean;

  constructor(scope: Construct, id: string, props: RealtimeEndpointProps) {
    super(scope, id, { physicalName: props.endpointName });
    const problems = new Problems();
    validateEndpoint(problems, props, 'props');
    validateModelEnvironment(problems, 'environment', props.environment);
    problems.throwIfAny(this);

    this.role = props.role ?? new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker model role of ${this.node.path}`,
    });
    const imageUri = props.image.bind(this, this.role).imageUri;
    const modelDataUrl = props.modelData.bind(this, this.role).uri;
    grantSageMakerLogsAndMetrics(this.role);

    const modelRequest = renderModel({
      modelName: '',
      roleArn: this.role.roleArn,
      imageUri,
      modelDataUrl,
      environment: props.environment,
      enableNetworkIsolation: props.enableNetworkIsolation,
    });
    const model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: modelRequest.ExecutionRoleArn!,
      primaryContainer: {
        image: modelRequest.PrimaryContainer!.Image,
        modelDataUrl: modelRequest.PrimaryContainer!.ModelDataUrl,
        environment: modelRequest.PrimaryContainer!.Environment,
      },
      enableNetworkIsolation: modelRequest.EnableNetworkIsolation,
    });
    // The model must not be created before its role can read the artifact.
    model.node.addDependency(this.role);

    const config = renderEndpointConfig(props, { configName: '', modelName: model.attrModelName, kmsKeyId: props.encryptionKey?.keyArn });
    const endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      kmsKeyId: config.KmsKeyId,
      productionVariants: config.ProductionVariants!.map(v => ({
        variantName: v.VariantName!,
        modelName: v.ModelName,
        instanceType: v.InstanceType,
        initialInstanceCount: v.InitialInstanceCount,
        initialVariantWeight: v.InitialVariantWeight,
        volumeSizeInGb: v.VolumeSizeInGB,
        modelDataDownloadTimeoutInSeconds: v.ModelDataDownloadTimeoutInSeconds,
        containerStartupHealthCheckTimeoutInSeconds: v.ContainerStartupHealthCheckTimeoutInSeconds,
        serverlessConfig: v.ServerlessConfig
          ? { memorySizeInMb: v.ServerlessConfig.MemorySizeInMB!, maxConcurrency: v.ServerlessConfig.MaxConcurrency! }
          : undefined,
      })),
    });
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.physicalName,
      endpointConfigName: endpointConfig.attrEndpointConfigName,
    });
    this.endpointName = this.getResourceNameAttribute(this.endpoint.attrEndpointName);
    this.endpointArn = this.getResourceArnAttribute(this.endpoint.ref, {
      service: 'sagemaker', resource: 'endpoint', resourceName: this.physicalName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.serverless = props.serverless !== undefined;
    this.variantNames = props.serverless ? [DEFAULT_VARIANT_NAME] : endpointVariants(props).map(variantName);
  }

  /**
   * Scales a variant's instance count to keep invocations per instance near a
   * target (target tracking on `SageMakerVariantInvocationsPerInstance`).
   */
  public addAutoScaling(props: EndpointAutoScalingProps): appscaling.ScalableTarget {
    const variant = props.variantName ?? this.variantNames[0];
    const problems = new Problems();
    if (this.serverless) {
      problems.addMessage('autoScaling', 'a serverless endpoint scales by itself (maxConcurrency); instance-count autoscaling needs instance-backed variants');
    }
    if (!this.variantNames.includes(variant)) {
      problems.add('autoScaling.variantName', variant, `one of this endpoint's variants: ${this.variantNames.join(', ')}`);
    }
    problems.checkInt('autoScaling.minCapacity', props.minCapacity, 1);
    problems.checkInt('autoScaling.maxCapacity', props.maxCapacity, Math.max(1, props.minCapacity));
    problems.checkNumber('autoScaling.targetInvocationsPerInstance', props.targetInvocationsPerInstance, 1);
    problems.throwIfAny(this);
    const target = new appscaling.ScalableTarget(this, `AutoScaling${variant}`, {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${this.endpoint.attrEndpointName}/variant/${variant}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
    });
    target.node.addDependency(this.endpoint);
    target.scaleToTrackMetric('InvocationsPerInstance', {
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      targetValue: props.targetInvocationsPerInstance,
      scaleInCooldown: props.scaleInCooldown ?? Duration.minutes(5),
      scaleOutCooldown: props.scaleOutCooldown ?? Duration.minutes(1),
    });
    return target;
  }
}
