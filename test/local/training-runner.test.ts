import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import {
  leftoverContainers, makeAssembly, requireDocker, tarEntries, tarMember, TestAssembly, trainingRequest,
} from './local-test-helpers';
import { DockerRunner, ILocalRunObserver, LocalJobStatus, LocalLogEvent, LocalMetricEvent, LocalTrainingResult } from '../../src/local';
import { JOB_NAME_PATTERN } from '../../src/local/private/job-name';

class RecordingObserver implements ILocalRunObserver {
  public readonly lines: LocalLogEvent[] = [];
  public readonly metrics: LocalMetricEvent[] = [];
  public readonly progress: string[] = [];
  public onLogLine(e: LocalLogEvent) { this.lines.push(e); }
  public onMetric(e: LocalMetricEvent) { this.metrics.push(e); }
  public onProgress(m: string) { this.progress.push(m); }
}

let workRoot: string;
const assemblies: TestAssembly[] = [];

beforeAll(() => {
  requireDocker();
  workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-test-work-'));
});

afterAll(() => {
  assemblies.forEach((a) => a.dispose());
  fs.rmSync(workRoot, { recursive: true, force: true });
});

afterEach(() => {
  // THEN (every test): the runner left no container behind
  expect(leftoverContainers()).toEqual([]);
});

async function train(mode: string, overrides: Parameters<typeof trainingRequest>[1] = {}, grace = 120):
Promise<{ result: LocalTrainingResult; observer: RecordingObserver; seen: (file: string) => string }> {
  const assembly = makeAssembly(trainingRequest(mode, overrides));
  assemblies.push(assembly);
  const observer = new RecordingObserver();
  const runner = DockerRunner.fromCloudAssembly(assembly.dir, assembly.pipeline, {
    workDir: workRoot,
    observer,
    maxRuntimeGracePeriod: Duration.seconds(grace),
  });
  const result = await runner.train();
  const seen = (file: string) => tarMember(result.modelArtifact, `seen/${file}`);
  return { result, observer, seen };
}

