/**
 * Overhead of the local training runner against a plain `docker run --rm`
 * of the same container with the same mounts, in two rows:
 *
 * 1. a container that exits at once (the runner's fixed cost);
 * 2. script mode: the scikit-learn lab's script (examples/sklearn-script-mode)
 *    on the stand-in framework image (test/local/fixtures/framework) under
 *    SageMaker's URI; the plain run mounts the code at /opt/ml/code itself.
 *
 *   npx ts-node bench/local-training.ts [ITERATIONS]
 *
 * Runs both sides alternately (after one warm-up each, which also builds the
 * image), prints the medians in ms and the ratio (target: <= 1.2x).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DockerRunner } from '../src/local';
import { RUN_SPEC_METADATA_TYPE, RunSpec } from '../src/private/run-spec';
import { ensureStandInImage } from '../test/local/fixtures/framework/stand-in';
import { LAB_CODE, LAB_DATA, PIPELINE, scriptAssembly, SKLEARN } from '../test/local/fixtures/script-mode/assembly';

const ITERATIONS = Number(process.argv[2] ?? 10);
const FIXTURE = path.join(__dirname, '..', 'test', 'local', 'fixtures', 'training');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Medians of `runner.train()` and of the plain `docker run` whose arguments
 * `plainArgsFor(image)` gives, run alternately after a warm-up of each.
 */
async function measure(label: string, runner: DockerRunner, plainArgsFor: (image: string) => string[]): Promise<void> {
  // Warm-up: builds the image, fills caches.
  const first = await runner.train();
  if (first.status !== 'Completed') { throw new Error(`warm-up job failed: ${first.failureReason}`); }
  const image = JSON.parse(fs.readFileSync(first.descriptionPath, 'utf8')).AlgorithmSpecification.TrainingImage as string;
  const plainArgs = plainArgsFor(image);
  const plain = () => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.env.CDK_DOCKER || 'docker', plainArgs, { stdio: 'ignore' });
    if (r.status !== 0) { throw new Error(`plain docker run failed (${r.status})`); }
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const viaRunner = async () => {
    const t = process.hrtime.bigint();
    const r = await runner.train();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 'Completed') { throw new Error(`runner job failed: ${r.failureReason}`); }
    return ms;
  };
  plain();

  const plainTimes: number[] = [];
  const runnerTimes: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    if (i % 2 === 0) {
      plainTimes.push(plain());
      runnerTimes.push(await viaRunner());
    } else {
      runnerTimes.push(await viaRunner());
      plainTimes.push(plain());
    }
  }
  const p = median(plainTimes);
  const r = median(runnerTimes);
  console.log(`\n${label}`);
  console.log(`iterations:            ${ITERATIONS}`);
  console.log(`plain docker run --rm: median ${p.toFixed(0)} ms`);
  console.log(`DockerRunner.train():  median ${r.toFixed(0)} ms`);
  console.log(`ratio:                 ${(r / p).toFixed(2)}x (target <= 1.20x)`);
}

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-bench-'));
  try {
    const assembly = path.join(root, 'cdk.out');
    fs.mkdirSync(path.join(assembly, 'asset.bench-data'), { recursive: true });
    fs.writeFileSync(path.join(assembly, 'asset.bench-data', 'a.csv'), '1,2\n');
    fs.cpSync(FIXTURE, path.join(assembly, 'asset.bench-image'), { recursive: true });
    const spec: RunSpec = {
      version: 1,
      pipeline: 'Bench/Pipe',
      image: { kind: 'asset', directory: 'asset.bench-image' },
      options: { localMode: true, smEnvironment: false },
      training: {
        TrainingJobName: 'bench',
        RoleArn: 'unused',
        AlgorithmSpecification: { TrainingInputMode: 'File', TrainingImage: 'unused', MetricDefinitions: [{ Name: 'loss', Regex: 'loss=([0-9.]+)' }] },
        HyperParameters: { a: '1' },
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://asset.bench-data' } } }],
        OutputDataConfig: { S3OutputPath: 'unused' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
        StoppingCondition: { MaxRuntimeInSeconds: 60 },
        Environment: { MODE: 'quick' },
      },
      model: { ModelName: 'unused' },
    };
    fs.writeFileSync(path.join(assembly, 'manifest.json'), JSON.stringify({
      version: '48.0.0',
      artifacts: { Bench: { type: 'aws:cloudformation:stack', metadata: { '/Bench/Pipe': [{ type: RUN_SPEC_METADATA_TYPE, data: spec }] } } },
    }));
    const runner = DockerRunner.fromCloudAssembly(assembly, 'Bench/Pipe', { workDir: path.join(root, 'work') });
    await measure('container that exits at once', runner, (image) => {
      const plainDir = path.join(root, 'plain');
      for (const d of ['config', 'model', 'output/data']) { fs.mkdirSync(path.join(plainDir, d), { recursive: true }); }
      fs.writeFileSync(path.join(plainDir, 'config', 'hyperparameters.json'), '{"a":"1"}');
      return ['run', '--rm', '--network', 'host', '-e', 'MODE=quick',
        '-v', `${path.join(plainDir, 'config')}:/opt/ml/input/config`,
        '-v', `${path.join(assembly, 'asset.bench-data')}:/opt/ml/input/data/train:ro`,
        '-v', `${path.join(plainDir, 'model')}:/opt/ml/model`,
        '-v', `${path.join(plainDir, 'output')}:/opt/ml/output`,
        image, 'train'];
    });

    await ensureStandInImage([SKLEARN]);
    const script = scriptAssembly(root, { code: LAB_CODE, hyperparameters: { max_leaf_nodes: '30' } });
    const scriptRunner = DockerRunner.fromCloudAssembly(script.dir, PIPELINE, { workDir: path.join(root, 'work') });
    await measure('script mode: the scikit-learn lab on the stand-in framework image', scriptRunner, (image) => {
      const plainDir = path.join(root, 'plain-script');
      for (const d of ['config', 'model', 'output/data']) { fs.mkdirSync(path.join(plainDir, d), { recursive: true }); }
      const hyperparameters = { ...script.spec.training.HyperParameters, sagemaker_submit_directory: '"/opt/ml/code"' };
      fs.writeFileSync(path.join(plainDir, 'config', 'hyperparameters.json'), JSON.stringify(hyperparameters));
      fs.writeFileSync(path.join(plainDir, 'config', 'inputdataconfig.json'), '{"train":{"ContentType":"text/csv","TrainingInputMode":"File"}}');
      return ['run', '--rm', '--network', 'host',
        '-v', `${path.join(plainDir, 'config')}:/opt/ml/input/config`,
        '-v', `${path.join(LAB_DATA, 'train')}:/opt/ml/input/data/train:ro`,
        '-v', `${path.join(plainDir, 'model')}:/opt/ml/model`,
        '-v', `${path.join(plainDir, 'output')}:/opt/ml/output`,
        '-v', `${LAB_CODE}:/opt/ml/code:ro`,
        image, 'train'];
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
