import { awscdk, javascript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-sagemaker-byoa',
  description: 'AWS CDK constructs for "bring your own algorithm" SageMaker pipelines: image build, training, batch transform and endpoints orchestrated by Step Functions, validated at synth time, and runnable locally with Docker.',
  author: 'cdk-sagemaker-byoa developers',
  authorAddress: 'byoa@example.com',
  repositoryUrl: 'https://github.com/cdk-sagemaker-byoa/cdk-sagemaker-byoa.git',
  keywords: ['aws-cdk', 'sagemaker', 'byoa', 'step-functions', 'docker', 'machine-learning'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  cdkVersion: '2.276.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  minNodeVersion: '20.0.0',

  // No hosted CI here: `.ci/run` is the pipeline, and nothing is released from this repo yet.
  github: false,
  release: false,
  depsUpgrade: false,
  pullRequestTemplate: false,

  // Bundled (non-jsii) runtime dependencies: they never appear in an exported signature.
  bundledDeps: [
    '@aws-sdk/client-sagemaker@^3',
    '@aws-sdk/client-ecr@^3',
    '@aws-sdk/client-s3@^3',
  ],
  devDeps: [
    // Only the tests' own runs of aws-cdk-lib's AwsCustomResource handler load it.
    '@aws-sdk/client-cloudwatch-logs@^3',
    'aws-cdk@^2.1148.1',
    'aws-sdk-client-mock@^4',
    'cdk-nag@^2',
  ],
  bin: {
    byoa: 'lib/cli/byoa.js',
  },

  jestOptions: {
    jestConfig: {
      testTimeout: 120_000,
      // Docker-backed suites share one engine; running them one at a time keeps
      // the 2-core machines from timing out health checks.
      maxWorkers: 1,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  },
  tsconfigDev: {
    include: ['../examples/**/*.ts', '../scripts/**/*.ts', '../bench/**/*.ts'],
    compilerOptions: {},
  },
  gitignore: ['cdk.out/', '.byoa/', '/tmp/', 'examples/**/cdk.out/'],
});

project.addPackageIgnore('/examples/');
project.addPackageIgnore('/scripts/');
project.addPackageIgnore('/bench/');
project.addPackageIgnore('/.ci/');

project.addTask('demo', {
  description: 'Synthesize the iris example pipeline and run it locally with Docker',
  exec: 'ts-node --transpile-only --project test/tsconfig.json scripts/demo.ts',
  receiveArgs: true,
});
project.addTask('bench:local', {
  description: 'Measure the local runners against plain docker run and a plain HTTP client',
  exec: 'ts-node --transpile-only --project test/tsconfig.json bench/local.ts',
  receiveArgs: true,
});
project.addTask('bench:synth', {
  description: 'Measure cdk synth time and memory against hand-written stepfunctions-tasks',
  exec: 'ts-node --transpile-only --project test/tsconfig.json bench/synth.ts',
  receiveArgs: true,
});

project.synth();
