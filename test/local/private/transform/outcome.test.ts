import { transformDescription, transformFailureReason } from '../../../../src/local/private/transform/outcome';

describe('transformFailureReason', () => {
  test('GIVEN every file succeeded THEN there is no reason', () => {
    expect(transformFailureReason([{}, {}])).toBeUndefined();
  });

  test('GIVEN several files failed THEN the first one\'s reason says how many more failed', () => {
    expect(transformFailureReason([{}, { failureReason: 'b.csv: 500' }, { failureReason: 'c.csv: 400' }]))
      .toBe('b.csv: 500 (and 1 more of 3 input files failed)');
  });

  test('GIVEN a long reason THEN it is cut to SageMaker\'s 1024 characters', () => {
    expect(transformFailureReason([{ failureReason: 'x'.repeat(3000) }])).toBe('x'.repeat(1024));
  });
});

describe('transformDescription', () => {
  test('GIVEN a failed job THEN the description says Failed with the effective batch settings', () => {
    const time = new Date('2026-01-01T00:00:00Z');
    const description = transformDescription({
      request: { TransformJobName: 'tj', ModelName: undefined, TransformInput: undefined, TransformOutput: { S3OutputPath: 's3://x/' }, TransformResources: undefined },
      jobName: 'tj-1',
      arn: 'arn:aws:sagemaker:eu-west-1:1:transform-job/tj-1',
      modelName: 'model',
      failureReason: 'a.csv: 500',
      executionParameters: { maxConcurrentTransforms: 4, multiRecord: false, maxPayloadInMB: 6 },
      invocationsTimeoutSeconds: 600,
      invocationsMaxRetries: 3,
      outputDir: '/w/tj-1',
      assemblyDir: '/a',
      creationTime: time,
      startTime: time,
      endTime: time,
    });
    expect(description).toMatchObject({
      TransformJobName: 'tj-1',
      TransformJobArn: 'arn:aws:sagemaker:eu-west-1:1:transform-job/tj-1',
      TransformJobStatus: 'Failed',
      FailureReason: 'a.csv: 500',
      ModelName: 'model',
      MaxConcurrentTransforms: 4,
      BatchStrategy: 'SingleRecord',
      MaxPayloadInMB: 6,
      ModelClientConfig: { InvocationsTimeoutInSeconds: 600, InvocationsMaxRetries: 3 },
      TransformOutput: { S3OutputPath: 'file:///w/tj-1' },
    });
  });

  test('GIVEN a stopped job THEN the description says Stopped without a failure reason, whatever its files did', () => {
    const time = new Date('2026-01-01T00:00:00Z');
    const description = transformDescription({
      request: { TransformJobName: 'tj', ModelName: 'm', TransformInput: undefined, TransformOutput: { S3OutputPath: 's3://x/' }, TransformResources: undefined },
      jobName: 'tj-2',
      arn: 'arn:aws:sagemaker:eu-west-1:1:transform-job/tj-2',
      stopped: true,
      failureReason: 'b.csv: the container stopped',
      executionParameters: { maxConcurrentTransforms: 1, multiRecord: true, maxPayloadInMB: 6 },
      invocationsTimeoutSeconds: 600,
      invocationsMaxRetries: 3,
      outputDir: '/w/tj-2',
      assemblyDir: '/a',
      creationTime: time,
      startTime: time,
      endTime: time,
    });
    expect(description.TransformJobStatus).toBe('Stopped');
    expect(description.FailureReason).toBeUndefined();
  });

  test('GIVEN a relative file:// input THEN the description shows it as an absolute file:// URI', () => {
    const time = new Date('2026-01-01T00:00:00Z');
    const description = transformDescription({
      request: {
        TransformJobName: 'tj',
        ModelName: 'm',
        TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://asset.batch' } }, SplitType: 'Line' },
        TransformOutput: { S3OutputPath: 's3://x/' },
        TransformResources: undefined,
      },
      jobName: 'tj-1',
      arn: 'arn:aws:sagemaker:eu-west-1:1:transform-job/tj-1',
      executionParameters: { maxConcurrentTransforms: 1, multiRecord: true, maxPayloadInMB: 6 },
      invocationsTimeoutSeconds: 600,
      invocationsMaxRetries: 3,
      outputDir: '/w/tj-1',
      assemblyDir: '/cdk.out',
      creationTime: time,
      startTime: time,
      endTime: time,
    });
    expect(description.TransformJobStatus).toBe('Completed');
    expect(description.TransformInput).toEqual({
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file:///cdk.out/asset.batch' } }, SplitType: 'Line',
    });
    expect(description.TransformOutput).toEqual({ S3OutputPath: 'file:///w/tj-1' });
  });
});
