import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { prng } from './prng';
import { runTransformJob, TransformRunResult } from '../../../../src/local/private/transform/runner';
import { buildServingImage, modelTempDirs, ownContainers, SERVING_IMAGE, tempDir, testDocker } from '../../fixtures/serving/fixture';

/**
 * The SplitType Line + MultiRecord fast path against the general
 * (record by record) path, through the real runner and the real fixture
 * container: the `.out` files must be byte-identical, failures the same.
 */

const LIMIT = 1024 * 1024; // MaxPayloadInMB 1
let root: { dir: string; remove: () => void };

/**
 * About 3.5 MB of lines (1 to 5000 bytes, some CRLF, some empty) that span
 * the 1 MB read chunks; a CR ends the first chunk, its LF starts the second.
 */
function bigInput(): Buffer {
  const random = prng(7);
  const parts: string[] = ['p'.repeat(LIMIT - 1) + '\r\n'];
  let size = LIMIT + 1;
  let i = 0;
  while (size < 3.5 * LIMIT) {
    const r = random();
    const line = `${i++},` + 'v'.repeat(Math.floor(random() * 5000)) + (r < 0.1 ? '\r\n' : r < 0.15 ? '\n\n' : '\n');
    parts.push(line);
    size += line.length;
  }
  parts.push('last,no-newline');
  return Buffer.from(parts.join(''));
}

const FILES: { [name: string]: Buffer } = {
  'a-empty-lines.txt': Buffer.from('\n\nalpha\n\n\nbeta\n\n'),
  'b-crlf.txt': Buffer.from('one\r\ntwo\r\n\r\nthree\r\r\nfour\n\rfive\r\n'),
  'c-no-final-newline.txt': Buffer.from('first\nsecond\nlast-without-newline'),
  'd-exact-limit.txt': Buffer.from('small\n' + 'x'.repeat(LIMIT) + '\n' + 'y'.repeat(LIMIT - 1) + '\n' + 'z'.repeat(LIMIT) + '\r\n' + 'tail\n' + 'w'.repeat(LIMIT)),
  'e-over-limit.txt': Buffer.from('ok\n\nfine\n' + 'o'.repeat(LIMIT + 1) + '\n' + 'after\n'),
  'f-big.csv': bigInput(),
  'g-only-newlines.txt': Buffer.from('\n\r\n\n'),
  'h/nested.csv': Buffer.from('1,2\n3,4\n'),
};

const OVER_LIMIT_REASON = "Input 'e-over-limit.txt' failed: Record 3 of 'e-over-limit.txt' is 1048577 bytes, larger than MaxPayloadInMB allows (1048576 bytes).";

interface Variant {
  readonly mode: 'echo' | 'describe';
  readonly assembleWith: 'Line' | 'None';
  readonly gzip?: boolean;
  readonly maxPayloadInMB?: number;
}

interface Outcome {
  readonly result: TransformRunResult;
  /** Output file name → bytes (absent when the file failed). */
  readonly outputs: { [name: string]: Buffer | undefined };
}

async function run(variant: Variant, fast: boolean): Promise<Outcome> {
  const inputDir = variant.gzip ? 'inputs-gz' : 'inputs';
  const tag = [variant.mode, variant.assembleWith, variant.gzip ? 'gz' : 'plain', variant.maxPayloadInMB ?? 1, fast ? 'fast' : 'general'].join('-');
  const workDir = path.join(root.dir, `work-${tag}`);
  const result = await runTransformJob({
    docker: testDocker,
    request: {
      TransformJobName: 'fast-line',
      ModelName: 'm',
      BatchStrategy: 'MultiRecord',
      MaxPayloadInMB: variant.maxPayloadInMB ?? 1,
      MaxConcurrentTransforms: 3,
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `file://${inputDir}` } },
        SplitType: 'Line',
        ContentType: 'text/csv',
        CompressionType: variant.gzip ? 'Gzip' : 'None',
      },
      TransformOutput: { S3OutputPath: 's3://ignored/out', AssembleWith: variant.assembleWith },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    },
    model: { ModelName: 'm', PrimaryContainer: { Image: 'ignored', Environment: { FIXTURE_BIND_HOST: '127.0.0.1', FIXTURE_MODE: variant.mode } } },
    image: SERVING_IMAGE,
    region: 'eu-west-1',
    account: '123456789012',
    assemblyDir: root.dir,
    workDir,
    startupTimeoutMs: 20_000,
    stopGraceSeconds: 2,
    fastLinePath: fast,
  });
  const outputs: { [name: string]: Buffer | undefined } = {};
  for (const name of Object.keys(FILES)) {
    const out = path.join(result.outputDir, (variant.gzip ? `${name}.gz` : name) + '.out');
    outputs[name] = fs.existsSync(out) ? fs.readFileSync(out) : undefined;
  }
  return { result, outputs };
}

/** Runs both paths and checks they agree on everything; returns the fast path's outcome. */
async function runBoth(variant: Variant): Promise<Outcome> {
  // WHEN
  const fast = await run(variant, true);
  const general = await run(variant, false);
  // THEN: byte-identical outputs, the same per-file results, the same job outcome
  for (const name of Object.keys(FILES)) {
    const a = fast.outputs[name];
    const b = general.outputs[name];
    // (Buffer.equals: jest's deep equality is far too slow on megabytes)
    expect({ name, fast: a?.length, general: b?.length, sameBytes: a === undefined ? b === undefined : b !== undefined && a.equals(b) })
      .toEqual({ name, fast: b?.length, general: b?.length, sameBytes: true });
  }
  const files = (o: Outcome) => o.result.files.map((f) => ({
    input: f.input, records: f.records, failureReason: f.failureReason, output: !!f.output,
  }));
  expect(files(fast)).toEqual(files(general));
  expect(fast.result.status).toBe(general.result.status);
  expect(fast.result.failureReason).toBe(general.result.failureReason);
  expect(fast.result.records).toBe(general.result.records);
  return fast;
}

