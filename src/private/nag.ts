import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/** One cdk-nag rule suppression, with the reason a security review reads. */
export interface NagSuppression {
  /** Rule id, for example `AwsSolutions-IAM5`. */
  readonly id: string;
  /** Why the finding is acceptable (cdk-nag requires at least 10 characters). */
  readonly reason: string;
  /** Only these findings of the rule (`Resource::*`, or a `/regex/g`). */
  readonly appliesTo?: string[];
}

/** The IAM resources that hold a policy or attach one. */
const IAM_IDENTITIES = ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'];

/**
 * The CloudFormation resource types each rule this library suppresses
 * inspects (cdk-nag reports it on no other type). A rule not listed here is
 * recorded on every resource.
 */
const RULE_RESOURCE_TYPES: Record<string, readonly string[]> = {
  'AwsSolutions-IAM4': IAM_IDENTITIES,
  'AwsSolutions-IAM5': [...IAM_IDENTITIES, 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'],
  'AwsSolutions-L1': ['AWS::Lambda::Function'],
};

/**
 * Whether cdk-nag's rule `id` can report on `resource`. IAM5 reads a role's,
 * user's or group's inline policies only (their other grants are separate
 * `AWS::IAM::Policy` resources), so an identity without any gives it nothing
 * to report.
 */
function inspects(id: string, resource: CfnResource): boolean {
  const types = RULE_RESOURCE_TYPES[id];
  if (!types) return true;
  if (!types.includes(resource.cfnResourceType)) return false;
  if (id === 'AwsSolutions-IAM5' && (resource instanceof iam.CfnRole || resource instanceof iam.CfnUser || resource instanceof iam.CfnGroup)) {
    return resource.policies !== undefined;
  }
  // An identity written as a plain CfnResource (aws-cdk-lib's custom resource
  // providers write their role so) may hold inline policies.
  return true;
}

/**
 * Records cdk-nag suppressions on the CloudFormation resources under `scope`
 * that their rules inspect, as the `cdk_nag` metadata cdk-nag reads. This
 * library depends on cdk-nag only in its tests: the metadata is plain
 * CloudFormation metadata, and it only ever covers the findings the library
 * knows it causes, each with its reason, so a user's own additions are still
 * reported. A suppression is not copied onto resources its rule never looks
 * at: the reasons are long, and a pipeline has dozens of resources, so that
 * would multiply the template's size (and `cdk synth` time) for nothing.
 * Whether a role has inline policies is known when they are recorded:
 * aws-cdk-lib's `Role` takes them only as a constructor prop, and any added
 * later are the user's own, which cdk-nag should report.
 */
export function suppressNag(scope: IConstruct, suppressions: NagSuppression[]): void {
  for (const construct of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(construct)) continue;
    const applicable = suppressions.filter(s => inspects(s.id, construct));
    if (applicable.length === 0) continue;
    const existing = (construct.getMetadata('cdk_nag') as { rules_to_suppress?: unknown[] } | undefined)?.rules_to_suppress ?? [];
    construct.addMetadata('cdk_nag', {
      rules_to_suppress: [
        ...existing,
        ...applicable.map(s => ({
          id: s.id,
          reason: s.reason,
          applies_to: s.appliesTo?.map(a => (a.startsWith('/') ? { regex: a } : a)),
        })),
      ],
    });
  }
}

const doneSingletons = new WeakSet<IConstruct>();

/**
 * The `AwsSolutions-IAM4` suppression of a Lambda function's role that holds
 * the AWS managed policy AWSLambdaBasicExecutionRole only for the function's
 * own logs (`fn` names the function: "BucketDeployment function of aws-cdk-lib").
 */
export function basicExecutionRoleSuppression(fn: string): NagSuppression {
  return {
    id: 'AwsSolutions-IAM4',
    reason: `The ${fn} uses the AWS managed policy AWSLambdaBasicExecutionRole only to write its own CloudWatch logs.`,
    appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
  };
}

/**
 * Suppresses, once, what cdk-nag reports on the singleton Lambda functions
 * that aws-cdk-lib itself adds to a stack for a feature this library uses
 * (`BucketDeployment`): their code, runtime and role are aws-cdk-lib's, not
 * this library's or the user's.
 */
export function suppressNagOnCdkSingleton(scope: IConstruct, idPrefix: string, what: string): void {
  for (const child of Stack.of(scope).node.children) {
    if (!child.node.id.startsWith(idPrefix) || doneSingletons.has(child)) continue;
    doneSingletons.add(child);
    suppressNag(child, [
      basicExecutionRoleSuppression(`${what} function of aws-cdk-lib`),
      {
        id: 'AwsSolutions-IAM5',
        reason: `The ${what} function's permissions are granted by aws-cdk-lib: for BucketDeployment, read of the CDK asset bucket and read/write/delete of every object of the destination bucket (aws-cdk-lib cannot narrow it to the destination prefix).`,
      },
      { id: 'AwsSolutions-L1', reason: `The runtime of the ${what} function is chosen and kept current by aws-cdk-lib.` },
    ]);
  }
}
