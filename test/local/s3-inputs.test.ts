import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { resolveChannels } from '../../src/local/private/training/inputs';
import { startS3Server, TestS3Server } from '../support/s3-server';

/**
 * Local mode's download of s3:// training channels, end to end against a
 * real S3-compatible server (s3rver on a loopback port, reached through the
 * SDK's endpoint override with path-style addressing).
 */
let s3: TestS3Server;
let work: string;

beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket('data');
  await s3.put('data', 'datasets/iris/train.csv', '5.1,3.5,1.4,0.2,setosa\n');
  await s3.put('data', 'datasets/iris/nested/more.csv', '6.2,2.9,4.3,1.3,versicolor\n');
  await s3.put('data', 'datasets/iris-validation/val.csv', 'not in the iris/ prefix\n');
  await s3.put('data', 'datasets/iris/folder/', '');
  await s3.put('data', 'single/file.csv', 'one file\n');
});
afterAll(async () => s3.close());
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-s3-inputs-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

function request(channels: { name: string; uri: string; mode?: 'File' | 'FastFile' }[]): CreateTrainingJobRequest {
  return {
    TrainingJobName: 'job',
    RoleArn: 'arn:aws:iam::000000000000:role/r',
    AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
    OutputDataConfig: { S3OutputPath: 'file://output/' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
    StoppingCondition: { MaxRuntimeInSeconds: 60 },
    InputDataConfig: channels.map(c => ({
      ChannelName: c.name,
      InputMode: c.mode,
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: c.uri } },
    })),
  };
}

function filesUnder(dir: string): { [rel: string]: string } {
  const files: { [rel: string]: string } = {};
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, rel);
    if (fs.statSync(p).isFile()) files[rel] = fs.readFileSync(p, 'utf8');
  }
  return files;
}

describe('s3:// channels against a real S3-compatible server (s3rver)', () => {
  test('a prefix is downloaded with the key paths below it (not a folder marker, not a sibling prefix), and mounted per host in File mode', async () => {
    // GIVEN
    const regions: string[] = [];
    // WHEN
    const channels = await resolveChannels(request([{ name: 'training', uri: 's3://data/datasets/iris/' }]), {
      assemblyDir: work,
      downloadDir: path.join(work, 'dl'),
      hosts: ['algo-1', 'algo-2'],
      region: 'eu-west-1',
      s3ClientFactory: (region) => {
        regions.push(region);
        return s3.client(region);
      },
    });
    // THEN
    expect(regions).toEqual(['eu-west-1']);
    expect(channels.map(c => [c.name, c.mode])).toEqual([['training', 'File']]);
    const [host1] = channels[0].mounts(0);
    const [host2] = channels[0].mounts(1);
    expect(host1.containerPath).toBe('/opt/ml/input/data/training');
    expect(host1.hostPath).not.toBe(host2.hostPath);
    for (const mount of [host1, host2]) {
      expect(filesUnder(mount.hostPath)).toEqual({
        'train.csv': '5.1,3.5,1.4,0.2,setosa\n',
        'nested/more.csv': '6.2,2.9,4.3,1.3,versicolor\n',
      });
    }
  });

  test('a key prefix that names one object; FastFile mounts the download read-only', async () => {
    // WHEN
    const channels = await resolveChannels(request([{ name: 'one', uri: 's3://data/single/file.csv', mode: 'FastFile' }]), {
      assemblyDir: work, downloadDir: path.join(work, 'dl'), region: 'us-east-1', s3ClientFactory: (r) => s3.client(r),
    });
    // THEN
    const [mount] = channels[0].mounts(0);
    expect(mount.readOnly).toBe(true);
    expect(filesUnder(mount.hostPath)).toEqual({ 'file.csv': 'one file\n' });
  });

  test('a prefix without objects and a missing bucket fail with the channel and the URI', async () => {
    const options = { assemblyDir: work, downloadDir: path.join(work, 'dl'), region: 'us-east-1', s3ClientFactory: (r: string) => s3.client(r) };
    // WHEN / THEN
    await expect(resolveChannels(request([{ name: 'training', uri: 's3://data/nothing/here/' }]), options))
      .rejects.toThrow('No S3 objects found under S3 URL "s3://data/nothing/here/" given in input data source (channel \'training\': no object exists under prefix \'nothing/here/\' of bucket data).');
    await expect(resolveChannels(request([{ name: 'training', uri: 's3://no-such-bucket/x/' }]), options))
      .rejects.toThrow(/^Could not download channel 'training' from s3:\/\/no-such-bucket\/x\/: .*bucket does not exist/i);
  });
});
