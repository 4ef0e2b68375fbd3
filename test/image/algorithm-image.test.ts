import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecr_assets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AlgorithmImage } from '../../src';

const CONTAINER = path.join(__dirname, '..', '..', 'examples', 'iris', 'container');

function setup() {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  return { stack, role };
}

function pullStatements(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => [].concat(s.Action).includes('ecr:BatchGetImage'));
}

describe('AlgorithmImage.fromAsset', () => {
  test('builds for linux/amd64 by default, once per stack, and lets the grantee pull it', () => {
    // GIVEN
    const { stack, role } = setup();
    const image = AlgorithmImage.fromAsset(CONTAINER, { buildArgs: { VERSION: '1' } });

    // WHEN
    const first = image.bind(stack, role);
    const second = image.bind(stack, role);

    // THEN
    expect(first.imageUri).toBe(second.imageUri);
    const assets = stack.node.findAll().filter(c => c instanceof ecr_assets.DockerImageAsset);
    expect(assets).toHaveLength(1);
    const spec = image._runSpec(stack);
    expect(spec).toMatchObject({ kind: 'asset', platform: 'linux/amd64', buildArgs: { VERSION: '1' }, sourceDirectory: CONTAINER });
    expect(spec.kind === 'asset' && spec.directory).toMatch(/^asset\.[0-9a-f]{64}$/);
    expect(pullStatements(stack).length).toBeGreaterThan(0);
  });

  test('a platform can be chosen', () => {
    // GIVEN
    const { stack } = setup();

    // WHEN
    const image = AlgorithmImage.fromAsset(CONTAINER, { platform: ecr_assets.Platform.LINUX_ARM64 });

    // THEN
    expect(image._runSpec(stack)).toMatchObject({ platform: 'linux/arm64' });
  });
});

describe('AlgorithmImage.fromEcrRepository', () => {
  test('uses a tag, lets the grantee pull that repository only, and gives local mode a concrete URI', () => {
    // GIVEN
    const { stack, role } = setup();
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'iris');

    // WHEN
    const image = AlgorithmImage.fromEcrRepository(repository, 'v3');
    const config = image.bind(stack, role);

    // THEN
    expect(stack.resolve(config.imageUri)).toEqual({
      'Fn::Join': ['', ['111122223333.dkr.ecr.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/iris:v3']],
    });
    const statements = pullStatements(stack);
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0].Resource)).toContain(':repository/iris');
    expect(image._runSpec(stack)).toEqual({
      kind: 'repository',
      imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/iris:v3',
      registryId: '111122223333',
      region: 'eu-west-1',
    });
  });

  test('uses a digest with @', () => {
    // GIVEN
    const { stack } = setup();
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'iris');
    const digest = `sha256:${'a'.repeat(64)}`;

    // WHEN
    const image = AlgorithmImage.fromEcrRepository(repository, digest);

    // THEN
    expect(image._runSpec(stack)).toMatchObject({ imageUri: `111122223333.dkr.ecr.eu-west-1.amazonaws.com/iris@${digest}` });
  });

  test('a repository whose name is only known at deploy time is unresolved for local mode', () => {
    // GIVEN
    const { stack } = setup();
    const repository = new ecr.Repository(stack, 'Created');

    // WHEN
    const image = AlgorithmImage.fromEcrRepository(repository);

    // THEN
    expect(image._runSpec(stack)).toEqual({ kind: 'repository', imageUri: 'unresolved://Stack/Created' });
  });
});
