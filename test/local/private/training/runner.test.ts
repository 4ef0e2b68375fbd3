import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { Duration } from 'aws-cdk-lib';
import { DockerRunner, ILocalRunObserver, LocalJobStatus, LocalLogEvent, LocalMetricEvent, LocalTrainingResult } from '../../../../src/local';
import { MAX_TIMER_DELAY_MS, startDeadline } from '../../../../src/local/private/deadline';
import { DockerCli } from '../../../../src/local/private/docker';
import { assetImageTag, forgetPresentImages, prepareImage } from '../../../../src/local/private/image';
import { JOB_NAME_PATTERN } from '../../../../src/private/sagemaker-limits';
import {
  FIXTURES, leftoverContainers, makeAssembly, requireDocker, tarEntries, tarMember, TestAssembly, trainingRequest,
} from '../../local-test-helpers';

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
  // THEN (every test): the runner left no container behind. Training containers carry
  // `byoa.pid=<this process>`: other processes using the same engine do not disturb the check.
  expect(leftoverContainers()).toEqual([]);
});

async function train(mode: string, overrides: Parameters<typeof trainingRequest>[1] = {}, grace = 120):
Promise<{ result: LocalTrainingResult; observer: RecordingObserver; seen: (file: string) => string; assembly: TestAssembly }> {
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
  return { result, observer, seen, assembly };
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
    expect(run.result.jobName).toMatch(/^fixture-train-\d{17}-[0-9a-z]+$/);
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

  test('mounts a directory asset as the channel and a file asset inside it', () => {
    expect(run.seen('data-files.txt').trim().split('\n')).toEqual([
      './train/a.csv', './train/sub/b.csv', './validation/asset.data-validation.csv',
    ]);
  });

  test('gives a File channel a writable copy (the user\'s files unchanged) and mounts a FastFile channel read-only', () => {
    // THEN the File-mode channel was writable and the algorithm changed its copy
    const rw = run.seen('data-rw.txt').trim().split('\n');
    expect(rw[0]).toBe('train writable');
    expect(run.seen('train-a.csv')).toBe('1,2\n3,4\nchanged by algo-1\n');
    // THEN the FastFile channel (a single file asset) is a read-only folder: EROFS
    expect(rw[1]).toMatch(/^validation touch: cannot touch '\/opt\/ml\/input\/data\/validation\/written-by-algo': Read-only file system$/);
    // THEN the source files on the host are untouched
    expect(fs.readFileSync(path.join(run.assembly.dir, 'asset.data-train', 'a.csv'), 'utf8')).toBe('1,2\n3,4\n');
    expect(fs.readdirSync(path.join(run.assembly.dir, 'asset.data-train')).sort()).toEqual(['a.csv', 'sub']);
    expect(fs.readdirSync(run.assembly.dir).filter((f) => f.startsWith('asset.data-validation'))).toEqual(['asset.data-validation.csv']);
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
      ModelArtifacts: { S3ModelArtifacts: pathToFileURL(run.result.modelArtifact).href },
      RoleArn: 'arn:aws:iam::123456789012:role/Ignored',
      HyperParameters: { 'learning-rate': '0.1', 'epochs': '3' },
      FinalMetricDataList: [
        expect.objectContaining({ MetricName: 'train:loss', Value: 0.6 }),
        expect.objectContaining({ MetricName: 'accuracy', Value: 0.9 }),
      ],
    }));
    // One URI form for every location: absolute file:// URIs (the request's relative ones resolved against the assembly).
    expect(d.OutputDataConfig.S3OutputPath).toBe(pathToFileURL(workRoot).href);
    expect(d.ResourceConfig.InstanceCount).toBe(1);
    expect(d.InputDataConfig.map((c: any) => c.DataSource.S3DataSource.S3Uri)).toEqual([
      pathToFileURL(path.join(run.assembly.dir, 'asset.data-train')).href,
      pathToFileURL(path.join(run.assembly.dir, 'asset.data-validation.csv')).href,
    ]);
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

