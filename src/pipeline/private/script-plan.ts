import { Token } from 'aws-cdk-lib';
import { needsRepack, TENSORFLOW_SERVING_ENTRY_POINT } from '../../code/private/script-mode';
import { SourceCode } from '../../code/source-code';
import type { EndpointProps } from '../../hosting/endpoint-props';
import { endpointVariants, DEFAULT_HOSTING_INSTANCE_TYPE } from '../../hosting/endpoint-request';
import { AlgorithmImage } from '../../image/algorithm-image';
import { Framework } from '../../image/framework';
import { ImageUseCheck, processorOf } from '../../image/private/image-uri';
import { InstanceType } from '../../instance-type';
import { Problems } from '../../private/validation';
import type { TrainingProps } from '../../training/training-props';
import { DEFAULT_TRAINING_INSTANCE_TYPE } from '../../training/training-request';
import type { BatchTransformProps } from '../../transform/batch-transform-props';
import { DEFAULT_TRANSFORM_INSTANCE_TYPE } from '../../transform/transform-request';

/**
 * What a pipeline's images and code come to: which image the model uses,
 * which code it has, whether the model artifact is repacked, and on which
 * instance types each image runs. One place, read by the cloud backend and
 * the run spec alike.
 */
export interface ScriptPlan {
  /** The model's image (bound for inference). */
  readonly inferenceImage: AlgorithmImage;
  /** The model's code, if any. */
  readonly inferenceCode?: SourceCode;
  /** Whether the model artifact gets `code/` (a repack step runs before the model is created). */
  readonly repack: boolean;
  /** The framework whose contract the code follows. */
  readonly framework?: Framework;
  /** The training instance type. */
  readonly trainingInstanceType: InstanceType;
  /** The instance type the model's image is chosen for (the endpoint's, else the transform's). */
  readonly inferenceInstanceType: InstanceType;
  /** Every place the model runs, for validation. */
  readonly inferenceUses: ImageUseCheck[];
}

/**
 * The parts of a pipeline's props the plan reads (`ByoaPipelineProps` has
 * them all; named here so that this module does not import the pipeline,
 * which imports it).
 */
export interface ScriptPlanProps {
  readonly image: AlgorithmImage;
  readonly inferenceImage?: AlgorithmImage;
  readonly inferenceCode?: SourceCode;
  readonly training: TrainingProps;
  readonly batchTransform?: BatchTransformProps;
  readonly endpoint?: EndpointProps;
}

export function scriptPlan(props: ScriptPlanProps): ScriptPlan {
  const framework = props.image._framework;
  const inferenceImage = props.inferenceImage ?? props.image;
  const inferenceFramework = inferenceImage._framework ?? framework;
  // TensorFlow Serving serves a SavedModel as it is; it takes code only when given.
  const inferenceCode = props.inferenceCode ?? (inferenceFramework?._traits.tensorflow ? undefined : props.training.code);
  const inferenceUses: ImageUseCheck[] = [];
  if (props.endpoint) {
    if (props.endpoint.serverless) {
      // Serverless endpoints run on CPUs.
      inferenceUses.push({ use: 'inference', property: 'endpoint.serverless', instanceType: DEFAULT_HOSTING_INSTANCE_TYPE.toString() });
    } else {
      endpointVariants(props.endpoint).forEach((v, i) => inferenceUses.push({
        use: 'inference',
        property: props.endpoint!.variants ? `endpoint.variants[${i}].instanceType` : 'endpoint.instanceType',
        instanceType: (v.instanceType ?? DEFAULT_HOSTING_INSTANCE_TYPE).toString(),
      }));
    }
  }
  if (props.batchTransform) {
    inferenceUses.push({ use: 'inference', property: 'batchTransform.instanceType', instanceType: (props.batchTransform.instanceType ?? DEFAULT_TRANSFORM_INSTANCE_TYPE).toString() });
  }
  return {
    inferenceImage,
    inferenceCode,
    repack: inferenceCode !== undefined && needsRepack(inferenceFramework, props.training.enableNetworkIsolation ?? false),
    framework,
    trainingInstanceType: props.training.instanceType ?? DEFAULT_TRAINING_INSTANCE_TYPE,
    inferenceInstanceType: InstanceType.of(inferenceUses[0]?.instanceType ?? DEFAULT_HOSTING_INSTANCE_TYPE.toString()),
    inferenceUses,
  };
}

/** The image and code rules of a pipeline: regions, processors, instance counts, entry points. */
export function validateScriptPlan(problems: Problems, props: ScriptPlanProps, plan: ScriptPlan, region: string | undefined): void {
  props.image._validate(problems, region, [{
    use: 'training',
    property: 'training.instanceType',
    instanceType: plan.trainingInstanceType.toString(),
    instanceCount: props.training.instanceCount ?? 1,
  }]);
  const modelUses = plan.inferenceUses.length ? plan.inferenceUses : [{ use: 'inference' as const, property: 'model', instanceType: DEFAULT_HOSTING_INSTANCE_TYPE.toString() }];
  plan.inferenceImage._validate(problems, region, modelUses);

  // One model, one image: its uses must agree on the processor when the image has one per processor.
  if (plan.inferenceImage._processors('inference').length > 0) {
    const concrete = plan.inferenceUses.filter(u => !Token.isUnresolved(u.instanceType));
    const processors = new Set(concrete.map(u => processorOf(u.instanceType)));
    if (processors.size > 1) {
      problems.addMessage('model', `runs on ${concrete.map(u => `${u.property} ${u.instanceType} (${processorOf(u.instanceType)})`).join(', ')}, but the model has one image and this framework has one image per processor; allowed: instance types of one processor kind for the endpoint and the batch transform`);
    }
  }

  if (props.training.code && props.image._builtInAlgorithm) {
    problems.addMessage('training.code', 'built-in algorithm images run no user code; allowed: AlgorithmImage.fromFramework(...) (XGBoost script mode: Framework.XGBOOST), or an image of your own');
  }
  if (props.inferenceCode) {
    props.inferenceCode._validate(problems, 'inferenceCode');
    if (plan.inferenceImage._builtInAlgorithm) {
      problems.addMessage('inferenceCode', 'built-in algorithm images run no user code; allowed: a framework image as inferenceImage');
    }
  }
  const inferenceFramework = plan.inferenceImage._framework ?? plan.framework;
  if (props.inferenceCode && inferenceFramework?._traits.tensorflow && !Token.isUnresolved(props.inferenceCode.entryPoint)
    && props.inferenceCode.entryPoint !== TENSORFLOW_SERVING_ENTRY_POINT) {
    problems.add('inferenceCode.entryPoint', props.inferenceCode.entryPoint,
      `"${TENSORFLOW_SERVING_ENTRY_POINT}": TensorFlow Serving loads only code/${TENSORFLOW_SERVING_ENTRY_POINT} of the model`);
  }
}
