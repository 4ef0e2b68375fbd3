import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import * as zlib from 'zlib';
import type { CreateTransformJobRequest, TransformInput, TransformOutput } from '@aws-sdk/client-sagemaker';
import { recordIoRecord, tfRecord } from './record-io';
import { TransformProgress } from '../../../../src/local/local-types';
import { resetSigtermNotes } from '../../../../src/local/private/docker';
import { runTransformJob, TransformRunResult } from '../../../../src/local/private/transform/runner';
import { buildServingImage, modelTempDirs, ownContainers, SERVING_IMAGE, tempDir, testDocker } from '../../fixtures/serving/fixture';

let root: { dir: string; remove: () => void };
let counter = 0;

interface JobSetup {
  /** Input files: relative path → content. */
  readonly files: { [rel: string]: string | Buffer };
  /** Fixture behaviour. */
  readonly env?: { [key: string]: string };
  readonly request?: Partial<Omit<CreateTransformJobRequest, 'TransformInput' | 'TransformOutput'>>;
  readonly input?: Partial<TransformInput>;
  readonly output?: Partial<TransformOutput>;
  readonly onProgress?: (p: TransformProgress) => void;
  readonly onLogLine?: (line: string) => void;
  readonly onOutputsWritten?: (result: TransformRunResult) => void;
}

async function runJob(setup: JobSetup): Promise<TransformRunResult & { read: (rel: string) => string; exists: (rel: string) => boolean }> {
  const assemblyDir = path.join(root.dir, `case${++counter}`);
  for (const [rel, content] of Object.entries(setup.files)) {
    const file = path.join(assemblyDir, 'input', rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  const result = await runTransformJob({
    docker: testDocker,
    request: {
      TransformJobName: 'tj',
      ModelName: 'model-prefix',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://input' } }, ...setup.input },
      TransformOutput: { S3OutputPath: 's3://ignored/out', ...setup.output },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      ...setup.request,
    },
    model: { ModelName: 'model-prefix', PrimaryContainer: { Image: 'ignored', Environment: { FIXTURE_BIND_HOST: '127.0.0.1', MODEL_FLAG: 'on', ...setup.env } } },
    image: SERVING_IMAGE,
    region: 'eu-west-1',
    account: '123456789012',
    assemblyDir,
    workDir: path.join(assemblyDir, 'work'),
    startupTimeoutMs: 20_000,
    stopGraceSeconds: 2,
    retryDelayMs: () => 10,
    onProgress: setup.onProgress,
    onLogLine: setup.onLogLine,
    onOutputsWritten: setup.onOutputsWritten,
  });
  return {
    ...result,
    read: (rel) => fs.readFileSync(path.join(result.outputDir, rel), 'utf8'),
    exists: (rel) => fs.existsSync(path.join(result.outputDir, rel)),
  };
}

const lines = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i + 1)).join('\n') + '\n';

beforeAll(async () => {
  await buildServingImage();
  root = tempDir('byoa-transform-test-');
});

afterEach(async () => {
  // THEN (for every test): every container of this process was stopped and removed, its model folder deleted
  // (by the `byoa.pid` label and folder prefix: other processes on the same engine do not count)
  expect(await ownContainers()).toEqual([]);
  expect(modelTempDirs()).toEqual([]);
});

afterAll(() => root?.remove());