describe('files written as root are given back to the invoking user on every path', () => {
  const realChildProcess = jest.requireActual<typeof import('child_process')>('child_process');
  afterEach(() => jest.restoreAllMocks());

  test.each([
    ['a failed job', 'fail', {}],
    ['a job stopped at MaxRuntimeInSeconds', 'sleep', { StoppingCondition: { MaxRuntimeInSeconds: 1 } }],
  ])('%s: a chown container of the job image runs before the scratch folder is removed', async (_what, mode, overrides) => {
    // GIVEN this process is not root (faked: the tests run as root), so ownership must be restored
    jest.spyOn(process, 'getuid').mockReturnValue(4321);
    jest.spyOn(process, 'getgid').mockReturnValue(4322);
    const spawned = jest.spyOn(realChildProcess, 'spawn');
    // WHEN
    const { result, observer } = await train(mode, overrides, 5);
    // THEN the job failed, and a real `chown -R 4321:4322` container ran on the scratch folder, which is gone
    expect(result.status).toBe(LocalJobStatus.FAILED);
    const chown = spawned.mock.calls.map(([, args]) => args as string[]).filter((a) => a[0] === 'run' && a.includes('chown'));
    expect(chown).toHaveLength(1);
    expect(chown[0]).toEqual(expect.arrayContaining(['--network', 'none', '--user', '0:0', '-R', '4321:4322', '/byoa-chown/0']));
    expect(chown[0]).toContainEqual(`type=bind,source=${path.join(workRoot, result.jobName, '.scratch')},target=/byoa-chown/0`);
    expect(fs.readdirSync(path.join(workRoot, result.jobName)).sort()).toEqual(['description.json', 'metrics.json', 'output']);
    expect(observer.progress.filter((p) => /warning/i.test(p))).toEqual([]);
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
    expect(observer.progress.filter((p) => /ignored SIGTERM/.test(p))).toEqual([]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(JSON.parse(fs.readFileSync(result.descriptionPath, 'utf8')).SecondaryStatus).toBe('MaxRuntimeExceeded');
  });

  test('the API\'s largest limit (28 days, beyond setTimeout\'s range) does not stop the job at once', async () => {
    const { result } = await train('ok', { StoppingCondition: { MaxRuntimeInSeconds: 2_419_200 } });
    expect(result.status).toBe(LocalJobStatus.COMPLETED);
    expect(result.failureReason).toBeUndefined();
  });

  test('sends SIGKILL after the grace period to a container that ignores SIGTERM', async () => {
    const started = Date.now();
    const { result, observer } = await train('ignore-term', { StoppingCondition: { MaxRuntimeInSeconds: 1 } }, 2);
    const elapsed = Date.now() - started;
    expect(result.failureReason).toMatch(/^MaxRuntimeExceeded: .*SIGKILL after 2 s/);
    expect(observer.lines.map((l) => l.line)).toContain('ignoring SIGTERM');
    // and says so, with the fix
    expect(observer.progress).toContainEqual(expect.stringMatching(/^the container of image '.+' ignored SIGTERM: it was still running 2 s later and was killed \(SIGKILL\)\..*'docker run --init'/));
    expect(elapsed).toBeGreaterThanOrEqual(3000);
    expect(elapsed).toBeLessThan(30_000);
  });
});

describe('the max-runtime deadline (pure helper, fake timers)', () => {
  beforeEach(() => { jest.useFakeTimers(); });
  afterEach(() => { jest.useRealTimers(); });

  test('a deadline beyond setTimeout\'s 2^31-1 ms limit fires at the deadline, not at once', () => {
    // GIVEN the API's largest MaxRuntimeInSeconds (28 days), more than 2^31-1 ms
    const fired = jest.fn();
    const ms = 2_419_200 * 1000;
    expect(ms).toBeGreaterThan(MAX_TIMER_DELAY_MS);
    const spy = jest.spyOn(global, 'setTimeout');
    // WHEN
    startDeadline(ms, fired);
    // THEN no timer is ever armed beyond the limit, and it has not fired early
    expect(spy.mock.calls.every(([, delay]) => (delay ?? 0) <= MAX_TIMER_DELAY_MS)).toBe(true);
    jest.advanceTimersByTime(1);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(MAX_TIMER_DELAY_MS); // the first chunk ends: re-armed for the rest
    expect(fired).not.toHaveBeenCalled();
    expect(spy).toHaveBeenLastCalledWith(expect.any(Function), ms - MAX_TIMER_DELAY_MS);
    jest.advanceTimersByTime(ms - 2 - MAX_TIMER_DELAY_MS);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10 * MAX_TIMER_DELAY_MS);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls.every(([, delay]) => (delay ?? 0) <= MAX_TIMER_DELAY_MS)).toBe(true);
    spy.mockRestore();
  });

  test('a short deadline is one timer; cancel stops it, also between chunks', () => {
    const short = jest.fn();
    startDeadline(2000, short);
    jest.advanceTimersByTime(1999);
    expect(short).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(short).toHaveBeenCalledTimes(1);

    const long = jest.fn();
    const d = startDeadline(3 * MAX_TIMER_DELAY_MS, long);
    jest.advanceTimersByTime(MAX_TIMER_DELAY_MS + 5);
    d.cancel();
    d.cancel();
    jest.advanceTimersByTime(3 * MAX_TIMER_DELAY_MS);
    expect(long).not.toHaveBeenCalled();
    expect(() => startDeadline(-1, long)).toThrow(/non-negative/);
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
    const { result, observer } = await train('ok', { ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2, VolumeSizeInGB: 10 } });
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
    // THEN the ShardedByS3Key channel given in full to both hosts is said, not silent
    expect(observer.progress).toContainEqual(expect.stringMatching(
      /^Note: channel 'validation' is ShardedByS3Key, but local mode gives every one of the 2 hosts the full data/));
    // THEN each host got its own writable copy of the File channel (algo-1's copy holds only its own change)
    expect(tarMember(result.modelArtifact, 'seen/train-a.csv')).toBe('1,2\n3,4\nchanged by algo-1\n');
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

describe('input modes', () => {
  test('a FastFile folder channel is read-only (EROFS) and a File single-file channel is a writable copy', async () => {
    // GIVEN the folder channel in FastFile mode and the single-file channel in File mode
    const request = trainingRequest('ok');
    const [trainChannel, validationChannel] = request.InputDataConfig!;
    const { result, seen, assembly } = await train('ok', {
      InputDataConfig: [{ ...trainChannel, InputMode: 'FastFile' }, { ...validationChannel, InputMode: 'File' }],
    });
    // THEN the job still completes (the fixture's failed write is not fatal)
    expect(result.status).toBe(LocalJobStatus.COMPLETED);
    const rw = seen('data-rw.txt').trim().split('\n');
    expect(rw[0]).toMatch(/^train touch: .*Read-only file system$/);
    expect(rw[1]).toBe('validation writable');
    expect(seen('data-files.txt').trim().split('\n')).toEqual([
      './train/a.csv', './train/sub/b.csv', './validation/asset.data-validation.csv',
    ]);
    // THEN nothing was written into the user's files
    expect(fs.readdirSync(path.join(assembly.dir, 'asset.data-train')).sort()).toEqual(['a.csv', 'sub']);
    expect(fs.readFileSync(path.join(assembly.dir, 'asset.data-train', 'a.csv'), 'utf8')).toBe('1,2\n3,4\n');
  });
});

describe('what local mode does differently is said, not silent', () => {
  test('CheckpointConfig: the folder is mounted, S3 is not synchronised, and a note says so', async () => {
    const { result, observer } = await train('ok', { CheckpointConfig: { S3Uri: 's3://bucket/checkpoints', LocalPath: '/opt/ml/checkpoints' } });
    expect(result.status).toBe(LocalJobStatus.COMPLETED);
    expect(observer.progress).toContainEqual(expect.stringMatching(
      /^Note: CheckpointConfig is only partly reproduced: \/opt\/ml\/checkpoints is an empty, writable folder .*s3:\/\/bucket\/checkpoints/));
  });

  test('a single host with a ShardedByS3Key channel gets no sharding note (one host reads everything on SageMaker too)', async () => {
    const { observer } = await train('quick');
    expect(observer.progress.filter((p) => p.includes('ShardedByS3Key'))).toEqual([]);
  });
});

describe('the Docker CLI of a runner', () => {
  /** A wrapper of the real CLI that records each call's arguments (one line per call) in its own log, then runs it. */
  function recordingCli(name: string): { path: string; calls: () => string[] } {
    const exe = path.join(workRoot, `docker-${name}-${process.pid}`);
    const log = `${exe}.log`;
    fs.writeFileSync(exe, `#!/bin/sh\necho "$*" >> '${log}'\nexec docker "$@"\n`, { mode: 0o755 });
    return { path: exe, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => l) : []) };
  }

  test('GIVEN two runners with different CLIs in one process WHEN both train at once THEN each runner\'s docker calls go through its own CLI only', async () => {
    // GIVEN two recording CLIs, a runner on each, and a runner whose CLI does not exist
    const a = recordingCli('a');
    const b = recordingCli('b');
    const assembly = makeAssembly(trainingRequest('quick'));
    assemblies.push(assembly);
    const runnerA = DockerRunner.fromCloudAssembly(assembly.dir, assembly.pipeline, { workDir: workRoot, dockerExecutable: a.path });
    const runnerB = DockerRunner.fromCloudAssembly(assembly.dir, assembly.pipeline, { workDir: workRoot, dockerExecutable: b.path });
    const broken = DockerRunner.fromCloudAssembly(assembly.dir, assembly.pipeline, { workDir: workRoot, dockerExecutable: '/no/such/docker-cli' });
    // WHEN all three train at the same time
    const [ra, rb, rbroken] = await Promise.allSettled([runnerA.train(), runnerB.train(), broken.train()]);
    // THEN both working runners completed, and the broken CLI failed its own runner only
    expect(ra.status).toBe('fulfilled');
    expect(rb.status).toBe('fulfilled');
    const jobA = (ra as PromiseFulfilledResult<LocalTrainingResult>).value;
    const jobB = (rb as PromiseFulfilledResult<LocalTrainingResult>).value;
    expect([jobA.status, jobB.status]).toEqual([LocalJobStatus.COMPLETED, LocalJobStatus.COMPLETED]);
    expect(rbroken.status).toBe('rejected');
    expect((rbroken as PromiseRejectedResult).reason.message).toMatch(/Docker CLI '\/no\/such\/docker-cli' could not be started/);
    // THEN each CLI checked the engine and ran exactly its own runner's container, never the other's
    for (const [cli, own, other] of [[a, jobA, jobB], [b, jobB, jobA]] as const) {
      const calls = cli.calls();
      expect(calls.filter((c) => c.startsWith('version '))).toHaveLength(1); // the engine check, once per CLI object
      const runs = calls.filter((c) => c.startsWith('run '));
      expect(runs).toHaveLength(1);
      expect(runs[0]).toContain(`--name byoa-${own.jobName}-algo-1`);
      expect(calls.filter((c) => c.includes(other.jobName))).toEqual([]);
    }
  });

  test('a CLI object checks its engine once, and CDK_DOCKER names the default CLI', async () => {
    // GIVEN a fake CLI that counts its calls and answers like an engine without a bridge
    const log = path.join(workRoot, `fake-docker-${process.pid}.log`);
    const fake = path.join(workRoot, `fake-docker-${process.pid}`);
    fs.writeFileSync(fake, `#!/bin/sh\necho "$1" >> '${log}'\n[ "$1" = version ] && echo 27.0.0\n[ "$1" = network ] && exit 1\nexit 0\n`, { mode: 0o755 });
    const one = new DockerCli(fake);
    // WHEN asked three times, and another object once
    const infos = await Promise.all([one.engine(), one.engine(), one.engine()]);
    await new DockerCli(fake).engine();
    // THEN one check per object (version, then the bridge inspect)
    expect(infos.map((i) => i.serverVersion)).toEqual(['27.0.0', '27.0.0', '27.0.0']);
    expect(infos[0]).toEqual({ executable: fake, serverVersion: '27.0.0', hasBridge: false });
    expect(fs.readFileSync(log, 'utf8').split('\n').filter((l) => l)).toEqual(['version', 'network', 'version', 'network']);
    // AND the default CLI comes from CDK_DOCKER (trimmed), else docker; an explicit executable wins
    expect(DockerCli.fromEnvironment({ CDK_DOCKER: ' /opt/podman/bin/podman ' }).executable).toBe('/opt/podman/bin/podman');
    expect(DockerCli.fromEnvironment({}).executable).toBe('docker');
    expect(DockerCli.of('/usr/local/bin/nerdctl').executable).toBe('/usr/local/bin/nerdctl');
    expect(DockerCli.of(undefined).executable).toBe(process.env.CDK_DOCKER?.trim() || 'docker');
  });
});

