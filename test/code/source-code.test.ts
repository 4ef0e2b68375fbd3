import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { AlgorithmImage, ByoaPipeline, Framework, SourceCode, TrainingInput } from '../../src';
import { sourceDirTarball } from '../../src/code/private/sourcedir';
import { ByteReader, dataLength, nextEntry } from '../../src/code/runtime/tar';
import { RUN_SPEC_METADATA_TYPE, RunSpec } from '../../src/private/run-spec';
import { minimalPipelineProps, resolved, stateMachineDefinition } from '../support/pipeline-fixtures';

const SKLEARN_CODE = path.join(__dirname, 'fixtures', 'sklearn-code');
const TF_CODE = path.join(__dirname, 'fixtures', 'tf-code');
const LONG_NAME = `${'deep/'.repeat(20)}module_with_a_long_name.py`;

/** A source directory with nested folders, a long and a non-ASCII name, an executable, an empty folder. */
function makeSourceDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-src-'));
  fs.writeFileSync(path.join(dir, 'train.py'), 'print("train")\n');
  fs.mkdirSync(path.join(dir, 'lib', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'lib', 'util.py'), 'X = 1\n');
  fs.writeFileSync(path.join(dir, 'lib', 'sub', 'b.py'), 'Y = 2\n');
  fs.writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o775 });
  fs.writeFileSync(path.join(dir, 'données.txt'), 'é\n');
  fs.mkdirSync(path.join(dir, path.dirname(LONG_NAME)), { recursive: true });
  fs.writeFileSync(path.join(dir, LONG_NAME), '# long\n');
  fs.mkdirSync(path.join(dir, 'empty'));
  return dir;
}

function copyDir(from: string): string {
  const to = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-copy-'));
  fs.cpSync(from, to, { recursive: true });
  return to;
}

async function membersOf(tarball: Buffer) {
  const reader = new ByteReader(Readable.from([zlib.gunzipSync(tarball)]));
  const out: { name: string; typeFlag: string; mode: number; mtime: number; size: number; data: string }[] = [];
  for (let entry = await nextEntry(reader); entry; entry = await nextEntry(reader)) {
    const chunks: Buffer[] = [];
    for await (const c of reader.stream(dataLength(entry))) chunks.push(c);
    const data = Buffer.concat(chunks).subarray(0, entry.size).toString();
    out.push({ name: entry.name, typeFlag: entry.typeFlag, mode: entry.mode, mtime: entry.mtime, size: entry.size, data });
  }
  return out;
}

