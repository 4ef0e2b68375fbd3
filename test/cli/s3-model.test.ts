import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { downloadModel } from '../../src/cli/s3-model';
import { startS3Server, TestS3Server } from '../support/s3-server';

let s3: TestS3Server;
let work: string;
const BIG = randomBytes(9 * 1024 * 1024 + 123);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket('models');
  await s3.put('models', 'training/job-1/output/model.tar.gz', BIG);
  await s3.put('models', 'small/model.tar.gz', 'tiny');
});
afterAll(async () => s3.close());
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-s3-model-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

function lines() {
  const out: string[] = [];
  return { out, output: { out: (l: string) => out.push(l) } };
}

describe('--model s3://... against a real S3-compatible server (s3rver)', () => {
  test('a large model is downloaded into WORKDIR/models/<bucket>/<key> with a progress line per 10 %', async () => {
    // GIVEN
    const { out, output } = lines();
    // WHEN
    const file = await downloadModel('s3://models/training/job-1/output/model.tar.gz', { s3: s3.client(), workDir: work, output });
    // THEN
    expect(file).toBe(path.join(work, 'models', 'models', 'training', 'job-1', 'output', 'model.tar.gz'));
    expect(sha(fs.readFileSync(file))).toBe(sha(BIG));
    expect(out[0]).toBe(`Downloading s3://models/training/job-1/output/model.tar.gz (9.0 MiB) to ${file}`);
    expect(out.slice(1).map(l => l.trim().split(' ')[0])).toEqual(['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%']);
    expect(out[out.length - 1]).toBe('  100% 9.0 MiB of 9.0 MiB');
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['model.tar.gz', 'model.tar.gz.etag']);
  });

  test('on a terminal the progress line is redrawn in place', async () => {
    // GIVEN
    const written: string[] = [];
    // WHEN
    await downloadModel('s3://models/training/job-1/output/model.tar.gz', {
      s3: s3.client(), workDir: work, output: { out: () => undefined, write: (t) => written.push(t) },
    });
    // THEN
    expect(written.every(t => t.startsWith('\r'))).toBe(true);
    expect(written[written.length - 1]).toBe('\r  100% 9.0 MiB of 9.0 MiB\n');
  });

  test('a small model gets no progress line; a second use takes the downloaded copy', async () => {
    // GIVEN
    const first = lines();
    const second = lines();
    // WHEN
    const file = await downloadModel('s3://models/small/model.tar.gz', { s3: s3.client(), workDir: work, output: first.output });
    await downloadModel('s3://models/small/model.tar.gz', { s3: s3.client(), workDir: work, output: second.output });
    // THEN
    expect(fs.readFileSync(file, 'utf8')).toBe('tiny');
    expect(first.out).toEqual([`Downloading s3://models/small/model.tar.gz (4 bytes) to ${file}`]);
    expect(second.out).toEqual([`Using the downloaded copy of s3://models/small/model.tar.gz: ${file}`]);
  });

  test('a changed object is downloaded again', async () => {
    // GIVEN
    await s3.put('models', 'changing/model.tar.gz', 'one');
    const file = await downloadModel('s3://models/changing/model.tar.gz', { s3: s3.client(), workDir: work, output: lines().output });
    await s3.put('models', 'changing/model.tar.gz', 'two');
    // WHEN
    await downloadModel('s3://models/changing/model.tar.gz', { s3: s3.client(), workDir: work, output: lines().output });
    // THEN
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
  });

  test.each([
    ['s3://models/no/such/model.tar.gz', /--model s3:\/\/models\/no\/such\/model.tar.gz: no such object in bucket models \(or the bucket does not exist\)/],
    ['s3://nobucket/model.tar.gz', /no such object in bucket nobucket \(or the bucket does not exist\)/],
    ['s3://models/training/', /expected the S3 URI of a model archive object, s3:\/\/BUCKET\/KEY/],
    ['s3://models', /expected the S3 URI of a model archive object/],
  ])('%s is refused with a clear message, and nothing is left behind', async (uri, message) => {
    // WHEN / THEN
    await expect(downloadModel(uri, { s3: s3.client(), workDir: work, output: lines().output })).rejects.toThrow(message);
    expect(fs.existsSync(path.join(work, 'models')) ? fs.readdirSync(path.join(work, 'models'), { recursive: true }) : []).toEqual([]);
  });
});
