/**
 * Shared by the local-mode tests: a hand-written cloud assembly holding one
 * pipeline's run spec and a staged copy of a fixture Dockerfile, plus checks
 * that the Docker engine answers and that nothing was left behind.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CreateTrainingJobRequest, CreateTransformJobRequest } from '@aws-sdk/client-sagemaker';
import { RUN_SPEC_METADATA_TYPE, RunSpec } from '../../src/private/run-spec';

export const FIXTURES = path.join(__dirname, 'fixtures');
/**
 * The staged asset directory name of the training fixture image: like CDK,
 * `asset.<hash of the content>` (local mode derives the image tag from it).
 */
export const TRAINING_ASSET = `asset.${hashDirectory(path.join(FIXTURES, 'training'))}`;

function hashDirectory(dir: string): string {
  const h = createHash('sha256');
  for (const f of fs.readdirSync(dir).sort()) {
    h.update(f).update(fs.readFileSync(path.join(dir, f)));
  }
  return h.digest('hex');
}

/**
 * Throws when no Docker engine answers. Docker-backed tests call it in
 * beforeAll, so they fail (never skip) without an engine.
 */
export function requireDocker(): void {
  const res = spawnSync(process.env.CDK_DOCKER || 'docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' });
  if (res.status !== 0) {
    throw new Error(`These tests need a running Docker engine (${res.stderr || res.error?.message}).`);
  }
}

/**
 * Containers created by process `pid` (this one by default) that are still
 * there (running or not): local mode labels every container `byoa.pid=<pid>`,
 * so containers of other processes on the same engine are not counted.
 */
export function leftoverContainers(pid: number = process.pid): string[] {
  const res = spawnSync('docker', ['ps', '-a', '--filter', `label=byoa.pid=${pid}`, '--format', '{{.Names}}'], { encoding: 'utf8' });
  if (res.status !== 0) { throw new Error(`docker ps failed: ${res.stderr || res.error?.message}`); }
  return res.stdout.split('\n').filter((l) => l.trim());
}

export interface TestAssembly {
  readonly dir: string;
  readonly pipeline: string;
  dispose(): void;
}

/** A training request for the fixture; `MODE` chooses the fixture's behaviour. */
export function trainingRequest(mode: string, overrides: Partial<CreateTrainingJobRequest> = {}): CreateTrainingJobRequest {
  return {
    TrainingJobName: 'fixture-train',
    RoleArn: 'arn:aws:iam::123456789012:role/Ignored',
    AlgorithmSpecification: {
      TrainingInputMode: 'File',
      TrainingImage: 'ignored-locally',
      MetricDefinitions: [
        { Name: 'train:loss', Regex: 'train_loss=([0-9.]+)' },
        { Name: 'accuracy', Regex: 'accuracy=([0-9.]+)' },
      ],
    },
    HyperParameters: { 'learning-rate': '0.1', 'epochs': '3' },
    InputDataConfig: [
      {
        ChannelName: 'train',
        ContentType: 'text/csv',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://asset.data-train', S3DataDistributionType: 'FullyReplicated' } },
      },
      {
        ChannelName: 'validation',
        InputMode: 'FastFile',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://asset.data-validation.csv', S3DataDistributionType: 'ShardedByS3Key' } },
      },
    ],
    OutputDataConfig: { S3OutputPath: 's3://ignored/output' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    Environment: { MODE: mode },
    ...overrides,
  };
}

/**
 * A MultiRecord, Line-split CSV transform request over the staged
 * `asset.transform-input` folder (the transform the CLI tests and the
 * whole-job bench run).
 */
export function lineTransformRequest(overrides: Partial<CreateTransformJobRequest> = {}): CreateTransformJobRequest {
  return {
    TransformJobName: 'fixture-transform',
    ModelName: 'fixture-model',
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://asset.transform-input' } },
      ContentType: 'text/csv',
      SplitType: 'Line',
    },
    TransformOutput: { S3OutputPath: 's3://ignored/transform', AssembleWith: 'Line' },
    TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    BatchStrategy: 'MultiRecord',
    ...overrides,
  };
}

/** A cloud assembly in a temp dir with the pipeline `TestStack/Pipe` whose training request is `training`. */
export function makeAssembly(training: CreateTrainingJobRequest, extra: Partial<RunSpec> = {}): TestAssembly {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-test-assembly-'));
  fs.cpSync(path.join(FIXTURES, 'training'), path.join(dir, TRAINING_ASSET), { recursive: true });
  fs.mkdirSync(path.join(dir, 'asset.data-train', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'asset.data-train', 'a.csv'), '1,2\n3,4\n');
  fs.writeFileSync(path.join(dir, 'asset.data-train', 'sub', 'b.csv'), '5,6\n');
  fs.writeFileSync(path.join(dir, 'asset.data-validation.csv'), '7,8\n');
  const spec: RunSpec = {
    version: 1,
    pipeline: 'TestStack/Pipe',
    region: 'eu-west-1',
    account: '123456789012',
    image: { kind: 'asset', directory: TRAINING_ASSET },
    options: { localMode: true, smEnvironment: false },
    training,
    model: { ModelName: 'fixture-model', PrimaryContainer: { Image: 'ignored' } },
    ...extra,
  };
  const manifest = {
    version: '48.0.0',
    artifacts: {
      TestStack: {
        type: 'aws:cloudformation:stack',
        environment: 'aws://123456789012/eu-west-1',
        metadata: {
          '/TestStack/Pipe': [{ type: RUN_SPEC_METADATA_TYPE, data: spec }],
          '/TestStack/Other': [{ type: 'aws:cdk:logicalId', data: 'Other' }],
        },
      },
    },
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, undefined, 2));
  return { dir, pipeline: 'TestStack/Pipe', dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Entries of a .tar.gz, as listed by `tar -tzf`. */
export function tarEntries(archive: string): string[] {
  const res = spawnSync('tar', ['-tzf', archive], { encoding: 'utf8' });
  if (res.status !== 0) { throw new Error(`tar -tzf ${archive}: ${res.stderr}`); }
  return res.stdout.split('\n').filter((l) => l).sort();
}

/** Content of one member of a .tar.gz. */
export function tarMember(archive: string, member: string): string {
  const res = spawnSync('tar', ['-xzOf', archive, member], { encoding: 'utf8' });
  if (res.status !== 0) { throw new Error(`tar -xzOf ${archive} ${member}: ${res.stderr}`); }
  return res.stdout;
}
