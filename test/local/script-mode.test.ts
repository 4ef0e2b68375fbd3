/**
 * Script mode in local mode, against the real Docker engine: the stand-in
 * framework image (test/local/fixtures/framework, our own toolkit-like
 * container) tagged with SageMaker's real image URIs, so local mode finds it
 * by URI. The run specs are what `cdk synth` writes for script mode
 * (`code`, `inferenceCode`, `repack`, `inferenceImage`, `sagemaker` images).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { ensureStandInImage } from './fixtures/framework/stand-in';
import { LAB_CODE, PIPELINE, sagemakerImage, ScriptPipeline, scriptAssembly as makeScriptAssembly, SCRIPTS, SKLEARN } from './fixtures/script-mode/assembly';
import { leftoverContainers, requireDocker, tarEntries, tarMember } from './local-test-helpers';
import { DockerRunner, ILocalRunObserver, LocalEndpoint, LocalJobStatus, LocalTrainingResult } from '../../src/local';
import { forgetPresentImages } from '../../src/local/private/image';
import { RunSpec } from '../../src/private/run-spec';

/** PyTorch 2.8.0's images in eu-west-1: the stand-in plays them too (the repack path needs no torch). */
const PYTORCH_TRAINING = '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.8.0-cpu-py312';
const PYTORCH_INFERENCE = '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.8.0-cpu-py312';
const FIXTURES = SCRIPTS;

class RecordingObserver implements ILocalRunObserver {
  public readonly lines: string[] = [];
  public readonly progress: string[] = [];
  public onLogLine(e: { line: string }) { this.lines.push(e.line); }
  public onMetric() { /* not needed here */ }
  public onProgress(m: string) { this.progress.push(m); }
}

const ecr = mockClient(ECRClient);
let root: string;

beforeAll(async () => {
  requireDocker();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-script-mode-'));
  // Built once per content (a hash tag), then tagged as each real URI.
  await ensureStandInImage([SKLEARN, PYTORCH_TRAINING, PYTORCH_INFERENCE]);
  forgetPresentImages();
}, 600_000);

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  ecr.restore();
});

beforeEach(() => {
  ecr.reset();
  // No AWS call is expected: any one fails the test through this rejection.
  ecr.on(GetAuthorizationTokenCommand).rejects(new Error('no AWS call expected: the image is on the machine'));
});

afterEach(() => {
  // THEN (every test): local mode made no ECR call for images on the machine, and left no container behind.
  expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
  expect(leftoverContainers()).toEqual([]);
});

function scriptAssembly(p: ScriptPipeline): { dir: string; spec: RunSpec } {
  return makeScriptAssembly(root, p);
}

function runnerFor(dir: string, observer = new RecordingObserver()): DockerRunner {
  return DockerRunner.fromCloudAssembly(dir, PIPELINE, { workDir: path.join(root, 'work'), observer });
}

async function trained(runner: DockerRunner): Promise<LocalTrainingResult> {
  const result = await runner.train();
  expect({ status: result.status, failureReason: result.failureReason }).toEqual({ status: LocalJobStatus.COMPLETED, failureReason: undefined });
  return result;
}

async function withEndpoint<T>(runner: DockerRunner, modelArtifact: string, fn: (endpoint: LocalEndpoint) => Promise<T>): Promise<T> {
  const endpoint = await runner.startEndpoint({ modelArtifact });
  try {
    return await fn(endpoint);
  } finally {
    await endpoint.stop();
  }
}

describe('the scikit-learn lab script on the framework image, found by its URI', () => {
  test('trains, batch-transforms and serves the decision tree', async () => {
    // GIVEN the lab's script and data, the framework image on the machine under its real URI
    const { dir } = scriptAssembly({ code: LAB_CODE, hyperparameters: { max_leaf_nodes: '30' }, withTransform: true });
    const runner = runnerFor(dir);
    // WHEN trained
    const result = await trained(runner);
    // THEN the model is the script's joblib file
    expect(tarEntries(result.modelArtifact)).toEqual(['model.joblib']);

    // WHEN batch-transformed: THEN one class index per input line, in order
    const transformed = await runner.transform({ modelArtifact: result.modelArtifact });
    expect(transformed.status).toBe(LocalJobStatus.COMPLETED);
    const part1 = fs.readFileSync(transformed.outputFiles.find((f) => f.endsWith('part-1.csv.out'))!, 'utf8').trim().split('\n');
    // part-1.csv holds 10 rows of each class, in class order
    expect(part1).toEqual([...Array(10).fill('0'), ...Array(10).fill('1'), ...Array(10).fill('2')]);

    // WHEN served: THEN the endpoint answers CSV with the default output_fn
    const answer = await withEndpoint(runner, result.modelArtifact,
      (endpoint) => endpoint.invoke('5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3', { contentType: 'text/csv', accept: 'text/csv' }));
    expect(answer.body.trim().split('\n')).toEqual(['0', '2']);
  });
});

