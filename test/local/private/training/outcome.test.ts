import { trainingDescription, trainingOutcome, TrainingEnd } from '../../../../src/local/private/training/outcome';

const end = (overrides: Partial<TrainingEnd> = {}): TrainingEnd => ({
  hosts: ['algo-1', 'algo-2'], timedOut: false, maxRuntimeSeconds: 60, stopGraceSeconds: 5, modelSymlinks: [], ...overrides,
});

describe('trainingOutcome', () => {
  test('GIVEN every host exited 0 THEN Completed without a reason', () => {
    expect(trainingOutcome(end())).toEqual({ status: 'Completed', secondaryStatus: 'Completed' });
  });

  test('GIVEN a stop request THEN Stopped without a reason wins over the max runtime and a failing host (the stopped container exits non-zero)', () => {
    expect(trainingOutcome(end({ stopped: true, timedOut: true, firstFailure: { host: 0, code: 143, failureFile: '' } })))
      .toEqual({ status: 'Stopped', secondaryStatus: 'Stopped' });
  });

  test('GIVEN the max runtime was reached THEN MaxRuntimeExceeded wins over a failing host', () => {
    const outcome = trainingOutcome(end({ timedOut: true, firstFailure: { host: 0, code: 137, failureFile: 'killed' } }));
    expect(outcome).toEqual({
      status: 'Failed',
      secondaryStatus: 'MaxRuntimeExceeded',
      failureReason: 'MaxRuntimeExceeded: Training job runtime exceeded MaxRuntimeInSeconds provided (60 s); '
        + 'the containers were sent SIGTERM, then SIGKILL after 5 s.',
    });
  });

  test('GIVEN a host wrote /opt/ml/output/failure THEN its first 1024 characters are the reason', () => {
    const outcome = trainingOutcome(end({ firstFailure: { host: 1, code: 2, failureFile: 'x'.repeat(2000) } }));
    expect(outcome.status).toBe('Failed');
    expect(outcome.failureReason).toBe('x'.repeat(1024));
  });

  test('GIVEN a host failed without a failure file THEN the reason names the host and its exit code', () => {
    expect(trainingOutcome(end({ firstFailure: { host: 1, code: 3, failureFile: '  \n' } })).failureReason)
      .toBe('AlgorithmError: the training container (algo-2) exited with code 3 and wrote no /opt/ml/output/failure.');
  });

  test('GIVEN symbolic links in the model THEN a ClientError lists at most five of them', () => {
    const links = ['a', 'b', 'c', 'd', 'e', 'f'].map((l) => `algo-1:/opt/ml/model/${l}`);
    expect(trainingOutcome(end({ hosts: ['algo-1'], modelSymlinks: links })).failureReason).toBe(
      'ClientError: /opt/ml/model contains symbolic links (algo-1:/opt/ml/model/a, algo-1:/opt/ml/model/b, algo-1:/opt/ml/model/c, '
      + 'algo-1:/opt/ml/model/d, algo-1:/opt/ml/model/e, ...); SageMaker hosting cannot extract model archives with symlinks. Write regular files instead.');
  });
});

describe('trainingDescription', () => {
  test('GIVEN a completed job THEN the description is shaped like DescribeTrainingJob, times and metrics included', () => {
    const start = new Date('2026-01-01T00:00:00.000Z');
    const stop = new Date('2026-01-01T00:00:41.600Z');
    const description = trainingDescription({
      request: {
        TrainingJobName: 'iris',
        RoleArn: 'arn:aws:iam::1:role/r',
        AlgorithmSpecification: { TrainingImage: 'ignored', TrainingInputMode: undefined as any },
        OutputDataConfig: { S3OutputPath: 's3://b/out' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
        StoppingCondition: {},
        HyperParameters: { a: '1' },
      },
      jobName: 'iris-1',
      arn: 'arn:aws:sagemaker:eu-west-1:1:training-job/iris-1',
      image: 'byoa-local/x:1',
      outcome: { status: 'Completed', secondaryStatus: 'Completed' },
      modelArtifact: '/w/iris-1/output/model.tar.gz',
      outputPath: '/w',
      assemblyDir: '/a',
      account: '1',
      maxRuntimeSeconds: 86400,
      finalMetrics: [{ metricName: 'acc', value: 0.9, timestamp: stop, host: 'algo-1' }],
      creationTime: start,
      startTime: start,
      endTime: stop,
    });
    expect(description).toMatchObject({
      TrainingJobName: 'iris-1',
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: 'file:///w/iris-1/output/model.tar.gz' },
      OutputDataConfig: { S3OutputPath: 'file:///w' },
      RoleArn: 'arn:aws:iam::1:role/r',
      AlgorithmSpecification: { TrainingImage: 'byoa-local/x:1', TrainingInputMode: 'File' },
      StoppingCondition: { MaxRuntimeInSeconds: 86400 },
      FinalMetricDataList: [{ MetricName: 'acc', Value: 0.9, Timestamp: stop }],
      TrainingTimeInSeconds: 42,
      LastModifiedTime: stop,
    });
    expect(description.FailureReason).toBeUndefined();
  });

  test('GIVEN a role token, relative and absolute file:// channels and an S3 checkpoint THEN one URI form and a string RoleArn', () => {
    const time = new Date('2026-01-01T00:00:00.000Z');
    const description = trainingDescription({
      request: {
        TrainingJobName: 'iris',
        RoleArn: { 'Fn::GetAtt': ['PipelineTrainingRole12AB', 'Arn'] } as any,
        AlgorithmSpecification: { TrainingImage: 'ignored', TrainingInputMode: 'File' },
        InputDataConfig: [
          { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://asset.abc def' } } },
          { ChannelName: 'test', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file:///data/test' } } },
          { ChannelName: 'cloud', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/k' } } },
        ],
        CheckpointConfig: { S3Uri: 's3://b/checkpoints' },
        OutputDataConfig: { S3OutputPath: 's3://b/out' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
        StoppingCondition: {},
      },
      jobName: 'iris-1',
      arn: 'arn:aws:sagemaker:eu-west-1:123456789012:training-job/iris-1',
      image: 'byoa-local/x:1',
      outcome: { status: 'Failed', secondaryStatus: 'Failed', failureReason: 'boom' },
      outputPath: '/w',
      assemblyDir: '/cdk.out',
      account: '123456789012',
      maxRuntimeSeconds: 60,
      finalMetrics: [],
      creationTime: time,
      startTime: time,
      endTime: time,
    });
    expect(description.RoleArn).toBe('arn:aws:iam::123456789012:role/PipelineTrainingRole12AB');
    expect(description.InputDataConfig!.map((c) => c.DataSource!.S3DataSource!.S3Uri))
      .toEqual(['file:///cdk.out/asset.abc%20def', 'file:///data/test', 's3://b/k']);
    expect(description.CheckpointConfig).toEqual({ S3Uri: 's3://b/checkpoints' });
    expect(description.ModelArtifacts).toEqual({ S3ModelArtifacts: undefined });
  });
});
