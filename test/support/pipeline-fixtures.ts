import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AlgorithmImage, ByoaPipelineProps, TrainingInput, TrainingProps } from '../../src';

/** The account and region of the fixture stacks. */
export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' };

/** Name of the imported ECR repository of the algorithm image. */
export const REPOSITORY_NAME = 'byoa-algorithm';

/** Name of the imported bucket that holds the training data. */
export const DATA_BUCKET_NAME = 'byoa-training-data';

/** Key prefix of the training data in {@link DATA_BUCKET_NAME}. */
export const DATA_KEY_PREFIX = 'datasets/iris/';

/** The iris example's training data directory (an asset input). */
export const IRIS_TRAINING_DATA = path.join(__dirname, '..', '..', 'examples', 'iris', 'data', 'training');

/** The iris example's batch data directory (an asset input). */
export const IRIS_BATCH_DATA = path.join(__dirname, '..', '..', 'examples', 'iris', 'data', 'batch');

/** A new app and a stack with a concrete environment. */
export function newStack(id = 'TestStack', context?: { [key: string]: any }): { app: App; stack: Stack } {
  const app = new App({ context });
  const stack = new Stack(app, id, { env: TEST_ENV });
  return { app, stack };
}

/** The algorithm image from an imported ECR repository (no Docker build). */
export function repositoryImage(scope: Construct, id = 'Repository'): AlgorithmImage {
  return AlgorithmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(scope, id, REPOSITORY_NAME), 'v1');
}

/** An imported data bucket. */
export function dataBucket(scope: Construct, id = 'DataBucket'): s3.IBucket {
  return s3.Bucket.fromBucketName(scope, id, DATA_BUCKET_NAME);
}

/** Overrides of {@link minimalPipelineProps}: `training` is merged into the default training props. */
export interface PipelinePropsOverrides extends Omit<Partial<ByoaPipelineProps>, 'training'> {
  readonly training?: Partial<TrainingProps>;
}

/**
 * The smallest valid `ByoaPipelineProps`: an image from an imported ECR
 * repository and one `training` channel read from an imported bucket.
 * Imported constructs are created once per scope (ids `Repository` and
 * `DataBucket`), so call it at most once per scope unless both are overridden.
 */
export function minimalPipelineProps(scope: Construct, overrides: PipelinePropsOverrides = {}): ByoaPipelineProps {
  const { training, ...rest } = overrides;
  const image = rest.image ?? repositoryImage(scope);
  const channels = training?.channels ?? [{ channelName: 'training', input: TrainingInput.fromBucket(dataBucket(scope), DATA_KEY_PREFIX) }];
  return {
    ...rest,
    image,
    training: { ...training, channels },
  };
}

// ---- reading synthesized templates ----
/**
 * Turns a CloudFormation value into a string, naively: `Fn::Join` joins its
 * parts, `Ref` and `Fn::GetAtt` become `${Ref:Id}` / `${GetAtt:Id.Attr}`
 * placeholders, anything else becomes `${?}`.
 */
export function flatten(value: any): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && Array.isArray(value['Fn::Join'])) {
    const [separator, parts] = value['Fn::Join'];
    return (parts as any[]).map(flatten).join(separator);
  }
  if (value && value.Ref !== undefined) return `\${Ref:${value.Ref}}`;
  if (value && Array.isArray(value['Fn::GetAtt'])) return `\${GetAtt:${value['Fn::GetAtt'].join('.')}}`;
  return '${?}';
}

/** Replaces every intrinsic inside a resolved value by its {@link flatten}ed string. */
export function flattenIntrinsics(value: any): any {
  if (Array.isArray(value)) return value.map(flattenIntrinsics);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return flatten(value);
    return Object.fromEntries(keys.map(k => [k, flattenIntrinsics(value[k])]));
  }
  return value;
}

/** The resolved value, with intrinsics flattened and undefined fields dropped. */
export function resolved(stack: Stack, value: any): any {
  return JSON.parse(JSON.stringify(flattenIntrinsics(stack.resolve(value))));
}

/**
 * A state machine's definition as one string, from its resource's
 * properties: the `Fn::Join` of its `DefinitionString`, or its literal
 * `DefinitionString` with each `${key}` of its `DefinitionSubstitutions`
 * replaced (what CloudFormation does); `render` gives an intrinsic's text.
 */
export function definitionText(properties: any, render: (intrinsic: any) => string): string {
  const definition = properties.DefinitionString;
  if (typeof definition !== 'string') {
    const [separator, parts] = definition['Fn::Join'];
    return (parts as any[]).map(p => (typeof p === 'string' ? p : render(p))).join(separator);
  }
  const substitutions = properties.DefinitionSubstitutions ?? {};
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (placeholder: string, key: string) => {
    if (!(key in substitutions)) throw new Error(`${placeholder} in the definition has no DefinitionSubstitutions entry`);
    return render(substitutions[key]);
  });
}

/** The parsed Amazon States Language definitions of the template's state machines, by logical id. */
export function stateMachineDefinitions(template: Template): { [logicalId: string]: any } {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  return Object.fromEntries(Object.entries(machines).map(([id, r]) => [id, JSON.parse(definitionText(r.Properties, flatten))]));
}

/** The parsed definition of the template's only state machine. */
export function stateMachineDefinition(template: Template): any {
  const definitions = Object.values(stateMachineDefinitions(template));
  if (definitions.length !== 1) {
    throw new Error(`expected one state machine, found ${definitions.length}`);
  }
  return definitions[0];
}

/** The state names from `StartAt`, following `Next` (and a Choice's first choice). */
export function mainPath(definition: any): string[] {
  const names: string[] = [];
  let name: string | undefined = definition.StartAt;
  while (name !== undefined && !names.includes(name)) {
    names.push(name);
    const state = definition.States[name];
    name = state.Type === 'Choice' ? state.Choices[0].Next : state.Next;
  }
  return names;
}

/** The statements of the IAM policies attached to a role (by the role's logical id). */
export function statementsOfRole(template: Template, roleLogicalId: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleLogicalId }] },
  });
  return Object.values(policies).flatMap(p => p.Properties.PolicyDocument.Statement);
}

/** A statement's actions, as a sorted list. */
export function actionsOf(statement: any): string[] {
  return ([] as string[]).concat(statement.Action).sort();
}

/** A statement's resources, flattened to strings. */
export function resourcesOf(statement: any): string[] {
  return ([] as any[]).concat(statement.Resource).map(flatten);
}