describe('what the script sees in training', () => {
  let result: LocalTrainingResult;
  let seen: any;
  let runner: DockerRunner;
  let spec: RunSpec;
  beforeAll(async () => {
    // GIVEN the probe script with two user hyperparameters, JSON-encoded as the SDK sends them
    const assembly = scriptAssembly({ code: path.join(FIXTURES, 'inspect'), hyperparameters: { 'learning-rate': '0.1', 'epochs': '3', 'optimizer': '"adam"' } });
    spec = assembly.spec;
    runner = runnerFor(assembly.dir);
    // WHEN trained
    result = await trained(runner);
    seen = JSON.parse(tarMember(result.modelArtifact, 'seen.json'));
  });

  test('the user hyperparameters arrive as --name value arguments, sorted, without the sagemaker_* ones', () => {
    expect(seen.argv).toEqual(['--epochs', '3', '--learning-rate', '0.1', '--optimizer', 'adam']);
  });

  test('the training toolkit\'s SM_* variables are set from the config files', () => {
    expect(seen.env).toMatchObject({
      'SM_MODEL_DIR': '/opt/ml/model',
      'SM_OUTPUT_DATA_DIR': '/opt/ml/output/data',
      'SM_CHANNELS': '["train"]',
      'SM_CHANNEL_TRAIN': '/opt/ml/input/data/train',
      'SM_HPS': '{"epochs":3,"learning-rate":0.1,"optimizer":"adam"}',
      'SM_HP_EPOCHS': '3',
      'SM_HP_LEARNING-RATE': '0.1',
      'SM_HP_OPTIMIZER': 'adam',
      'SM_HOSTS': '["algo-1"]',
      'SM_CURRENT_HOST': 'algo-1',
      'SM_NUM_GPUS': '0',
      'SM_USER_ENTRY_POINT': 'train.py',
      'SM_MODULE_DIR': '/opt/ml/code',
    });
    expect(Object.keys(seen.env).filter((k) => k.startsWith('SM_HP_SAGEMAKER'))).toEqual([]);
  });

  test('the code is mounted at /opt/ml/code, the script runs there, and the submit directory points there', () => {
    expect(seen.code_mounted).toBe(true);
    expect(seen.code_files).toEqual(['helper.txt', 'train.py']);
    expect(seen.cwd).toBe('/opt/ml/code');
    expect(seen.hyperparameters.sagemaker_submit_directory).toBe('"/opt/ml/code"');
    expect(seen.hyperparameters.sagemaker_program).toBe('"train.py"');
    // the job name is the local job's
    expect(seen.hyperparameters.sagemaker_job_name).toBe(JSON.stringify(result.jobName));
  });

  test('the request in the run spec (what the cloud gets) is unchanged', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(runner.assemblyDir, 'manifest.json'), 'utf8'));
    const written = manifest.artifacts.ScriptStack.metadata['/ScriptStack/Script'][0].data as RunSpec;
    expect(written.training.HyperParameters!.sagemaker_submit_directory).toBe(JSON.stringify(spec.code!.location));
    expect(written.training.HyperParameters!.sagemaker_job_name).toBe('"script-train"');
  });

  test('the endpoint loads the same code from /opt/ml/code (SAGEMAKER_SUBMIT_DIRECTORY rewritten)', async () => {
    const answer = await withEndpoint(runner, result.modelArtifact,
      (endpoint) => endpoint.invoke('[[1, 2], [3, 4]]', { contentType: 'application/json' }));
    expect(JSON.parse(answer.body)).toEqual({
      rows: [[1, 2], [3, 4]],
      trained_argv: seen.argv,
      code_file: '/opt/ml/code/train.py',
      submit_directory: '/opt/ml/code',
      batch: null,
    });
  });
});

