/**
 * Extracts, from SageMaker's API model (botocore's `sagemaker/2017-07-24/service-2.json`,
 * Apache-2.0), the input shapes of the operations the library's state machine
 * and run spec send, with every shape they reach, and only the fields a
 * request validator needs. The result, `test/fixtures/sagemaker-api-shapes.json`,
 * is committed, so the conformance tests never need the full model.
 *
 *   npx ts-node scripts/extract-sagemaker-shapes.ts [MODEL_JSON] [--commit SHA] [--out FILE]
 *
 * MODEL_JSON defaults to `../shared/data/sagemaker-service-2.json` relative to
 * the repository root. The botocore commit is read from a `README.md` next to
 * the model (the first 40-hex-digit word after "commit") unless `--commit` is given.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';

/** The operations whose input shapes are extracted. */
export const OPERATIONS = [
  'CreateTrainingJob',
  'CreateModel',
  'CreateTransformJob',
  'CreateEndpointConfig',
  'CreateEndpoint',
  'UpdateEndpoint',
  'DescribeEndpoint',
  'DescribeTrainingJob',
  'DescribeTransformJob',
] as const;

/** The fields of a shape that are kept. */
const SHAPE_FIELDS = ['type', 'required', 'min', 'max', 'pattern', 'enum', 'union'] as const;

class ExtractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtractError';
  }
}

interface ModelShape {
  readonly type: string;
  readonly members?: { [name: string]: { readonly shape: string } };
  readonly member?: { readonly shape: string };
  readonly key?: { readonly shape: string };
  readonly value?: { readonly shape: string };
  readonly [field: string]: unknown;
}

interface Model {
  readonly metadata: { readonly apiVersion: string; readonly serviceId?: string; readonly uid?: string };
  readonly operations: { [name: string]: { readonly input?: { readonly shape: string } } };
  readonly shapes: { [name: string]: ModelShape };
}

/** A shape reduced to what a validator reads. */
function reduce(shape: ModelShape): { [field: string]: unknown } {
  const out: { [field: string]: unknown } = {};
  for (const field of SHAPE_FIELDS) {
    if (shape[field] !== undefined) out[field] = shape[field];
  }
  if (shape.members) {
    out.members = Object.fromEntries(Object.entries(shape.members).map(([name, m]) => [name, { shape: m.shape }]));
  }
  for (const ref of ['member', 'key', 'value'] as const) {
    if (shape[ref]) out[ref] = { shape: shape[ref]!.shape };
  }
  return out;
}

/** The names of the shapes a shape refers to directly. */
function references(shape: ModelShape): string[] {
  const refs = Object.values(shape.members ?? {}).map(m => m.shape);
  for (const ref of [shape.member, shape.key, shape.value]) {
    if (ref) refs.push(ref.shape);
  }
  return refs;
}

/** The reduced document: source header, operation → input shape, and the reachable shapes (sorted by name). */
export function extract(model: Model, commit: string | undefined): object {
  const operations: { [name: string]: string } = {};
  const reached = new Set<string>();
  const queue: string[] = [];
  for (const op of OPERATIONS) {
    const input = model.operations[op]?.input?.shape;
    if (!input) throw new ExtractError(`operation ${op} (or its input shape) is not in the model; expected one of SageMaker's operations`);
    operations[op] = input;
    queue.push(input);
  }
  while (queue.length) {
    const name = queue.pop()!;
    if (reached.has(name)) continue;
    const shape = model.shapes[name];
    if (!shape) throw new ExtractError(`shape ${name} is referenced but not defined in the model`);
    reached.add(name);
    queue.push(...references(shape));
  }
  const shapes = Object.fromEntries([...reached].sort().map(name => [name, reduce(model.shapes[name])]));
  return {
    source: {
      description: 'Input shapes of the SageMaker operations cdk-sagemaker-byoa sends, extracted by scripts/extract-sagemaker-shapes.ts from the AWS SDK for Python (botocore) data file botocore/data/sagemaker/2017-07-24/service-2.json. Only type, members, required, min, max, pattern, enum, union, member, key and value are kept.',
      project: 'botocore (https://github.com/boto/botocore)',
      botocoreCommit: commit ?? 'unknown',
      apiVersion: model.metadata.apiVersion,
      uid: model.metadata.uid,
      license: 'Apache-2.0',
      copyright: 'Copyright Amazon.com, Inc. or its affiliates. All Rights Reserved.',
    },
    operations,
    shapes,
  };
}

/** The botocore commit named in a README next to the model, if any. */
function commitFromReadme(modelPath: string): string | undefined {
  const readme = path.join(path.dirname(modelPath), 'README.md');
  if (!fs.existsSync(readme)) return undefined;
  return /commit\s+([0-9a-f]{40})/i.exec(fs.readFileSync(readme, 'utf8'))?.[1];
}

function main(): void {
  const root = path.resolve(__dirname, '..');
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      commit: { type: 'string' },
      out: { type: 'string', default: path.join(root, 'test', 'fixtures', 'sagemaker-api-shapes.json') },
    },
  });
  const modelPath = path.resolve(root, positionals[0] ?? path.join('..', 'shared', 'data', 'sagemaker-service-2.json'));
  if (!fs.existsSync(modelPath)) {
    throw new ExtractError(`the SageMaker API model ${modelPath} does not exist; pass the path of botocore's sagemaker service-2.json`);
  }
  const model = JSON.parse(fs.readFileSync(modelPath, 'utf8')) as Model;
  const commit = values.commit ?? commitFromReadme(modelPath);
  if (commit !== undefined && !/^[0-9a-f]{40}$/.test(commit)) {
    throw new ExtractError(`--commit ${JSON.stringify(commit)} is not a 40-hex-digit git commit`);
  }
  const document = extract(model, commit);
  const out = path.resolve(values.out!);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(document, undefined, 1)}\n`);
  const shapeCount = Object.keys((document as { shapes: object }).shapes).length;
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}: ${OPERATIONS.length} operations, ${shapeCount} shapes, ${fs.statSync(out).size} bytes\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}
