import { CfnResource, Stack } from 'aws-cdk-lib';
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

/**
 * Records cdk-nag suppressions on every CloudFormation resource under
 * `scope`, as the `cdk_nag` metadata cdk-nag reads. This library depends on
 * cdk-nag only in its tests: the metadata is plain CloudFormation metadata,
 * and it only ever covers the findings the library knows it causes, each with
 * its reason, so a user's own additions are still reported.
 */
export function suppressNag(scope: IConstruct, suppressions: NagSuppression[]): void {
  for (const construct of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(construct)) continue;
    const existing = (construct.getMetadata('cdk_nag') as { rules_to_suppress?: unknown[] } | undefined)?.rules_to_suppress ?? [];
    construct.addMetadata('cdk_nag', {
      rules_to_suppress: [
        ...existing,
        ...suppressions.map(s => ({
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
 * Suppresses, once, what cdk-nag reports on the singleton Lambda functions
 * that aws-cdk-lib itself adds to a stack for a feature this library uses
 * (`BucketDeployment`, `AwsCustomResource`): their code, runtime and role are
 * aws-cdk-lib's, not this library's or the user's.
 */
export function suppressNagOnCdkSingleton(scope: IConstruct, idPrefix: string, what: string): void {
  for (const child of Stack.of(scope).node.children) {
    if (!child.node.id.startsWith(idPrefix) || doneSingletons.has(child)) continue;
    doneSingletons.add(child);
    suppressNag(child, [
      {
        id: 'AwsSolutions-IAM4',
        reason: `The ${what} function of aws-cdk-lib uses the AWS managed policy AWSLambdaBasicExecutionRole only to write its own CloudWatch logs.`,
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: `The ${what} function's permissions are granted by aws-cdk-lib: for BucketDeployment, read of the CDK asset bucket and read/write/delete of every object of the destination bucket (aws-cdk-lib cannot narrow it to the destination prefix); for AwsCustomResource, the calls it makes.`,
      },
      { id: 'AwsSolutions-L1', reason: `The runtime of the ${what} function is chosen and kept current by aws-cdk-lib.` },
    ]);
  }
}
