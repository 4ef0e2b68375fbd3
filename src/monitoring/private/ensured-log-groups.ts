import * as path from 'path';
import { ArnFormat, CfnResource, CustomResource, CustomResourceProvider, CustomResourceProviderRuntime, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { basicExecutionRoleSuppression, suppressNag } from '../../private/nag';

/** The handler's code: `assets/` of the package, from `src/` (tests) and `lib/` alike. */
export const ENSURE_LOG_GROUPS_HANDLER_DIR = path.join(__dirname, '..', '..', '..', 'assets', 'sagemaker-log-groups');
const ID = 'SageMakerLogGroups';
const PROVIDER_ID = 'SageMakerLogGroupsProvider';

/**
 * The one custom resource of a stack that makes sure all of its SageMaker
 * log groups exist (see `SageMakerLogGroup`): its `LogGroupNames` lists
 * every group a `SageMakerLogGroup` of the stack stands for, and its Lambda
 * may call `logs:CreateLogGroup` on those groups only.
 *
 * One resource for all groups, rather than one per group: a pipeline with
 * an endpoint used to add a custom resource and an IAM policy for its
 * endpoint's group, and each of those is paid in every `cdk synth`
 * (aws-cdk-lib resolves and validates every resource) and in the stack's
 * resource count. Adding a group changes `LogGroupNames`, so CloudFormation
 * updates the resource, and the handler ensures every group again (an
 * existing one is left as it is) before the metric filters that depend on
 * it are created.
 */
export class EnsuredLogGroups extends Construct {
  /** The stack's instance, created on first use. */
  public static of(scope: Construct): EnsuredLogGroups {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(ID) as EnsuredLogGroups | undefined) ?? new EnsuredLogGroups(stack, ID);
  }

  /** What a metric filter on one of the groups depends on. */
  public readonly resource: CustomResource;
  private readonly names: string[] = [];
  private readonly arns: string[] = [];

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const provider = CustomResourceProvider.getOrCreateProvider(this, PROVIDER_ID, {
      codeDirectory: ENSURE_LOG_GROUPS_HANDLER_DIR,
      runtime: CustomResourceProviderRuntime.NODEJS_24_X,
      description: 'Creates the SageMaker log groups that metric filters of cdk-sagemaker-byoa read, when SageMaker has not yet',
      timeout: Duration.minutes(5),
    });
    provider.addToRolePolicy({
      Effect: 'Allow',
      Action: 'logs:CreateLogGroup',
      Resource: Lazy.list({ produce: () => this.arns }),
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SageMakerLogGroups',
      properties: { LogGroupNames: Lazy.list({ produce: () => this.names }) },
    });
    const role = provider.node.tryFindChild('Role') as CfnResource | undefined;
    if (role) {
      suppressNag(role, [
        basicExecutionRoleSuppression('log-group function of cdk-sagemaker-byoa'),
        {
          id: 'AwsSolutions-IAM5',
          reason: 'logs:CreateLogGroup is allowed on the SageMaker log groups of this stack only; the ":*" form of a group\'s ARN is how IAM names its streams.',
          appliesTo: ['/^Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:\\/aws\\/sagemaker\\/.*:\\*$/g'],
        },
      ]);
    }
  }

  /** Adds a group (its name may be a token) to those the resource ensures. */
  public add(logGroupName: string): void {
    this.names.push(logGroupName);
    const arn = Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.arns.push(arn, `${arn}:*`);
  }
}