describe('asset image preparation', () => {
  const docker = DockerCli.fromEnvironment();
  test('builds from sourceDirectory, saying so, when the staged copy is missing', async () => {
    // GIVEN an asset whose staged copy is missing but whose source folder exists
    const directory = `asset.missing-${process.pid}-${Date.now()}`;
    const spec = { kind: 'asset' as const, directory, sourceDirectory: path.join(FIXTURES, 'training') };
    const tag = assetImageTag(spec);
    const lines: string[] = [];
    forgetPresentImages();
    try {
      // WHEN
      const ref = await prepareImage(spec, workRoot, { docker, onLine: (l) => lines.push(l) });
      // THEN it was built from the source folder and the progress says so
      expect(ref).toBe(tag);
      expect(lines[0]).toBe(`The staged image asset ${path.join(workRoot, directory)} is missing: building from the original source folder `
        + `${path.join(FIXTURES, 'training')} instead.`);
      expect((await docker.run(['image', 'inspect', '--format', '{{.Id}}', tag], { check: false })).exitCode).toBe(0);
    } finally {
      await docker.run(['rmi', '-f', tag], { check: false });
      forgetPresentImages();
    }
  });

  test('fails clearly when neither the staged copy nor sourceDirectory exists', async () => {
    const spec = { kind: 'asset' as const, directory: `asset.gone-${process.pid}`, sourceDirectory: '/no/such/source' };
    await expect(prepareImage(spec, workRoot, { docker })).rejects.toThrow(
      /The image asset directory .*asset\.gone-\d+ does not exist, and neither does its original source folder \/no\/such\/source: run 'cdk synth' again/);
  });
});

describe('a channel without data', () => {
  test('GIVEN an empty channel folder WHEN trained THEN the job is refused as SageMaker refuses it, before any container starts', async () => {
    // GIVEN a channel whose folder holds only an empty sub-folder
    const request = trainingRequest('ok');
    const assembly = makeAssembly({
      ...request,
      InputDataConfig: [{
        ChannelName: 'train',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://asset.empty', S3DataDistributionType: 'FullyReplicated' } },
      }],
    });
    assemblies.push(assembly);
    fs.mkdirSync(path.join(assembly.dir, 'asset.empty', 'nothing-here'), { recursive: true });
    const observer = new RecordingObserver();
    const runner = DockerRunner.fromCloudAssembly(assembly.dir, assembly.pipeline, { workDir: workRoot, observer });
    // WHEN / THEN
    await expect(runner.train()).rejects.toThrow(
      /^No S3 objects found under S3 URL "file:\/\/asset\.empty" given in input data source \(channel 'train': the folder .*asset\.empty holds no files\)/);
    expect(observer.lines).toEqual([]); // the fixture prints a line as soon as it starts
  });
});
