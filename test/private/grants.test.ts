import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { grantGetObjects, grantPutObjects, grantReadPrefix } from '../../src/private/grants';

interface Statement { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, string[]>> }

/** The statements of the role's default policy, as synthesized. */
function statementsOf(stack: Stack): Statement[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

const actions = (s: Statement) => [s.Action].flat();
const resources = (s: Statement) => [s.Resource].flat();

function setup(): { stack: Stack; role: iam.Role } {
  const stack = new Stack(new App(), 'Stack');
  return { stack, role: new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }) };
}

describe('S3 prefix grants', () => {
  test('the prefixes of one bucket share one s3:GetObject and one s3:ListBucket statement, without duplicates', () => {
    // GIVEN
    const { stack, role } = setup();
    const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'data-bucket');
    // WHEN
    grantReadPrefix(bucket, role, 'train/');
    grantReadPrefix(bucket, role, 'test/');
    grantReadPrefix(bucket, role, 'train/');
    // THEN
    const statements = statementsOf(stack);
    expect(statements).toHaveLength(2);
    const [get, list] = statements;
    expect(actions(get)).toEqual(['s3:GetObject']);
    expect(resources(get)).toHaveLength(2);
    expect(JSON.stringify(resources(get))).toMatch(/data-bucket\/train\/\*.*data-bucket\/test\/\*/);
    expect(actions(list)).toEqual(['s3:ListBucket']);
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['train/*', 'test/*'] } });
  });

  test('two imports of the same bucket share the s3:ListBucket statement; another bucket gets its own', () => {
    // GIVEN
    const { stack, role } = setup();
    // WHEN
    grantReadPrefix(s3.Bucket.fromBucketName(stack, 'A1', 'bucket-a'), role, 'x/');
    grantReadPrefix(s3.Bucket.fromBucketName(stack, 'A2', 'bucket-a'), role, 'y/');
    grantReadPrefix(s3.Bucket.fromBucketName(stack, 'B', 'bucket-b'), role, 'z/');
    // THEN
    const statements = statementsOf(stack);
    const gets = statements.filter(s => actions(s).includes('s3:GetObject'));
    const lists = statements.filter(s => actions(s).includes('s3:ListBucket'));
    expect(gets).toHaveLength(1);
    expect(resources(gets[0])).toHaveLength(3);
    expect(lists.map(s => s.Condition!.StringLike['s3:prefix'])).toEqual([['x/*', 'y/*'], ['z/*']]);
  });

  test('object patterns read by grantGetObjects join the same s3:GetObject statement', () => {
    // GIVEN
    const { stack, role } = setup();
    const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'data-bucket');
    // WHEN
    grantGetObjects(bucket, role, 'training/*');
    grantReadPrefix(bucket, role, 'inputs/');
    // THEN
    const gets = statementsOf(stack).filter(s => actions(s).includes('s3:GetObject'));
    expect(gets).toHaveLength(1);
    expect(JSON.stringify(resources(gets[0]))).toMatch(/training\/\*.*inputs\/\*/);
  });

  test('the put patterns of one bucket share one statement, with the bucket key\'s grant as bucket.grantPut gives it', () => {
    // GIVEN
    const { stack, role } = setup();
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Out', { encryptionKey: key });
    // WHEN
    grantPutObjects(bucket, role, 'training/*');
    grantPutObjects(bucket, role, 'transform/*');
    // THEN
    const statements = statementsOf(stack);
    const puts = statements.filter(s => actions(s).includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    expect(actions(puts[0])).toEqual(expect.arrayContaining(['s3:PutObject', 's3:Abort*']));
    expect(JSON.stringify(resources(puts[0]))).toMatch(/training\/\*.*transform\/\*/);
    const keyStatements = statements.filter(s => actions(s).some(a => a.startsWith('kms:')));
    expect(keyStatements).toHaveLength(1);
    expect(actions(keyStatements[0])).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey*']));
  });

  test('two principals do not share statements', () => {
    // GIVEN
    const { stack, role } = setup();
    const other = new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'data-bucket');
    // WHEN
    grantReadPrefix(bucket, role, 'a/');
    grantReadPrefix(bucket, other, 'b/');
    // THEN
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')) as any[];
    expect(policies).toHaveLength(2);
    const prefixesOf = (p: any) => p.Properties.PolicyDocument.Statement.find((s: Statement) => actions(s).includes('s3:ListBucket')).Condition.StringLike['s3:prefix'];
    expect(policies.map(prefixesOf)).toEqual([['a/*'], ['b/*']]);
  });
});