test('a failing script fails the job with the toolkit\'s failure reason', async () => {
  const { dir } = scriptAssembly({ code: path.join(FIXTURES, 'failing') });
  const result = await runnerFor(dir).train();
  expect(result.status).toBe(LocalJobStatus.FAILED);
  expect(result.failureReason).toMatch(/^ExecuteUserScriptError:\nExitCode 1\nErrorMessage ".*ValueError: max_leaf_nodes must be at least 2/s);
});

test('with network isolation the code is the `code` channel, extracted by the container (nothing mounted), and the model is repacked', async () => {
  // GIVEN network isolation: the SDK's code channel and a repacked model
  const { dir } = scriptAssembly({ code: path.join(FIXTURES, 'inspect'), networkIsolation: true, repack: true });
  const runner = runnerFor(dir);
  // WHEN trained
  const result = await trained(runner);
  const seen = JSON.parse(tarMember(result.modelArtifact, 'seen.json'));
  // THEN the archive is in the code channel under its cloud name, and the toolkit extracted it into /opt/ml/code
  expect(seen.hyperparameters.sagemaker_submit_directory).toBe('"/opt/ml/input/data/code/sourcedir.tar.gz"');
  expect(seen.channel_files).toEqual({ code: ['sourcedir.tar.gz'], train: ['iris.csv'] });
  expect(seen.code_mounted).toBe(false);
  expect(seen.code_files).toEqual(['helper.txt', 'train.py']);
  // the training output itself has no code/
  expect(tarEntries(result.modelArtifact)).toEqual(['seen.json']);
  // WHEN served: THEN the code comes from the repacked model archive
  const answer = await withEndpoint(runner, result.modelArtifact, (endpoint) => endpoint.invoke('[[1]]', { contentType: 'application/json' }));
  expect(JSON.parse(answer.body)).toMatchObject({ code_file: '/opt/ml/model/code/train.py', submit_directory: '/opt/ml/model/code' });
});

test('inference code that differs from the training code serves the model', async () => {
  const { dir } = scriptAssembly({ code: path.join(FIXTURES, 'inspect'), inferenceCode: path.join(FIXTURES, 'inference'), withTransform: true });
  const runner = runnerFor(dir);
  const result = await trained(runner);
  const answer = await withEndpoint(runner, result.modelArtifact, (endpoint) => endpoint.invoke('[[1], [2]]', { contentType: 'application/json' }));
  expect(JSON.parse(answer.body)).toEqual({ labels: ['inference-code', 'inference-code'], code_file: '/opt/ml/code/serve.py', submit_directory: '/opt/ml/code' });
});

test('PyTorch-style: a separate inference image serves the model repacked with its code under code/', async () => {
  // GIVEN training and inference images of their own URIs, and a repacked model
  const observer = new RecordingObserver();
  const { dir } = scriptAssembly({
    code: path.join(FIXTURES, 'inspect'),
    image: sagemakerImage(PYTORCH_TRAINING, 'pytorch'),
    inferenceImage: sagemakerImage(PYTORCH_INFERENCE, 'pytorch'),
    repack: true,
  });
  const runner = runnerFor(dir, observer);
  // WHEN trained and served
  const result = await trained(runner);
  const { answer, image } = await withEndpoint(runner, result.modelArtifact, async (endpoint) => ({
    answer: await endpoint.invoke('[[1]]', { contentType: 'application/json' }),
    image: spawnSync('docker', ['inspect', '--format', '{{.Config.Image}}', endpoint.containerName], { encoding: 'utf8' }).stdout.trim(),
  }));
  // THEN training ran the training image, the endpoint the inference image, with the code from the model archive
  expect(observer.progress).toContain(`Training ScriptStack/Script with ${PYTORCH_TRAINING}`);
  expect(image).toBe(PYTORCH_INFERENCE);
  expect(JSON.parse(answer.body)).toMatchObject({ code_file: '/opt/ml/model/code/train.py', submit_directory: '/opt/ml/model/code' });
  // the repack made a new archive: the training job's own model.tar.gz is unchanged
  expect(tarEntries(result.modelArtifact)).toEqual(['seen.json']);
});

test('an image that is not on the machine, and cannot be pulled, fails saying local mode needs it there', async () => {
  // GIVEN the TensorFlow image (not on this machine) and no AWS credentials
  ecr.on(GetAuthorizationTokenCommand).rejects(new Error('Could not load credentials from any providers'));
  const uri = '763104351884.dkr.ecr.eu-west-1.amazonaws.com/tensorflow-training:2.19.0-cpu-py312';
  const { dir } = scriptAssembly({ code: path.join(FIXTURES, 'inspect'), image: sagemakerImage(uri, 'tensorflow') });
  // WHEN trained: THEN a clear error names the image, says it must be on the machine, and how to get it
  const error = await runnerFor(dir).train().catch((e: Error) => e);
  expect((error as Error).message).toMatch(new RegExp(`^Local mode needs SageMaker's image ${uri.replace(/[.]/g, '\\.')} on this machine, and it is not there`));
  expect((error as Error).message).toContain(`docker pull ${uri}`);
  // the login asked for that image's registry
  expect(ecr.commandCalls(GetAuthorizationTokenCommand).map((c) => c.args[0].input)).toEqual([{ registryIds: ['763104351884'] }]);
  ecr.reset();
});

test('a built-in algorithm cannot run locally, and says so before anything runs', async () => {
  const { dir } = scriptAssembly({ code: path.join(FIXTURES, 'inspect') });
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const spec = manifest.artifacts.ScriptStack.metadata['/ScriptStack/Script'][0].data;
  const linearLearner = '438346466558.dkr.ecr.eu-west-1.amazonaws.com/linear-learner:1';
  spec.image = { ...sagemakerImage(linearLearner), framework: undefined, repository: 'linear-learner', tag: '1', version: '1' };
  delete spec.code;
  delete spec.framework;
  fs.writeFileSync(manifestPath, JSON.stringify(manifest));
  await expect(runnerFor(dir).train()).rejects.toThrow(/uses SageMaker's built-in algorithm 'linear-learner', which cannot run locally: its image is closed source/);
});