describe('sourcedir.tar.gz', () => {
  test('is reproducible: the same files give the same bytes, wherever and whenever they are', () => {
    // GIVEN a source directory and a copy of it with other modification times and permissions of the group
    const dir = makeSourceDir();
    const copy = copyDir(dir);
    const later = new Date(Date.now() + 3_600_000);
    fs.utimesSync(path.join(copy, 'train.py'), later, later);
    fs.chmodSync(path.join(copy, 'lib', 'util.py'), 0o664);
    // WHEN both are packed (twice)
    const first = sourceDirTarball(dir);
    // THEN
    expect(sourceDirTarball(dir).equals(first)).toBe(true);
    expect(sourceDirTarball(copy).equals(first)).toBe(true);
    // AND the gzip header has no time and says Unix
    expect(first.readUInt32LE(4)).toBe(0);
    expect(first[9]).toBe(3);
    // AND another file gives other bytes
    fs.writeFileSync(path.join(copy, 'train.py'), 'print("other")\n');
    expect(sourceDirTarball(copy).equals(first)).toBe(false);
  });

  test('holds the directory\'s contents: relative sorted names without "./", normalised modes, no owners, mtime 0', async () => {
    const members = await membersOf(sourceDirTarball(makeSourceDir()));
    expect(members.map(m => m.name)).toEqual([
      'deep/', ...Array.from({ length: 19 }, (_, i) => `${'deep/'.repeat(i + 2)}`), LONG_NAME,
      'données.txt', 'empty/', 'lib/', 'lib/sub/', 'lib/sub/b.py', 'lib/util.py', 'run.sh', 'train.py',
    ]);
    for (const m of members) {
      expect(m.name.startsWith('./') || m.name.startsWith('/')).toBe(false);
      expect(m.mtime).toBe(0);
    }
    expect(members.find(m => m.name === 'run.sh')!.mode).toBe(0o755);
    expect(members.find(m => m.name === 'train.py')).toMatchObject({ mode: 0o644, typeFlag: '0', data: 'print("train")\n' });
    expect(members.find(m => m.name === 'lib/')).toMatchObject({ mode: 0o755, typeFlag: '5' });
  });

  test('GNU tar reads it the same way (pax long and non-ASCII names, uid/gid 0)', () => {
    const dir = makeSourceDir();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-tar-')), 'sourcedir.tar.gz');
    fs.writeFileSync(file, sourceDirTarball(dir));
    const listing = execFileSync('tar', ['-tzvf', file, '--numeric-owner', '--full-time'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    expect(listing).toContain(LONG_NAME);
    expect(listing).toContain('données.txt');
    for (const line of listing.trim().split('\n')) {
      expect(line).toMatch(/^[-d]rw[-x]r-[-x]r-[-x] 0\/0 +\d+ 1970-01-01 00:00:00 /);
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-x-'));
    execFileSync('tar', ['-xzf', file, '-C', out]);
    expect(fs.readFileSync(path.join(out, LONG_NAME), 'utf8')).toBe('# long\n');
    expect(fs.readFileSync(path.join(out, 'lib', 'sub', 'b.py'), 'utf8')).toBe('Y = 2\n');
  });
});

describe('SourceCode.fromAsset', () => {
  test('is one file asset per stack, with the same hash for the same files in another app', () => {
    const hashes = [makeSourceDir(), makeSourceDir()].map(dir => {
      const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
      const code = SourceCode.fromAsset(dir, { entryPoint: 'train.py' });
      code._bind(stack);
      code._bind(stack);
      const assets = stack.node.findAll().filter(c => c instanceof s3_assets.Asset) as s3_assets.Asset[];
      expect(assets).toHaveLength(1);
      expect(assets[0].isFile).toBe(true);
      return assets[0].assetHash;
    });
    expect(hashes[0]).toBe(hashes[1]);
  });

  test('a missing entry point, a path out of the directory, or a missing directory fail at synth', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    const props = (code: SourceCode) => minimalPipelineProps(stack, { image: AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1'), training: { code } });
    expect(() => new ByoaPipeline(stack, 'A', props(SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'missing.py' }))))
      .toThrow(/training\.code\.entryPoint: "missing\.py" is not valid; allowed: a file in .*sklearn-code \(it holds train\.py\)/);
  });

  test.each([
    ['../train.py', /training\.code\.entryPoint: "\.\.\/train\.py" is not valid; allowed: a path relative to the source directory, without "\.\."/],
    ['', /training\.code\.entryPoint: "" is not valid/],
  ])('entry point %j is refused', (entryPoint, message) => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    expect(() => new ByoaPipeline(stack, 'A', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1'),
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint }) },
    }))).toThrow(message);
  });

  test('a missing directory is refused', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    expect(() => new ByoaPipeline(stack, 'A', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1'),
      training: { code: SourceCode.fromAsset('/nonexistent/code', { entryPoint: 'train.py' }) },
    }))).toThrow(/training\.code directory: "\/nonexistent\/code" is not valid; allowed: an existing directory/);
  });
});

