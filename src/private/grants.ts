import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Lets `grantee` read the objects under `prefix` and list ONLY that prefix
 * (`s3:ListBucket` with an `s3:prefix` condition): what SageMaker needs for an
 * `S3Prefix` data source, and less than `bucket.grantRead`, whose `s3:List*`
 * on the bucket lists every key.
 */
export function grantReadPrefix(bucket: s3.IBucket, grantee: iam.IGrantable, prefix: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject'],
    resources: [bucket.arnForObjects(`${prefix}*`)],
  }));
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } },
  }));
  bucket.encryptionKey?.grantDecrypt(grantee);
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
