/** Script mode's local rewrites and code lookup, without Docker. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { LocalModeError } from '../../../src/local/errors';
import {
  builtInAlgorithmOf, localCodeArchive, localModelEnvironment, localTrainingRequest, trainingCodeOf,
} from '../../../src/local/private/script-mode';
import type { RunSpec, SageMakerImageSpec } from '../../../src/private/run-spec';

const request: CreateTrainingJobRequest = {
  TrainingJobName: 'iris',
  RoleArn: 'unused',
  AlgorithmSpecification: { TrainingInputMode: 'File', TrainingImage: 'unused' },
  HyperParameters: {
    max_leaf_nodes: '30',
    sagemaker_program: '"train.py"',
    sagemaker_submit_directory: '"file://asset.abc.gz"',
    sagemaker_container_log_level: '20',
    sagemaker_job_name: '"iris"',
    sagemaker_region: '"unresolved://AWS::Region"',
  },
  OutputDataConfig: { S3OutputPath: 'unused' },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
  StoppingCondition: { MaxRuntimeInSeconds: 60 },
};

test('training: the submit directory becomes /opt/ml/code, the job name the local one, an unresolved region the run\'s; nothing else changes', () => {
  const local = localTrainingRequest(request, { jobName: 'iris-20260101-000000-000', region: 'eu-west-1', code: trainingCodeOf(request) });
  expect(local.HyperParameters).toEqual({
    ...request.HyperParameters,
    sagemaker_submit_directory: '"/opt/ml/code"',
    sagemaker_job_name: '"iris-20260101-000000-000"',
    sagemaker_region: '"eu-west-1"',
  });
  // the request itself is not changed
  expect(request.HyperParameters!.sagemaker_submit_directory).toBe('"file://asset.abc.gz"');
});

test('training with a code channel (network isolation): the submit directory stays, the channel reads the prepared folder', () => {
  const isolated: CreateTrainingJobRequest = {
    ...request,
    EnableNetworkIsolation: true,
    HyperParameters: { ...request.HyperParameters, sagemaker_submit_directory: '"/opt/ml/input/data/code/abc.gz"' },
    InputDataConfig: [{ ChannelName: 'code', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://asset.abc.gz' } } }],
  };
  const code = trainingCodeOf(isolated);
  expect(code).toEqual({ kind: 'channel', fileName: 'abc.gz' });
  const local = localTrainingRequest(isolated, { jobName: 'j', region: 'eu-west-1', code, codeChannelDir: '/tmp/x' });
  expect(local.HyperParameters!.sagemaker_submit_directory).toBe('"/opt/ml/input/data/code/abc.gz"');
  expect(local.InputDataConfig![0].DataSource!.S3DataSource!.S3Uri).toBe('file:///tmp/x');
});

test('serving: SAGEMAKER_SUBMIT_DIRECTORY becomes /opt/ml/code when the code is mounted, and is kept for a repacked model', () => {
  const env = { SAGEMAKER_PROGRAM: 'train.py', SAGEMAKER_SUBMIT_DIRECTORY: 'file://asset.abc.gz', SAGEMAKER_REGION: 'unresolved://AWS::Region' };
  expect(localModelEnvironment(env, { region: 'eu-west-1', codeMounted: true }))
    .toEqual({ SAGEMAKER_PROGRAM: 'train.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/code', SAGEMAKER_REGION: 'eu-west-1' });
  const repacked = { ...env, SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code' };
  expect(localModelEnvironment(repacked, { region: 'eu-west-1', codeMounted: false })!.SAGEMAKER_SUBMIT_DIRECTORY).toBe('/opt/ml/model/code');
});

describe('the code archive', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-code-test-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('is the staged asset; when that is missing, the source folder packed (said in a progress line); else a clear error', async () => {
    fs.writeFileSync(path.join(dir, 'asset.abc.gz'), 'staged');
    expect(await localCodeArchive({ entryPoint: 'train.py', location: 'file://asset.abc.gz' }, dir, path.join(dir, 's'))).toBe(path.join(dir, 'asset.abc.gz'));

    const source = path.join(dir, 'src');
    fs.mkdirSync(source);
    fs.writeFileSync(path.join(source, 'train.py'), 'print(1)\n');
    const notes: string[] = [];
    const packed = await localCodeArchive({ entryPoint: 'train.py', location: 'file://asset.gone.gz', sourceDirectory: source }, dir, path.join(dir, 's'), (m) => notes.push(m));
    expect(fs.existsSync(packed)).toBe(true);
    expect(notes).toEqual([`The staged code archive ${path.join(dir, 'asset.gone.gz')} is missing: packing the original source folder ${source} instead.`]);

    await expect(localCodeArchive({ entryPoint: 'train.py', location: 'file://asset.gone.gz' }, dir, dir))
      .rejects.toThrow(/code archive .*asset\.gone\.gz does not exist: run 'cdk synth' again/);
  });

  test('from S3 or an unresolved location cannot run locally, and the error says what to use', async () => {
    await expect(localCodeArchive({ entryPoint: 'train.py', location: 's3://bucket/code.tar.gz' }, dir, dir))
      .rejects.toThrow(new LocalModeError('The script-mode code is in S3 (s3://bucket/code.tar.gz, from SourceCode.fromBucket); local mode runs code '
        + 'from this machine only. Use SourceCode.fromAsset(<folder>, { entryPoint }) for local runs.'));
    await expect(localCodeArchive({ entryPoint: 'train.py', location: 'unresolved://Stack/Bucket/code.tar.gz' }, dir, dir))
      .rejects.toThrow(/a location only known after deployment/);
  });
});

test('built-in algorithms are SageMaker images without a framework; XGBoost\'s open-source container is not one', () => {
  const image = (repository: string, framework?: string): SageMakerImageSpec => ({
    kind: 'sagemaker', imageUri: `1.dkr.ecr.us-east-1.amazonaws.com/${repository}:1`, repository, tag: '1', registries: {}, version: '1', framework,
  });
  const spec = (img: SageMakerImageSpec) => ({ image: img } as RunSpec);
  expect(builtInAlgorithmOf(spec(image('kmeans')))).toBe('kmeans');
  expect(builtInAlgorithmOf(spec(image('sagemaker-xgboost')))).toBeUndefined();
  expect(builtInAlgorithmOf(spec(image('sagemaker-scikit-learn', 'sklearn')))).toBeUndefined();
  expect(builtInAlgorithmOf({ image: { kind: 'asset', directory: 'asset.x' } } as RunSpec)).toBeUndefined();
});