describe('script-mode requests', () => {
  function pipeline(overrides: any = {}, env: any = { account: '123456789012', region: 'us-west-2' }) {
    const stack = new Stack(new App(), 'S', { env });
    const p = new ByoaPipeline(stack, 'Iris', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1'),
      endpoint: {},
      ...overrides,
      training: { code: SourceCode.fromAsset(SKLEARN_CODE, { entryPoint: 'train.py' }), hyperparameters: { max_leaf_nodes: 30, criterion: 'gini', bootstrap: true }, ...overrides.training },
    }));
    const definition = stateMachineDefinition(Template.fromStack(stack));
    const spec = p.node.metadata.find(m => m.type === RUN_SPEC_METADATA_TYPE)!.data as RunSpec;
    return { stack, definition, spec };
  }

  test('training gets the SDK\'s five hyperparameters, every value JSON-encoded; the job name per execution', () => {
    const { definition } = pipeline();
    const hps = definition.States.Train.Parameters.HyperParameters;
    expect(hps).toEqual({
      'max_leaf_nodes': '30',
      'criterion': '"gini"',
      'bootstrap': 'true',
      'sagemaker_program': '"train.py"',
      'sagemaker_submit_directory': expect.stringMatching(/^"s3:\/\/cdk-hnb659fds-assets-123456789012-us-west-2\/[0-9a-f]{64}\.gz"$/),
      'sagemaker_container_log_level': '20',
      'sagemaker_region': '"us-west-2"',
      'sagemaker_job_name.$': 'States.Format(\'"{}"\', $.byoa.name)',
    });
  });

  test('the model gets SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY, SAGEMAKER_CONTAINER_LOG_LEVEL, SAGEMAKER_REGION; modelEnvironment wins', () => {
    const { definition, spec } = pipeline({ modelEnvironment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '10', OTHER: 'x' } });
    const env = definition.States['Create model'].Parameters.PrimaryContainer.Environment;
    expect(env).toEqual({
      SAGEMAKER_PROGRAM: 'train.py',
      SAGEMAKER_SUBMIT_DIRECTORY: expect.stringMatching(/^s3:\/\/cdk-hnb659fds-assets-123456789012-us-west-2\/[0-9a-f]{64}\.gz$/),
      SAGEMAKER_CONTAINER_LOG_LEVEL: '10',
      SAGEMAKER_REGION: 'us-west-2',
      OTHER: 'x',
    });
    // The run spec holds the staged tarball instead of the bucket.
    expect(spec.model.PrimaryContainer!.Environment!.SAGEMAKER_SUBMIT_DIRECTORY).toMatch(/^file:\/\/asset\.[0-9a-f]{64}\.tar\.gz$/);
    expect(spec.code).toEqual({ entryPoint: 'train.py', location: expect.stringMatching(/^file:\/\/asset\.[0-9a-f]{64}\.tar\.gz$/), sourceDirectory: SKLEARN_CODE });
    expect(spec.inferenceCode).toEqual(spec.code);
    expect(spec.repack).toBeUndefined();
    expect(spec.training.HyperParameters!.sagemaker_submit_directory).toBe(JSON.stringify(spec.code!.location));
  });

  test('the execution role reads the code object only', () => {
    const { stack } = pipeline();
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => JSON.stringify(s.Resource ?? '').includes('cdk-hnb659fds-assets'));
    const text = JSON.stringify(resolved(stack, statements));
    expect(text).toMatch(/cdk-hnb659fds-assets-123456789012-us-west-2\/[0-9a-f]{64}\.gz\*/);
    expect(statements.flatMap((s: any) => [].concat(s.Action)).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
  });

  test('with network isolation the code goes in as a "code" channel, and the submit directory is the file in it', () => {
    const { definition, spec } = pipeline({ training: { enableNetworkIsolation: true } });
    const params = definition.States.Train.Parameters;
    const channel = params.InputDataConfig.find((c: any) => c.ChannelName === 'code');
    expect(channel.DataSource.S3DataSource).toEqual({
      S3DataType: 'S3Prefix',
      S3Uri: expect.stringMatching(/^s3:\/\/cdk-hnb659fds-assets-123456789012-us-west-2\/([0-9a-f]{64})\.gz$/),
      S3DataDistributionType: 'FullyReplicated',
    });
    const key = channel.DataSource.S3DataSource.S3Uri.split('/').pop();
    expect(params.HyperParameters.sagemaker_submit_directory).toBe(`"/opt/ml/input/data/code/${key}"`);
    // A model without network is repacked: its code comes from the model artifact.
    expect(spec.repack).toBe(true);
    expect(definition.States['Create model'].Parameters.PrimaryContainer.Environment.SAGEMAKER_SUBMIT_DIRECTORY).toBe('/opt/ml/model/code');
  });

  test('"code" is a reserved channel name and sagemaker_* are reserved hyperparameters in script mode', () => {
    expect(() => pipeline({ training: { enableNetworkIsolation: true, channels: [{ channelName: 'code', input: TrainingInput.fromAsset(SKLEARN_CODE) }] } }))
      .toThrow(/training\.channels: a channel named "code" carries the code/);
    const channels = Array.from({ length: 20 }, (_, i) => ({ channelName: `c${i}`, input: TrainingInput.fromAsset(SKLEARN_CODE) }));
    expect(() => pipeline({ training: { enableNetworkIsolation: true, channels } }))
      .toThrow(/training\.channels: has 20 channels; allowed: 1 to 19 in script mode with enableNetworkIsolation/);
    const many = Object.fromEntries(Array.from({ length: 95 }, (_, i) => [`hp${i}`, i]));
    expect(() => pipeline({ training: { hyperparameters: many } }))
      .toThrow(/training\.hyperparameters: has 95 entries; allowed: at most 94 in script mode/);
    expect(() => pipeline({ training: { hyperparameters: { model_dir: 'x' } } }))
      .toThrow(/training\.hyperparameters\.model_dir: is set by the library in script mode/);
    expect(() => pipeline({ training: { hyperparameters: { sagemaker_program: 'x' } } }))
      .toThrow(/training\.hyperparameters\.sagemaker_program: is set by the library in script mode/);
  });

  test('TensorFlow also gets model_dir under the job\'s output; without inferenceCode the SavedModel is served as it is', () => {
    const { definition, spec } = pipeline({ image: AlgorithmImage.fromFramework(Framework.TENSORFLOW, '2.19'), training: { code: SourceCode.fromAsset(TF_CODE, { entryPoint: 'train.py' }) } });
    const hps = definition.States.Train.Parameters.HyperParameters;
    expect(hps['model_dir.$']).toMatch(/^States\.Format\('"s3:\/\/\$\{Ref:IrisOutputBucket[0-9A-F]+\}\/training\/\{\}\/model"', \$\.byoa\.name\)$/);
    expect(spec.training.HyperParameters!.model_dir).toBe('"/opt/ml/model"');
    expect(definition.States['Create model'].Parameters.PrimaryContainer.Environment).toBeUndefined();
    expect(spec.inferenceCode).toBeUndefined();
    expect(spec.repack).toBeUndefined();
  });

  test('TensorFlow Serving takes only inference.py', () => {
    expect(() => pipeline({
      image: AlgorithmImage.fromFramework(Framework.TENSORFLOW, '2.19'),
      training: { code: SourceCode.fromAsset(TF_CODE, { entryPoint: 'train.py' }) },
      inferenceCode: SourceCode.fromAsset(TF_CODE, { entryPoint: 'train.py' }),
    })).toThrow(/inferenceCode\.entryPoint: "train\.py" is not valid; allowed: "inference\.py": TensorFlow Serving loads only code\/inference\.py/);
  });

  test('an environment-agnostic stack sends the region at deploy time; the run spec holds a placeholder', () => {
    const { stack, definition, spec } = pipeline({}, {});
    expect(definition.States.Train.Parameters.HyperParameters.sagemaker_region).toBe('"${Ref:AWS::Region}"');
    expect(spec.training.HyperParameters!.sagemaker_region).toBe('"unresolved://AWS::Region"');
    expect(spec.model.PrimaryContainer!.Environment!.SAGEMAKER_REGION).toBe('unresolved://AWS::Region');
    expect(stack.resolve(spec.training.HyperParameters!.sagemaker_program)).toBe('"train.py"');
  });

  test('SourceCode.fromBucket: the object as it is, read access to it only', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-west-2' } });
    const bucket = s3.Bucket.fromBucketName(stack, 'Code', 'my-code-bucket');
    const p = new ByoaPipeline(stack, 'Iris', minimalPipelineProps(stack, {
      image: AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1'),
      training: { code: SourceCode.fromBucket(bucket, 'code/sourcedir.tar.gz', 'train.py') },
    }));
    const definition = stateMachineDefinition(Template.fromStack(stack));
    expect(definition.States.Train.Parameters.HyperParameters.sagemaker_submit_directory).toBe('"s3://my-code-bucket/code/sourcedir.tar.gz"');
    const spec = p.node.metadata.find(m => m.type === RUN_SPEC_METADATA_TYPE)!.data as RunSpec;
    expect(spec.code).toEqual({ entryPoint: 'train.py', location: 's3://my-code-bucket/code/sourcedir.tar.gz' });
    const stack2 = new Stack(new App(), 'S2', { env: { account: '123456789012', region: 'us-west-2' } });
    expect(() => new ByoaPipeline(stack2, 'Iris', minimalPipelineProps(stack2, {
      image: AlgorithmImage.fromFramework(Framework.SKLEARN, '1.2-1'),
      training: { code: SourceCode.fromBucket(s3.Bucket.fromBucketName(stack2, 'Code', 'my-code-bucket'), 'code/', 'train.py') },
    }))).toThrow(/training\.code key: "code\/" is not valid; allowed: the key of a gzip tar object/);
  });
});
