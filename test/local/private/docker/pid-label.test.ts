/**
 * Every container (and network) local mode creates carries
 * `byoa.pid=<this process>`: the tests check for leftovers by that label
 * only, so an unlabelled container would be a leak no test could see. Here
 * the real runners (batch transform, endpoint, the chown helper) run through
 * a recording wrapper of the Docker CLI, and every `docker run` / `create`
 * they issued must carry the label.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalEndpoint } from '../../../../src/local/local-endpoint';
import { buildRunArgs, DockerCli, HOST_LABEL, LOCAL_LABEL, ownLabels, PID_LABEL, restoreOwnership } from '../../../../src/local/private/docker';
import { runTransformJob } from '../../../../src/local/private/transform/runner';
import { buildServingImage, modelTempDirs, ownContainers, SERVING_IMAGE, tempDir } from '../../fixtures/serving/fixture';
import { leftoverContainers, requireDocker } from '../../local-test-helpers';

const OWN = `${PID_LABEL}=${process.pid}`;

let work: { dir: string; remove: () => void };
let wrapper: string;
let log: string;

/** Each docker call the wrapper saw, as its argument list. */
function calls(): string[][] {
  if (!fs.existsSync(log)) return [];
  return fs.readFileSync(log, 'utf8').split('\u0000---\u0000\n').filter((c) => c).map((c) => c.split('\u0000').filter((a) => a !== ''));
}

/** The calls that create a container or a network. */
function creations(): string[][] {
  return calls().filter((args) => args[0] === 'run' || args[0] === 'create' || (args[0] === 'container' && args[1] === 'create')
    || (args[0] === 'network' && args[1] === 'create'));
}

/** The `--label` values of one call. */
function labelsOf(args: string[]): string[] {
  return args.flatMap((a, i) => (a === '--label' ? [args[i + 1]] : a.startsWith('--label=') ? [a.slice('--label='.length)] : []));
}

beforeAll(async () => {
  requireDocker();
  await buildServingImage();
  work = tempDir('byoa-pid-label-test-');
  log = path.join(work.dir, 'calls.log');
  wrapper = path.join(work.dir, 'docker-recorder');
  // Records the arguments (NUL-separated: values may hold newlines), then runs the real CLI.
  fs.writeFileSync(wrapper, `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done >> '${log}'\nprintf '\\0---\\0\\n' >> '${log}'\nexec docker "$@"\n`, { mode: 0o755 });
});

afterEach(async () => {
  // THEN (for every test): nothing of this process is left behind
  expect(await ownContainers()).toEqual([]);
  expect(leftoverContainers()).toEqual([]);
  expect(modelTempDirs()).toEqual([]);
});

afterAll(() => work?.remove());

describe('byoa.pid label', () => {
  test('buildRunArgs always adds byoa.local and this process\' byoa.pid, and a caller cannot override them', () => {
    // WHEN a caller passes labels of the same names
    const args = buildRunArgs({ image: 'i', labels: { [PID_LABEL]: '1', [LOCAL_LABEL]: 'false', other: 'x' } });
    // THEN
    expect(labelsOf(args)).toEqual([`${LOCAL_LABEL}=true`, OWN, `${HOST_LABEL}=${os.hostname()}`, 'other=x']);
    expect(ownLabels()).toEqual({ [LOCAL_LABEL]: 'true', [PID_LABEL]: String(process.pid), [HOST_LABEL]: os.hostname() });
  });

  test('GIVEN the real transform runner, endpoint and chown helper WHEN they run THEN every container they create carries byoa.pid=<this process>', async () => {
    // GIVEN a transform input, and a folder the chown helper gives back (as if this process were not root)
    const assemblyDir = path.join(work.dir, 'assembly');
    fs.mkdirSync(path.join(assemblyDir, 'input'), { recursive: true });
    fs.writeFileSync(path.join(assemblyDir, 'input', 'a.csv'), '1\n2\n3\n');
    const owned = path.join(work.dir, 'owned');
    fs.mkdirSync(owned);
    const getuid = jest.spyOn(process, 'getuid').mockReturnValue(process.getuid?.() || 4321);
    let chownProblem: string | undefined = 'not run';
    // WHEN each runs through the recording CLI
    const recorder = new DockerCli(wrapper);
    try {
      const job = await runTransformJob({
        docker: recorder,
        request: {
          TransformJobName: 'pid-label',
          ModelName: 'm',
          BatchStrategy: 'SingleRecord',
          TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://input' } }, SplitType: 'Line' },
          TransformOutput: { S3OutputPath: 's3://ignored/out', AssembleWith: 'Line' },
          TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
        },
        model: { ModelName: 'm', PrimaryContainer: { Image: 'ignored', Environment: { FIXTURE_BIND_HOST: '127.0.0.1', FIXTURE_MODE: 'echo' } } },
        image: SERVING_IMAGE,
        region: 'eu-west-1',
        account: '123456789012',
        assemblyDir,
        workDir: path.join(work.dir, 'out'),
        startupTimeoutMs: 20_000,
        stopGraceSeconds: 2,
      });
      expect(job.status).toBe('Completed');
      const endpoint = await LocalEndpoint._start({ image: SERVING_IMAGE, environment: { FIXTURE_BIND_HOST: '127.0.0.1', FIXTURE_MODE: 'echo' } }, recorder);
      // WHILE it runs, the engine holds the label on its container
      expect(await ownContainers('byoa.endpoint')).toHaveLength(1);
      await endpoint.stop();
      chownProblem = await restoreOwnership(recorder, [owned], SERVING_IMAGE);
    } finally {
      getuid.mockRestore();
    }
    // THEN the chown helper ran (for real) and all three created containers, each with the label
    expect(chownProblem).toBeUndefined();
    const created = creations();
    expect(created.filter((args) => args.includes('chown'))).toHaveLength(1);
    expect(created.length).toBeGreaterThanOrEqual(3);
    const unlabelled = created.filter((args) => !labelsOf(args).includes(OWN) || !labelsOf(args).includes(`${LOCAL_LABEL}=true`));
    expect(unlabelled).toEqual([]);
  });
});