describe('runTransformJob', () => {
  test('GIVEN no batch settings WHEN run THEN SAGEMAKER_BATCH only, plus the model environment, and a description', async () => {
    // WHEN
    const job = await runJob({ files: { 'a.json': '{}' }, env: { FIXTURE_MODE: 'env' } });
    // THEN
    expect(job.status).toBe('Completed');
    // (With host networking and port 8080 free, the container listens on 8080: no SAGEMAKER_BIND_TO_PORT either.)
    expect(JSON.parse(job.read('a.json.out'))).toEqual({ SAGEMAKER_BATCH: 'true', MODEL_FLAG: 'on' });
    expect(job.jobName).toMatch(/^tj-\d{17}-[0-9a-z]+$/);
    const description = JSON.parse(job.read('description.json'));
    expect(description).toMatchObject({
      TransformJobName: job.jobName,
      TransformJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:transform-job/${job.jobName}`,
      TransformJobStatus: 'Completed',
      ModelName: 'model-prefix',
      // Locations as absolute file:// URIs, like the training job's.
      TransformOutput: { S3OutputPath: pathToFileURL(job.outputDir).href },
      MaxConcurrentTransforms: 1,
      BatchStrategy: 'MultiRecord',
      MaxPayloadInMB: 6,
      TransformInput: { DataSource: { S3DataSource: { S3Uri: pathToFileURL(path.join(path.dirname(job.outputDir), '..', 'input')).href } } },
    });
    expect(description.TransformEndTime).toEqual(expect.any(String));
  });

  test('GIVEN batch settings in the request WHEN run THEN they reach the container as SAGEMAKER_* variables', async () => {
    const job = await runJob({
      files: { 'a.json': '{}' },
      env: { FIXTURE_MODE: 'env' },
      request: { MaxPayloadInMB: 2, BatchStrategy: 'MultiRecord', MaxConcurrentTransforms: 3, Environment: { MODEL_FROM_JOB: 'yes' } },
    });
    expect(JSON.parse(job.read('a.json.out'))).toMatchObject({
      SAGEMAKER_BATCH: 'true', SAGEMAKER_MAX_PAYLOAD_IN_MB: '2', SAGEMAKER_BATCH_STRATEGY: 'MULTI_RECORD', SAGEMAKER_MAX_CONCURRENT_TRANSFORMS: '3', MODEL_FROM_JOB: 'yes',
    });
  });

  test.each([
    ['SINGLE_RECORD', 'SingleRecord'],
    ['SingleRecord', 'MultiRecord'],
  ])('GIVEN /execution-parameters says %s WHEN run THEN the container beats the defaults and the request (%s) beats the container', async (containerSays, requestSays) => {
    // GIVEN
    const env = { FIXTURE_MODE: 'describe', FIXTURE_EXEC_PARAMS: JSON.stringify({ BatchStrategy: containerSays, MaxConcurrentTransforms: 3, MaxPayloadInMB: 1 }) };
    const files = { 'in.csv': lines(6, (i) => `r${i}`) };
    const input = { SplitType: 'Line' as const, ContentType: 'text/csv' };
    const output = { AssembleWith: 'Line' as const };
    // WHEN
    const fromContainer = await runJob({ files, env, input, output });
    const fromRequest = await runJob({ files, env, input, output, request: { BatchStrategy: requestSays as any, MaxConcurrentTransforms: 2 } });
    // THEN
    expect(fromContainer.executionParameters).toEqual({ maxConcurrentTransforms: 3, multiRecord: false, maxPayloadInMB: 1 });
    expect(fromContainer.read('in.csv.out')).toBe(lines(6, () => '1 2'));
    expect(fromRequest.executionParameters).toEqual({ maxConcurrentTransforms: 2, multiRecord: requestSays === 'MultiRecord', maxPayloadInMB: 1 });
    expect(fromRequest.read('in.csv.out')).toBe(requestSays === 'MultiRecord' ? '6 18\n' : lines(6, () => '1 2'));
  });

  test('GIVEN MaxConcurrentTransforms 4 WHEN run THEN up to 4 requests are in flight, never more', async () => {
    const job = await runJob({
      files: { 'in.csv': lines(16, (i) => `r${i}`) },
      env: { FIXTURE_MODE: 'inflight', FIXTURE_DELAY_MS: '300' },
      input: { SplitType: 'Line' },
      output: { AssembleWith: 'Line' },
      request: { MaxConcurrentTransforms: 4, BatchStrategy: 'SingleRecord' },
    });
    const seen = job.read('in.csv.out').trim().split('\n').map(Number);
    expect(seen).toHaveLength(16);
    expect(Math.max(...seen)).toBe(4);
  });

  test('GIVEN multi-byte lines WHEN packed MultiRecord THEN whole records fill MaxPayloadInMB measured in BYTES', async () => {
    // GIVEN: 12 lines of 200,000 bytes (100,000 characters) + newline: 5 fit in 1 MB
    const job = await runJob({
      files: { 'big.txt': lines(12, () => 'é'.repeat(100_000)) },
      env: { FIXTURE_MODE: 'describe' },
      input: { SplitType: 'Line' },
      output: { AssembleWith: 'Line' },
      request: { MaxPayloadInMB: 1, BatchStrategy: 'MultiRecord' },
    });
    // THEN
    expect(job.read('big.txt.out')).toBe('5 1000005\n5 1000005\n2 400002\n');
  });

  test('GIVEN a record larger than MaxPayloadInMB WHEN run THEN the job fails with a clear reason', async () => {
    const job = await runJob({
      files: { 'in.txt': 'small\n' + 'x'.repeat(1_100_000) + '\n' },
      input: { SplitType: 'Line' },
      request: { MaxPayloadInMB: 1 },
    });
    expect(job.status).toBe('Failed');
    expect(job.failureReason).toMatch(/Input 'in.txt' failed: Record 2 of 'in.txt' is 1100000 bytes, larger than MaxPayloadInMB allows \(1048576 bytes\)/);
    expect(job.exists('in.txt.out')).toBe(false);
  });

  test('GIVEN RecordIO and TFRecord inputs WHEN split THEN one framed record per request, and MultiRecord keeps the framing', async () => {
    // GIVEN
    const rio = [recordIoRecord(Buffer.from('one')), recordIoRecord(Buffer.alloc(5000, 7), 3), recordIoRecord(Buffer.from('three!'))];
    const tfr = [tfRecord(Buffer.from('alpha')), tfRecord(Buffer.alloc(70_000, 1))];
    // WHEN
    const single = await runJob({
      files: { 'data.rec': Buffer.concat(rio) },
      env: { FIXTURE_MODE: 'describe' },
      input: { SplitType: 'RecordIO', ContentType: 'application/x-recordio-protobuf' },
      output: { AssembleWith: 'Line' },
      request: { BatchStrategy: 'SingleRecord' },
    });
    const tf = await runJob({
      files: { 'data.tfrecord': Buffer.concat(tfr) },
      env: { FIXTURE_MODE: 'describe' },
      input: { SplitType: 'TFRecord' },
      output: { AssembleWith: 'Line' },
      request: { BatchStrategy: 'SingleRecord' },
    });
    const multi = await runJob({
      files: { 'data.rec': Buffer.concat(rio) },
      env: { FIXTURE_MODE: 'echo' },
      input: { SplitType: 'RecordIO' },
      request: { BatchStrategy: 'MultiRecord' },
    });
    // THEN
    expect(single.read('data.rec.out').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[1]))).toEqual(rio.map((r) => r.length));
    expect(tf.read('data.tfrecord.out').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[1]))).toEqual([5 + 16, 70_000 + 16]);
    expect(fs.readFileSync(path.join(multi.outputDir, 'data.rec.out'))).toEqual(Buffer.concat(rio));
  });

  test('GIVEN a gzipped input WHEN run THEN it is decompressed before splitting', async () => {
    const job = await runJob({
      files: { 'in.csv.gz': zlib.gzipSync(Buffer.from('a,1\nb,2\n')) },
      env: { FIXTURE_MODE: 'upper' },
      input: { SplitType: 'Line', CompressionType: 'Gzip' },
      output: { AssembleWith: 'Line' },
      request: { BatchStrategy: 'SingleRecord' },
    });
    expect(job.read('in.csv.gz.out')).toBe('A,1\nB,2\n');
  });

  test.each([
    ['Line', 'a\nb\nc\n'],
    ['None', 'abc'],
  ])('GIVEN AssembleWith %s WHEN run THEN the answers are assembled accordingly', async (assembleWith, expected) => {
    const job = await runJob({
      files: { 'in.txt': 'a\nb\nc\n' },
      input: { SplitType: 'Line' },
      output: { AssembleWith: assembleWith as any },
      request: { BatchStrategy: 'SingleRecord' },
    });
    expect(job.read('in.txt.out')).toBe(expected);
  });

  test('GIVEN CSV DataProcessing WHEN run MultiRecord THEN each line is filtered, joined with its input and filtered again', async () => {
    const job = await runJob({
      files: { 'in.csv': 'id1,1,2\nid2,3,4\nid3,5,"6"\n' },
      env: { FIXTURE_MODE: 'sum' },
      input: { SplitType: 'Line', ContentType: 'text/csv' },
      output: { AssembleWith: 'Line', Accept: 'text/csv' },
      request: { BatchStrategy: 'MultiRecord', DataProcessing: { InputFilter: '$[1:2]', JoinSource: 'Input', OutputFilter: '$[0,-1]' } },
    });
    expect(job.read('in.csv.out')).toBe('id1,3\nid2,7\nid3,11\n');
  });

  test('GIVEN JSON lines DataProcessing WHEN run SingleRecord THEN the output is joined as SageMakerOutput', async () => {
    const job = await runJob({
      files: { 'in.jsonl': '{"id":"a","features":[1,2]}\n{"id":"b","features":[3,4]}\n' },
      env: { FIXTURE_MODE: 'sum' },
      input: { SplitType: 'Line', ContentType: 'application/jsonlines' },
      output: { AssembleWith: 'Line', Accept: 'application/jsonlines' },
      request: { BatchStrategy: 'SingleRecord', DataProcessing: { InputFilter: '$.features', JoinSource: 'Input', OutputFilter: "$['id','SageMakerOutput']" } },
    });
    expect(job.read('in.jsonl.out')).toBe('{"id":"a","SageMakerOutput":3}\n{"id":"b","SageMakerOutput":7}\n');
  });

  test('GIVEN a folder with sub-folders WHEN run concurrently with a slow first record THEN sub-paths and record order are kept', async () => {
    const job = await runJob({
      files: { 'b.txt': lines(40, (i) => `b${String(i).padStart(2, '0')}`), 'a/x.txt': 'x1\nx2\n', 'a/y/z.txt': 'z\n' },
      env: { FIXTURE_SLEEP_ON: 'b01', FIXTURE_SLEEP_SECONDS: '0.5' },
      input: { SplitType: 'Line' },
      output: { AssembleWith: 'Line' },
      request: { BatchStrategy: 'SingleRecord', MaxConcurrentTransforms: 4 },
    });
    expect(job.read('b.txt.out')).toBe(lines(40, (i) => `b${String(i).padStart(2, '0')}`));
    expect(job.read('a/x.txt.out')).toBe('x1\nx2\n');
    expect(job.read('a/y/z.txt.out')).toBe('z\n');
    expect(job.files.map((f) => f.input)).toEqual(['a/x.txt', 'a/y/z.txt', 'b.txt']);
  });

  test('GIVEN one file with a failing record WHEN run THEN the job fails, that file has no .out, the others complete', async () => {
    // GIVEN
    const events: TransformProgress[] = [];
    // WHEN
    const job = await runJob({
      files: { 'bad.txt': 'ok\nBAD\nok\n', 'good.txt': 'fine\n' },
      env: { FIXTURE_FAIL_ON: 'BAD' },
      input: { SplitType: 'Line' },
      request: { BatchStrategy: 'SingleRecord', ModelClientConfig: { InvocationsMaxRetries: 1 } },
      onProgress: (p) => events.push(p),
    });
    // THEN
    expect(job.status).toBe('Failed');
    expect(job.failureReason).toMatch(/Input 'bad.txt' failed: record 2 failed after 1 retry: the model container answered 500: fixture: cannot predict a record containing BAD/);
    expect(job.exists('bad.txt.out')).toBe(false);
    expect(job.read('good.txt.out')).toBe('fine');
    expect(fs.readdirSync(job.outputDir).sort()).toEqual(['description.json', 'good.txt.out']);
    expect(JSON.parse(job.read('description.json'))).toMatchObject({ TransformJobStatus: 'Failed', FailureReason: job.failureReason });
    const last = events[events.length - 1];
    expect(last).toMatchObject({ finished: true, filesDone: 2, filesTotal: 2, bytesTotal: 15, bytesRead: 15 });
  });

  test('GIVEN transient 503s WHEN retries allow it THEN the job completes; with too few retries it fails', async () => {
    const files = { 'in.txt': 'one\n' };
    const env = { FIXTURE_FAIL_FIRST: '2' };
    const enough = await runJob({ files, env, input: { SplitType: 'Line' } });
    const tooFew = await runJob({ files, env, input: { SplitType: 'Line' }, request: { ModelClientConfig: { InvocationsMaxRetries: 1 } } });
    expect(enough.status).toBe('Completed');
    expect(enough.read('in.txt.out')).toBe('one\n');
    expect(tooFew.status).toBe('Failed');
    expect(tooFew.failureReason).toMatch(/record 1 failed after 1 retry: the model container answered 503: fixture: transient failure 2/);
  });

  test('GIVEN a slow model WHEN the invocation timeout passes THEN it is retried, and fails when every attempt times out', async () => {
    const files = { 'in.txt': 'SLOW\n' };
    const retried = await runJob({
      files,
      env: { FIXTURE_SLEEP_FIRST: '1', FIXTURE_SLEEP_SECONDS: '3' },
      input: { SplitType: 'Line' },
      request: { ModelClientConfig: { InvocationsTimeoutInSeconds: 1, InvocationsMaxRetries: 1 } },
    });
    const failed = await runJob({
      files,
      env: { FIXTURE_SLEEP_ON: 'SLOW', FIXTURE_SLEEP_SECONDS: '3' },
      input: { SplitType: 'Line' },
      request: { ModelClientConfig: { InvocationsTimeoutInSeconds: 1, InvocationsMaxRetries: 0 } },
    });
    expect(retried.status).toBe('Completed');
    expect(failed.status).toBe('Failed');
    expect(failed.failureReason).toMatch(/record 1 failed without retries: no answer within ModelClientConfig.InvocationsTimeoutInSeconds \(1 s\)/);
  });

  test('GIVEN one slow record among many WHEN every attempt times out THEN exactly 1 + InvocationsMaxRetries attempts, each cut at the timeout, and the job names that record', async () => {
    // GIVEN record 7 of 12 sleeps 4 s, the others answer at once; timeout 1 s, 2 retries
    const files = { 'in.txt': lines(12, (i) => (i === 7 ? 'SLOW' : `r${i}`)) };
    let requests = 0;
    const t0 = Date.now();
    // WHEN
    const job = await runJob({
      files,
      env: { FIXTURE_SLEEP_ON: 'SLOW', FIXTURE_SLEEP_SECONDS: '4' },
      input: { SplitType: 'Line' },
      request: { BatchStrategy: 'SingleRecord', MaxConcurrentTransforms: 2, ModelClientConfig: { InvocationsTimeoutInSeconds: 1, InvocationsMaxRetries: 2 } },
      onProgress: (p) => { requests = p.requests; },
    });
    const seconds = (Date.now() - t0) / 1000;
    // THEN
    expect(job.status).toBe('Failed');
    expect(job.failureReason).toBe("Input 'in.txt' failed: record 7 failed after 2 retries: no answer within ModelClientConfig.InvocationsTimeoutInSeconds (1 s)");
    // 3 attempts of record 7; the 6 records before it and the one in flight beside it once each; nothing sent after the failure
    expect(requests).toBeGreaterThanOrEqual(3 + 6);
    expect(requests).toBeLessThanOrEqual(3 + 11);
    // three 1-s timeouts back to back (plus container start/stop), not three 4-s sleeps
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThan(3 + 8);
  });

  test('GIVEN inputs local mode cannot read WHEN run THEN it fails up front without starting a container', async () => {
    const base = { files: {} };
    await expect(runJob({ ...base, input: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket/data' } } } }))
      .rejects.toThrow(/is in S3; local batch transform reads only local inputs/);
    await expect(runJob({ ...base, input: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'unresolved://Bucket/data' } } } }))
      .rejects.toThrow(/only known after deployment/);
    await expect(runJob({ ...base, input: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://nothing-here' } } } }))
      .rejects.toThrow(/does not exist/);
    await expect(runJob({ files: { 'a.txt': 'x' }, request: { MaxPayloadInMB: 60, MaxConcurrentTransforms: 2 } }))
      .rejects.toThrow(/2 x 60 = 120 must not exceed 100/);
  });

  test.each([
    ['ignores SIGTERM', { FIXTURE_IGNORE_SIGTERM: '1' }, true],
    ['exits on SIGTERM', {}, false],
  ])('GIVEN a container that %s WHEN its outputs are written THEN the job is Completed before the container is stopped', async (_, env, ignores) => {
    // GIVEN
    resetSigtermNotes();
    const logs: string[] = [];
    let atCompletion: { description: any; out: string; containers: Promise<string[]> } | undefined;
    // WHEN
    const job = await runJob({
      files: { 'a.csv': 'one\ntwo\n' },
      env: { FIXTURE_MODE: 'upper', ...env },
      input: { SplitType: 'Line' },
      output: { AssembleWith: 'Line' },
      onLogLine: (line) => logs.push(line),
      onOutputsWritten: (r) => {
        atCompletion = {
          description: JSON.parse(fs.readFileSync(r.descriptionPath, 'utf8')),
          out: fs.readFileSync(path.join(r.outputDir, 'a.csv.out'), 'utf8'),
          // the container is removed only after it stopped, 2 s after SIGTERM when it ignores it
          containers: ownContainers(`byoa.transform-job=${r.jobName}`),
        };
      },
    });
    // THEN: description and outputs were final when the job was reported, the container not yet gone
    expect(atCompletion).toBeDefined();
    expect(atCompletion!.description).toMatchObject({ TransformJobName: job.jobName, TransformJobStatus: 'Completed' });
    expect(atCompletion!.out).toBe('ONE\nTWO\n');
    const notes = logs.filter((l) => /ignored SIGTERM/.test(l));
    if (ignores) {
      expect(await atCompletion!.containers).toHaveLength(1);
      // killed after the short grace (2 s here), and told once, with the fix
      expect(notes).toEqual([expect.stringMatching(/^byoa: the container of image 'byoa-test-serving:latest' ignored SIGTERM: it was still running 2 s later and was killed \(SIGKILL\)\..*handle SIGTERM.*'exec'.*init process \(tini, or 'docker run --init'\).*delays every endpoint update and deletion/)]);
      const again = await runJob({ files: { 'b.csv': 'x\n' }, env: { FIXTURE_MODE: 'upper', ...env }, onLogLine: (line) => logs.push(line) });
      expect(again.status).toBe('Completed');
      expect(logs.filter((l) => /ignored SIGTERM/.test(l))).toHaveLength(1);
    } else {
      expect(notes).toEqual([]);
    }
  });
});
