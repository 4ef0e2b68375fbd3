import { readFileSync } from 'fs';
import { awscdk, javascript } from 'projen';
import { assertSetupPyStrings, setupPyStrings } from './projenrc/python-strings';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-sagemaker-byoa',
  // jsii-pacmak embeds this (and the other package strings) in setup.py inside a
  // Python triple-quoted string: no double quotes or backslashes (see projenrc/python-strings.ts).
  description: 'AWS CDK constructs for bring-your-own-algorithm (BYOA) SageMaker pipelines: image build, training, batch transform and endpoints orchestrated by Step Functions, validated at synth time, and runnable locally with Docker.',
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

  publishToPypi: {
    distName: 'cdk-sagemaker-byoa',
    module: 'cdk_sagemaker_byoa',
  },

  // Bundled (non-jsii) runtime dependencies: they never appear in an exported signature.
  bundledDeps: [
    '@aws-sdk/client-sagemaker@^3',
    '@aws-sdk/client-ecr@^3',
    '@aws-sdk/client-s3@^3',
    // `byoa cloud`: runs, follows and calls the deployed pipeline.
    '@aws-sdk/client-sfn@^3',
    '@aws-sdk/client-cloudformation@^3',
    '@aws-sdk/client-cloudwatch-logs@^3',
    '@aws-sdk/client-sagemaker-runtime@^3',
  ],
  devDeps: [
    'aws-cdk@^2.1148.1',
    'aws-sdk-client-mock@^4',
    'cdk-nag@^2',
    // A real S3-compatible server on a loopback port for the S3 download tests.
    's3rver@^3',
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
  gitignore: ['cdk.out/', '.byoa/', '/tmp/', 'examples/**/cdk.out/', '.jsii.tabl.json', '/rosetta/default.ts-fixture'],
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
project.addTask('generate:images', {
  description: 'Regenerate src/image/private/image-table.generated.ts from ../shared/data/sagemaker-image-uris.json (or the path given)',
  exec: 'ts-node --transpile-only --project test/tsconfig.json scripts/generate-image-table.ts',
  receiveArgs: true,
});
project.addTask('generate:instance-types', {
  description: 'Regenerate src/private/instance-types.generated.ts from the enums of @aws-sdk/client-sagemaker',
  exec: 'ts-node --transpile-only --project test/tsconfig.json scripts/generate-instance-types.ts',
  receiveArgs: true,
});
project.addTask('bench:synth', {
  description: 'Measure cdk synth time and memory against hand-written stepfunctions-tasks',
  exec: 'ts-node --transpile-only --project test/tsconfig.json bench/synth.ts',
  receiveArgs: true,
});

// Python. jsii-rosetta translates the README's and the doc comments' TypeScript
// snippets for the Python package and Construct Hub. Strict: a snippet that does
// not compile (against rosetta/default.ts-fixture) fails the build, it is never
// shipped as untranslated TypeScript.
project.package.addField('jsiiRosetta', { strict: true });
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile and translate every TypeScript snippet of the README and doc comments (strict)',
  env: { JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' },
});
rosetta.exec('ts-node --transpile-only --project test/tsconfig.json scripts/rosetta-fixture.ts');
rosetta.exec('jsii-rosetta extract --strict');
project.postCompileTask.spawn(rosetta);
// projen's package:python runs a full `jsii-pacmak --target python`, which
// installs its build tools from PyPI. Here it generates the code only and
// builds the wheel and sdist with Debian's tools (scripts/setup-python.sh).
project.tasks.tryFind('package:python')!.reset('bash scripts/package-python.sh', {
  env: { JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' },
});
const pythonCheck = project.addTask('package:python-check', {
  description: 'Build the Python wheel and sdist, then twine-check them and byte-compile every module with Debian\'s python3',
});
pythonCheck.spawn(project.tasks.tryFind('package:python')!);
pythonCheck.exec('bash scripts/check-python-package.sh');

// No import circles in src/ (type-only imports count too: eslint's import/no-cycle ignores them).
const importCycles = project.addTask('check:import-cycles', {
  description: 'Fail when modules of src/ import each other in a circle (type-only imports included)',
  exec: 'ts-node --transpile-only --project test/tsconfig.json scripts/import-cycles.ts src',
});
project.compileTask.spawn(importCycles);

project.synth();

// Fails `npx projen` when a package string would break the generated setup.py.
// (Checked on the package.json just written: projen resolves some fields only
// when it synthesizes. Dependencies' own Python names are theirs, not ours.)
assertSetupPyStrings(setupPyStrings(JSON.parse(readFileSync('package.json', 'utf8')), (dep) => dep));
