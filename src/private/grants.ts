import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * The statements this library grows for one principal, so that each kind of
 * S3 grant is one statement however many prefixes the pipeline reads or
 * writes: an IAM policy's size limit counts statements' text, and every
 * statement costs `cdk synth` (aws-cdk-lib's template validation takes time
 * that grows faster than the statement count of each policy).
 */
interface PrincipalGrants {
  /** `s3:GetObject` on every object pattern granted, in any bucket. */
  getObject?: { readonly statement: iam.PolicyStatement; readonly arns: Set<string> };
  /** `s3:ListBucket` on one bucket (by ARN), with every prefix granted as an `s3:prefix` pattern (`<prefix>*`). */
  readonly listBucket: Map<string, { readonly statement: iam.PolicyStatement; readonly patterns: string[] }>;
  /** aws-cdk-lib's object put actions (`bucket.grantPut`) on every pattern granted in one bucket. */
  readonly put: Map<s3.IBucket, { readonly statement: iam.PolicyStatement; readonly arns: Set<string> }>;
}

const principalGrants = new WeakMap<iam.IPrincipal, PrincipalGrants>();

function grantsOf(principal: iam.IPrincipal): PrincipalGrants {
  let grants = principalGrants.get(principal);
  if (!grants) {
    grants = { listBucket: new Map(), put: new Map() };
    principalGrants.set(principal, grants);
  }
  return grants;
}

/**
 * Lets `grantee` get the objects of `bucket` matching `keyPattern` (for
 * example `training/*`). The patterns granted to one principal share one
 * statement; the bucket's key, if any, is granted `kms:Decrypt`.
 */
export function grantGetObjects(bucket: s3.IBucket, grantee: iam.IGrantable, keyPattern: string): void {
  const grants = grantsOf(grantee.grantPrincipal);
  const arn = bucket.arnForObjects(keyPattern);
  if (!grants.getObject) {
    const statement = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [arn] });
    grants.getObject = { statement, arns: new Set([arn]) };
    grantee.grantPrincipal.addToPrincipalPolicy(statement);
  } else if (!grants.getObject.arns.has(arn)) {
    grants.getObject.arns.add(arn);
    grants.getObject.statement.addResources(arn);
  }
  bucket.encryptionKey?.grantDecrypt(grantee);
}

/**
 * Lets `grantee` read the objects under `prefix` and list ONLY that prefix
 * (`s3:ListBucket` with an `s3:prefix` condition): what SageMaker needs for an
 * `S3Prefix` data source, and less than `bucket.grantRead`, whose `s3:List*`
 * on the bucket lists every key. The prefixes of one bucket (the same ARN,
 * even through two imports) granted to one principal share one
 * `s3:ListBucket` statement.
 */
export function grantReadPrefix(bucket: s3.IBucket, grantee: iam.IGrantable, prefix: string): void {
  grantGetObjects(bucket, grantee, `${prefix}*`);
  const grants = grantsOf(grantee.grantPrincipal);
  // One pattern per prefix: IAM's `*` matches zero or more characters, so
  // `inputs/abc/*` also matches the request for `inputs/abc/` itself.
  const pattern = `${prefix}*`;
  const list = grants.listBucket.get(bucket.bucketArn);
  if (!list) {
    const patterns = [pattern];
    const statement = new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [...patterns] } },
    });
    grants.listBucket.set(bucket.bucketArn, { statement, patterns });
    grantee.grantPrincipal.addToPrincipalPolicy(statement);
  } else if (!list.patterns.includes(pattern)) {
    list.patterns.push(pattern);
    // addCondition replaces the key's values under the operator: give them all.
    list.statement.addCondition('StringLike', { 's3:prefix': [...list.patterns] });
  }
}

/**
 * `bucket.grantPut(grantee, keyPattern)`, with the patterns of one bucket
 * granted to one principal in one statement: aws-cdk-lib's put actions
 * (`s3:PutObject`, `s3:Abort*`, ...) and, for a bucket with a key, its
 * encrypt actions, as `grantPut` gives them.
 */
export function grantPutObjects(bucket: s3.IBucket, grantee: iam.IGrantable, keyPattern: string): void {
  const grants = grantsOf(grantee.grantPrincipal);
  const arn = bucket.arnForObjects(keyPattern);
  const put = grants.put.get(bucket);
  if (put) {
    if (!put.arns.has(arn)) {
      put.arns.add(arn);
      put.statement.addResources(arn);
    }
    return;
  }
  const statement = bucket.grantPut(grantee, keyPattern).principalStatements.find(s => s.actions.includes('s3:PutObject'));
  if (statement) grants.put.set(bucket, { statement, arns: new Set([arn]) });
}

/**
 * What every SageMaker execution role needs to report: its containers' logs
 * in the `/aws/sagemaker/*` log groups, and metrics in SageMaker's namespaces.
 */
export function grantSageMakerLogsAndMetrics(role: iam.IRole): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'SageMakerLogs',
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
    resources: [
      Stack.of(role).formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    ],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'SageMakerMetrics',
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } },
  }));
}