beforeAll(async () => {
  await buildServingImage();
  root = tempDir('byoa-fast-line-test-');
  for (const [name, content] of Object.entries(FILES)) {
    for (const [dir, data, suffix] of [['inputs', content, ''], ['inputs-gz', zlib.gzipSync(content), '.gz']] as const) {
      const file = path.join(root.dir, dir, name + suffix);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, data);
    }
  }
});

afterEach(async () => {
  // THEN (for every test): the serving containers were stopped and removed, the model folders deleted
  expect(await ownContainers()).toEqual([]);
  expect(modelTempDirs()).toEqual([]);
});

afterAll(() => root?.remove());

describe('SplitType Line + MultiRecord fast path', () => {
  test('GIVEN echo and AssembleWith Line WHEN run by both paths THEN the .out files are byte-identical and hold every record once, in order', async () => {
    const fast = await runBoth({ mode: 'echo', assembleWith: 'Line' });
    // THEN: what SageMaker produces (records + \n, empty lines and \r\n terminators dropped)
    expect(fast.outputs['a-empty-lines.txt']!.toString()).toBe('alpha\nbeta\n');
    expect(fast.outputs['b-crlf.txt']!.toString()).toBe('one\ntwo\nthree\r\nfour\n\rfive\n');
    expect(fast.outputs['c-no-final-newline.txt']!.toString()).toBe('first\nsecond\nlast-without-newline\n');
    expect(fast.outputs['d-exact-limit.txt']!.toString()).toBe(
      'small\n' + 'x'.repeat(LIMIT) + '\n' + 'y'.repeat(LIMIT - 1) + '\n' + 'z'.repeat(LIMIT) + '\n' + 'tail\n' + 'w'.repeat(LIMIT) + '\n');
    expect(fast.outputs['e-over-limit.txt']).toBeUndefined();
    const big = FILES['f-big.csv'].toString().split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
    expect(fast.outputs['f-big.csv']!.toString()).toBe(big.join('\n') + '\n');
    expect(fast.outputs['g-only-newlines.txt']!.length).toBe(0);
    expect(fast.outputs['h/nested.csv']!.toString()).toBe('1,2\n3,4\n');
    expect(fast.result.status).toBe('Failed');
    expect(fast.result.failureReason).toMatch(new RegExp('^' + OVER_LIMIT_REASON.replace(/[.()]/g, '\\$&')));
    expect(fast.result.files.find((f) => f.input === 'f-big.csv')!.records).toBe(big.length);
  });

  test('GIVEN describe (records and bytes per request) WHEN run by both paths THEN the requests are packed identically, never across files', async () => {
    const fast = await runBoth({ mode: 'describe', assembleWith: 'Line' });
    // THEN: one request per file for the small ones; lone records of exactly the limit go without their \n
    expect(fast.outputs['a-empty-lines.txt']!.toString()).toBe('2 11\n');
    expect(fast.outputs['h/nested.csv']!.toString()).toBe('2 8\n');
    expect(fast.outputs['c-no-final-newline.txt']!.toString()).toBe('3 34\n');
    expect(fast.outputs['d-exact-limit.txt']!.toString()).toBe(`1 6\n1 ${LIMIT}\n1 ${LIMIT}\n1 ${LIMIT}\n1 5\n1 ${LIMIT}\n`);
    const requests = fast.outputs['f-big.csv']!.toString().trim().split('\n').map((l) => l.split(' ').map(Number));
    expect(requests.length).toBeGreaterThan(3);
    for (const [, bytes] of requests) expect(bytes).toBeLessThanOrEqual(LIMIT);
  });

  test('GIVEN AssembleWith None WHEN run by both paths THEN the .out files are byte-identical', async () => {
    const fast = await runBoth({ mode: 'echo', assembleWith: 'None' });
    expect(fast.outputs['d-exact-limit.txt']!.toString()).toBe(
      'small\n' + 'x'.repeat(LIMIT) + 'y'.repeat(LIMIT - 1) + '\n' + 'z'.repeat(LIMIT) + 'tail\n' + 'w'.repeat(LIMIT));
  });

  test('GIVEN gzipped inputs WHEN run by both paths THEN the .out files are byte-identical', async () => {
    const fast = await runBoth({ mode: 'echo', assembleWith: 'Line', gzip: true });
    expect(fast.outputs['b-crlf.txt']!.toString()).toBe('one\ntwo\nthree\r\nfour\n\rfive\n');
    expect(fast.result.failureReason).toMatch(/^Input 'e-over-limit.txt.gz' failed: Record 3 of 'e-over-limit.txt.gz' is 1048577 bytes/);
  });

  test('GIVEN MaxPayloadInMB 0 (no limit) WHEN run by both paths THEN each file is one request, identical on both paths', async () => {
    const fast = await runBoth({ mode: 'describe', assembleWith: 'Line', maxPayloadInMB: 0 });
    expect(fast.result.status).toBe('Completed');
    expect(fast.outputs['e-over-limit.txt']!.toString()).toBe(`4 ${3 + 5 + LIMIT + 1 + 1 + 6}\n`);
    expect(fast.outputs['f-big.csv']!.toString()).toMatch(/^\d+ \d+\n$/);
  });
});