describe('a job that completes', () => {
  let run: Awaited<ReturnType<typeof train>>;
  beforeAll(async () => {
    // GIVEN the fixture algorithm in mode ok, WHEN trained
    run = await train('ok');
  });

  test('is Completed with a valid unique job name', () => {
    expect(run.result.status).toBe(LocalJobStatus.COMPLETED);
    expect(run.result.failureReason).toBeUndefined();
    expect(run.result.jobName).toMatch(/^fixture-train-\d{17}$/);
    expect(run.result.jobName).toMatch(JOB_NAME_PATTERN);
  });

  test('writes the three config files exactly as SageMaker does', () => {
    expect(JSON.parse(run.seen('hyperparameters.json'))).toEqual({ 'learning-rate': '0.1', 'epochs': '3' });
    expect(run.seen('inputdataconfig.json')).toBe(JSON.stringify({
      train: { ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
      validation: { TrainingInputMode: 'FastFile', S3DistributionType: 'ShardedByS3Key', RecordWrapperType: 'None' },
    }));
    expect(JSON.parse(run.seen('resourceconfig.json'))).toEqual({
      current_host: 'algo-1',
      hosts: ['algo-1'],
      network_interface_name: 'eth0',
      current_instance_type: 'ml.m5.large',
      current_group_name: 'homogeneousCluster',
      instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: 'ml.m5.large', hosts: ['algo-1'] }],
    });
  });

  test('mounts the channels read-only, a directory asset as the channel and a file asset inside it', () => {
    expect(run.seen('data-files.txt').trim().split('\n')).toEqual([
      './train/a.csv', './train/sub/b.csv', './validation/asset.data-validation.csv',
    ]);
    expect(run.seen('data-ro.txt').trim()).toBe('readonly');
  });

  test('runs `train` with the SageMaker environment and the request environment', () => {
    expect(run.seen('args.txt').trim()).toBe('train');
    const env = run.seen('env.txt');
    expect(env).toContain(`TRAINING_JOB_NAME=${run.result.jobName}\n`);
    expect(env).toContain(`TRAINING_JOB_ARN=arn:aws:sagemaker:eu-west-1:123456789012:training-job/${run.result.jobName}\n`);
    expect(env).toContain('AWS_REGION=eu-west-1\n');
    expect(env).toContain('MODE=ok\n');
    expect(env).not.toMatch(/^SM_/m);
    expect(run.seen('resolve.txt')).toMatch(/^127\.0\.1\.1\s+algo-1$/m);
  });

  test('exports model.tar.gz from /opt/ml/model and output.tar.gz from /opt/ml/output/data only, with relative members', () => {
    expect(run.result.modelArtifact).toBe(path.join(workRoot, run.result.jobName, 'output', 'model.tar.gz'));
    const members = tarEntries(run.result.modelArtifact);
    expect(members).toEqual(expect.arrayContaining(['common.txt', 'host-algo-1.txt', 'seen/', 'seen/env.txt']));
    expect(members.filter((m) => m.startsWith('/') || m.startsWith('./'))).toEqual([]);
    expect(tarEntries(run.result.outputArtifact)).toEqual(['result.txt']);
    expect(tarMember(run.result.outputArtifact, 'result.txt')).toBe('artifact from algo-1\n');
  });

  test('applies metric definitions live and keeps the last value of each', () => {
    expect(run.observer.metrics.map((m) => [m.metricName, m.value])).toEqual([
      ['train:loss', 0.8], ['accuracy', 0.7], ['train:loss', 0.7], ['accuracy', 0.8], ['train:loss', 0.6], ['accuracy', 0.9],
    ]);
    expect(run.result.finalMetrics.map((m) => [m.metricName, m.value])).toEqual([['train:loss', 0.6], ['accuracy', 0.9]]);
    const metricsFile = JSON.parse(fs.readFileSync(run.result.metricsPath, 'utf8'));
    expect(metricsFile.series).toHaveLength(6);
    expect(metricsFile.finalMetrics[0]).toEqual(expect.objectContaining({ MetricName: 'train:loss', Value: 0.6, Host: 'algo-1' }));
  });

  test('streams stdout and stderr lines with the job name and host', () => {
    expect(run.observer.lines).toEqual(expect.arrayContaining([
      { jobName: run.result.jobName, host: 'algo-1', stream: 'stdout', line: 'starting ok on algo-1' },
      { jobName: run.result.jobName, host: 'algo-1', stream: 'stderr', line: 'to stderr' },
    ]));
  });

  test('writes a description shaped like DescribeTrainingJobResponse', () => {
    const d = JSON.parse(fs.readFileSync(run.result.descriptionPath, 'utf8'));
    expect(d).toEqual(expect.objectContaining({
      TrainingJobName: run.result.jobName,
      TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${run.result.jobName}`,
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: run.result.modelArtifact },
      HyperParameters: { 'learning-rate': '0.1', 'epochs': '3' },
      FinalMetricDataList: [
        expect.objectContaining({ MetricName: 'train:loss', Value: 0.6 }),
        expect.objectContaining({ MetricName: 'accuracy', Value: 0.9 }),
      ],
    }));
    expect(d.OutputDataConfig.S3OutputPath).toBe(workRoot);
    expect(d.ResourceConfig.InstanceCount).toBe(1);
    expect(d.InputDataConfig).toHaveLength(2);
    for (const k of ['CreationTime', 'TrainingStartTime', 'TrainingEndTime']) {
      expect(d[k]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  test('removes its scratch folder', () => {
    expect(fs.readdirSync(path.join(workRoot, run.result.jobName)).sort()).toEqual(['description.json', 'metrics.json', 'output']);
  });
});

test('a job that writes nothing gets valid empty archives', async () => {
  const { result } = await train('quick');
  expect(result.status).toBe(LocalJobStatus.COMPLETED);
  expect(tarEntries(result.modelArtifact)).toEqual([]);
  expect(tarEntries(result.outputArtifact)).toEqual([]);
});

describe('a job that fails', () => {
  test('takes FailureReason from /opt/ml/output/failure and still exports artifacts', async () => {
    // GIVEN an algorithm that writes a failure file and exits 3, WHEN trained
    const { result } = await train('fail');
    // THEN
    expect(result.status).toBe(LocalJobStatus.FAILED);
    expect(result.failureReason).toBe('ValueError: bad hyperparameter lr\n');
    expect(tarEntries(result.modelArtifact)).toContain('host-algo-1.txt');
    expect(tarEntries(result.outputArtifact)).toEqual(['result.txt']);
    expect(JSON.parse(fs.readFileSync(result.descriptionPath, 'utf8')).TrainingJobStatus).toBe('Failed');
  });

  test('without a failure file, reports the exit code', async () => {
    const { result } = await train('fail-nofile');
    expect(result.status).toBe(LocalJobStatus.FAILED);
    expect(result.failureReason).toMatch(/AlgorithmError: .*exited with code 7/);
  });

  test('keeps only the first 1024 characters of the failure file', async () => {
    const { result } = await train('longfail');
    expect(result.failureReason).toBe('x'.repeat(1024));
  });

  test('rejects a model folder with a symbolic link, like hosting would', async () => {
    const { result } = await train('symlink');
    expect(result.status).toBe(LocalJobStatus.FAILED);
    expect(result.failureReason).toMatch(/ClientError: \/opt\/ml\/model contains symbolic links \(algo-1:\/opt\/ml\/model\/link\)/);
    expect(fs.existsSync(result.modelArtifact)).toBe(false);
  });
});

describe('MaxRuntimeInSeconds', () => {
  test('sends SIGTERM when reached and fails with MaxRuntimeExceeded', async () => {
    // GIVEN an algorithm that sleeps and handles SIGTERM, and a 2 s limit
    const started = Date.now();
    const { result, observer } = await train('sleep', { StoppingCondition: { MaxRuntimeInSeconds: 2 } }, 5);
    // THEN it was stopped by SIGTERM (well before SIGKILL) and the job failed
    expect(result.status).toBe(LocalJobStatus.FAILED);
    expect(result.failureReason).toMatch(/^MaxRuntimeExceeded: /);
    expect(observer.lines.map((l) => l.line)).toContain('got SIGTERM');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(JSON.parse(fs.readFileSync(result.descriptionPath, 'utf8')).SecondaryStatus).toBe('MaxRuntimeExceeded');
  });

  test('sends SIGKILL after the grace period to a container that ignores SIGTERM', async () => {
    const started = Date.now();
    const { result, observer } = await train('ignore-term', { StoppingCondition: { MaxRuntimeInSeconds: 1 } }, 2);
    const elapsed = Date.now() - started;
    expect(result.failureReason).toMatch(/^MaxRuntimeExceeded: .*SIGKILL after 2 s/);
    expect(observer.lines.map((l) => l.line)).toContain('ignoring SIGTERM');
    expect(elapsed).toBeGreaterThanOrEqual(3000);
    expect(elapsed).toBeLessThan(30_000);
  });
});

describe('algorithm specification and network', () => {
  test('ContainerEntrypoint replaces the entrypoint and ContainerArguments replace `train`', async () => {
    const { result, seen } = await train('ok', {
      AlgorithmSpecification: {
        TrainingInputMode: 'File',
        TrainingImage: 'x',
        ContainerEntrypoint: ['/usr/local/bin/train', 'first'],
        ContainerArguments: ['--epochs', '3'],
      },
    });
    expect(result.status).toBe(LocalJobStatus.COMPLETED);
    expect(seen('args.txt').trim()).toBe('first --epochs 3');
  });

  test('ContainerArguments alone replace `train` (the image must then accept them)', async () => {
    const { result, observer } = await train('ok', {
      AlgorithmSpecification: { TrainingInputMode: 'File', TrainingImage: 'x', ContainerArguments: ['train', 'extra'] },
    });
    expect(result.status).toBe(LocalJobStatus.COMPLETED);
    expect(tarMember(result.modelArtifact, 'seen/args.txt').trim()).toBe('train extra');
    expect(observer.lines.length).toBeGreaterThan(0);
  });

  test('EnableNetworkIsolation runs the container without network (loopback only)', async () => {
    const { result, seen } = await train('ok', { EnableNetworkIsolation: true });
    expect(result.status).toBe(LocalJobStatus.COMPLETED);
    expect(seen('net.txt').trim().split('\n')).toEqual(['lo']);
  });
});

describe('several instances', () => {
  test('run algo-1..algo-N at once, resolve each other, and merge their models (first host wins)', async () => {
    // GIVEN InstanceCount 2
    const { result } = await train('ok', { ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2, VolumeSizeInGB: 10 } });
    // THEN
    expect(result.status).toBe(LocalJobStatus.COMPLETED);
    const members = tarEntries(result.modelArtifact);
    expect(members).toEqual(expect.arrayContaining(['host-algo-1.txt', 'host-algo-2.txt', 'common.txt']));
    expect(tarMember(result.modelArtifact, 'common.txt')).toBe('algo-1\n');
    const rc = JSON.parse(tarMember(result.modelArtifact, 'seen/resourceconfig.json'));
    expect(rc).toEqual(expect.objectContaining({ current_host: 'algo-1', hosts: ['algo-1', 'algo-2'], current_instance_type: 'ml.m5.xlarge' }));
    const resolved = tarMember(result.modelArtifact, 'seen/resolve.txt');
    expect(resolved).toMatch(/^127\.0\.1\.1\s+algo-1$/m);
    expect(resolved).toMatch(/^127\.0\.1\.2\s+algo-2$/m);
  });

  test('fail when any host fails, stopping the others', async () => {
    const started = Date.now();
    const { result, observer } = await train('fail-on-2', { ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeSizeInGB: 10 } }, 5);
    expect(result.status).toBe(LocalJobStatus.FAILED);
    expect(result.failureReason).toBe('algo-2 broke\n');
    expect(observer.lines).toEqual(expect.arrayContaining([expect.objectContaining({ host: 'algo-1', line: 'got SIGTERM' })]));
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});

describe('inputs local mode cannot read fail up front', () => {
  function channel(name: string, uri: string, mode?: string) {
    return [{ ChannelName: name, InputMode: mode as 'File', DataSource: { S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: uri } } }];
  }

  test('unresolved:// names the channel', async () => {
    await expect(train('ok', { InputDataConfig: channel('train', 'unresolved://bucket/Token') }))
      .rejects.toThrow(/Channel 'train' reads from unresolved:\/\/bucket\/Token, a location only known after deployment/);
  });

  test('Pipe mode is rejected with a clear message', async () => {
    await expect(train('ok', { InputDataConfig: channel('train', 'file://asset.data-train', 'Pipe') }))
      .rejects.toThrow(/Channel 'train' uses Pipe input mode, which local mode does not support/);
  });

  test('a missing file:// asset names the channel and the path', async () => {
    await expect(train('ok', { InputDataConfig: channel('extra', 'file://asset.missing') }))
      .rejects.toThrow(/Channel 'extra' reads from file:\/\/asset.missing, but .*asset.missing does not exist/);
  });

  test('s3:// without credentials says so before any container starts', async () => {
    const saved = { ...process.env };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) {
      delete process.env[k];
    }
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(workRoot, 'no-credentials');
    process.env.AWS_CONFIG_FILE = path.join(workRoot, 'no-config');
    try {
      await expect(train('ok', { InputDataConfig: channel('train', 's3://some-bucket/data/') }))
        .rejects.toThrow(/Channel\(s\) 'train' \(s3:\/\/some-bucket\/data\/\) read from S3, but no AWS credentials were found/);
    } finally {
      process.env = saved;
    }
  });
});
