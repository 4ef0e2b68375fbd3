/**
 * The script-mode examples as local mode sees them after `cdk synth`:
 * examples/tensorflow-script-mode needs SageMaker's TensorFlow images on the
 * machine and says so clearly when they are missing;
 * examples/sklearn-script-mode points at the image URI the tests' stand-in
 * is tagged with. (`npm run demo` runs the scikit-learn example end to end.)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { App } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { imageOnMachine, SKLEARN_URI } from './fixtures/framework/stand-in';
import { requireDocker } from './local-test-helpers';
import { SklearnScriptModeStack } from '../../examples/sklearn-script-mode/sklearn-stack';
import { TensorflowScriptModeStack } from '../../examples/tensorflow-script-mode/tensorflow-stack';
import { DockerRunner } from '../../src/local';
import { readRunSpec } from '../../src/local/private/cloud-assembly';
import { forgetPresentImages } from '../../src/local/private/image';

const TENSORFLOW_TRAINING = '763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.19.0-cpu-py312';
const ecr = mockClient(ECRClient);
let root: string;

beforeAll(() => {
  requireDocker();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-script-examples-'));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  ecr.restore();
});

beforeEach(() => {
  ecr.reset();
  forgetPresentImages();
});

function synth(make: (app: App) => void): string {
  const outdir = fs.mkdtempSync(path.join(root, 'cdk.out-'));
  const app = new App({ outdir });
  make(app);
  app.synth();
  return outdir;
}

describe('examples/tensorflow-script-mode', () => {
  let assembly: string;
  beforeAll(async () => {
    assembly = synth((app) => new TensorflowScriptModeStack(app, 'TensorflowScriptModeStack', { env: { region: 'us-east-1' } }));
    // The precondition of these tests: the TensorFlow image is not on this machine.
    expect(await imageOnMachine(TENSORFLOW_TRAINING)).toBe('missing');
  });

  test('trains with the TensorFlow training image and serves with the inference image', () => {
    const spec = readRunSpec(assembly, 'TensorflowScriptModeStack/KerasScript');
    expect(spec.image).toMatchObject({ kind: 'sagemaker', imageUri: TENSORFLOW_TRAINING });
    expect(spec.inferenceImage).toMatchObject({ kind: 'sagemaker', imageUri: '763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.19.0-cpu' });
  });

  test('local mode says the TensorFlow image must be on the machine (pulling off: no AWS call)', async () => {
    const runner = DockerRunner.fromCloudAssembly(assembly, 'TensorflowScriptModeStack/KerasScript', { workDir: path.join(root, 'work'), pullImages: false });
    await expect(runner.train()).rejects.toThrow(`Local mode needs SageMaker's image ${TENSORFLOW_TRAINING} on this machine, and it is not there: `
      + 'pulling is turned off (pullImages: false). Pull it where 763104351884.dkr.ecr.us-east-1.amazonaws.com is reachable, with AWS credentials:');
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
  });

  test('local mode says so too when the pull fails (no AWS credentials)', async () => {
    ecr.on(GetAuthorizationTokenCommand).rejects(new Error('Could not load credentials from any providers'));
    const runner = DockerRunner.fromCloudAssembly(assembly, 'TensorflowScriptModeStack/KerasScript', { workDir: path.join(root, 'work') });
    await expect(runner.train()).rejects.toThrow(new RegExp(`^Local mode needs SageMaker's image ${TENSORFLOW_TRAINING.replace(/\./g, '\\.')} `
      + 'on this machine, and it is not there: pulling it failed \\(Could not get an ECR login token for 763104351884\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com'));
    expect(ecr.commandCalls(GetAuthorizationTokenCommand).map((c) => c.args[0].input)).toEqual([{ registryIds: ['763104351884'] }]);
  });
});

test('examples/sklearn-script-mode uses the scikit-learn image URI that the stand-in is tagged with', () => {
  const assembly = synth((app) => new SklearnScriptModeStack(app, 'SklearnScriptModeStack', { env: { region: 'us-east-1' } }));
  const spec = readRunSpec(assembly, 'SklearnScriptModeStack/IrisScript');
  expect(spec.image).toMatchObject({ kind: 'sagemaker', imageUri: SKLEARN_URI['us-east-1'] });
  expect(spec.code?.entryPoint).toBe('train.py');
});
