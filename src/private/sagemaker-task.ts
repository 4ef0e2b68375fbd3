import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface SageMakerTaskProps {
  /** The Step Functions integration, for example `sagemaker:createTrainingJob.sync` or `aws-sdk:sagemaker:describeEndpoint`. */
  readonly integration: string;
  /** The API request (keys ending in `.$` are paths). */
  readonly parameters: { [key: string]: any };
  readonly resultPath?: string;
  readonly resultSelector?: { [key: string]: any };
  readonly comment?: string;
  /** What the state machine's role needs to run this state. */
  readonly policies: iam.PolicyStatement[];
}

/**
 * A Task state that calls SageMaker with a request rendered by this library.
 *
 * aws-cdk's `stepfunctions-tasks` SageMaker tasks each render their own
 * request from their own props; here the request comes from the same render
 * functions local mode reads, so this state only wraps it. Its IAM statements
 * are registered with whatever state machine the state ends up in, so the
 * steps also work in state machines users build themselves.
 */
export class SageMakerTask extends sfn.CustomState {
  private readonly policies: iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: SageMakerTaskProps) {
    super(scope, id, {
      stateJson: {
        Type: 'Task',
        Comment: props.comment,
        Resource: `arn:${Aws.PARTITION}:states:::${props.integration}`,
        Parameters: props.parameters,
        ResultSelector: props.resultSelector,
        ResultPath: props.resultPath,
      },
    });
    this.policies = props.policies;
  }

  public bindToGraph(graph: sfn.StateGraph): void {
    super.bindToGraph(graph);
    for (const statement of this.policies) {
      graph.registerPolicyStatement(statement);
    }
  }
}

/**
 * Replaces fields of a rendered request by Step Functions paths: each key of
 * `paths` is a dotted field path (`PrimaryContainer.ModelDataUrl`); the field
 * is removed and `<field>.$` is set to the path. Fields whose value is
 * undefined are dropped.
 */
export function withPaths(request: object, paths: { [field: string]: string }): { [key: string]: any } {
  const copy = JSON.parse(JSON.stringify(request)) as { [key: string]: any };
  for (const [field, jsonPath] of Object.entries(paths)) {
    const parts = field.split('.');
    let target = copy;
    for (const part of parts.slice(0, -1)) {
      target[part] = target[part] ?? {};
      target = target[part];
    }
    const last = parts[parts.length - 1];
    delete target[last];
    target[`${last}.$`] = jsonPath;
  }
  return copy;
}
