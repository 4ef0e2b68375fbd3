import * as fs from 'fs';
import * as path from 'path';
import { readRunSpec, readRunSpecs } from '../../../src/local/private/cloud-assembly';
import { jobNameMatcher, uniqueJobName } from '../../../src/local/private/job-name';
import { JOB_NAME_PATTERN } from '../../../src/private/sagemaker-limits';
import { makeAssembly, trainingRequest } from '../local-test-helpers';

describe('cloud assembly reader', () => {
  const a = makeAssembly(trainingRequest('ok'));
  afterAll(() => a.dispose());

  test('finds the run spec by construct path, with or without a leading slash, or by id', () => {
    expect(readRunSpec(a.dir, 'TestStack/Pipe').training.TrainingJobName).toBe('fixture-train');
    expect(readRunSpec(a.dir, '/TestStack/Pipe').pipeline).toBe('TestStack/Pipe');
    expect(readRunSpec(a.dir, 'Pipe').pipeline).toBe('TestStack/Pipe');
    expect([...readRunSpecs(a.dir).keys()]).toEqual(['TestStack/Pipe']);
  });

  test('an unknown pipeline lists the pipelines that exist', () => {
    expect(() => readRunSpec(a.dir, 'TestStack/Other')).toThrow(/No pipeline 'TestStack\/Other' .*Pipelines: TestStack\/Pipe\./);
  });

  test('a run spec of another version is rejected', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(a.dir, 'manifest.json'), 'utf8'));
    manifest.artifacts.TestStack.metadata['/TestStack/Pipe'][0].data.version = 2;
    const dir = path.join(a.dir, 'v2');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(() => readRunSpec(dir, 'TestStack/Pipe')).toThrow(/has version 2; this version of local mode reads version 1/);
  });

  test('invalid JSON is reported with the file name', () => {
    const dir = path.join(a.dir, 'bad');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{');
    expect(() => readRunSpecs(dir)).toThrow(/manifest.json is not valid JSON/);
  });
});

describe('job names', () => {
  test('prefix plus a UTC timestamp and the process id in base 36', () => {
    expect(uniqueJobName('iris-train', new Date('2030-01-02T03:04:05.678Z'), 4194303)).toBe('iris-train-20300102030405678-2hwcf');
  });

  test('the process id ends the name (names of two processes in the same millisecond differ there)', () => {
    expect(uniqueJobName('x', new Date('2032-01-01T00:00:00.000Z'), 1234)).toMatch(/^x-\d{17}-ya$/);
    expect(uniqueJobName('x', new Date('2032-01-01T00:00:00.000Z'), 1235)).toMatch(/^x-\d{17}-yb$/);
  });

  test('the matcher finds the names of its prefix and returns their stamp', () => {
    const match = jobNameMatcher('a'.repeat(80));
    expect(match(uniqueJobName('a'.repeat(80), new Date('2033-01-01T00:00:00.000Z')))).toBe('20330101000000000');
    expect(match(`${'a'.repeat(39)}-20330101000000000`)).toBe('20330101000000000'); // an earlier version's name
    expect(match(`${'a'.repeat(39)}-2033010100000000`)).toBeUndefined();
    expect(jobNameMatcher('iris')('iris-20330101000000000-abc')).toBe('20330101000000000');
    expect(jobNameMatcher('iris')('iris-x-20330101000000000-abc')).toBeUndefined();
  });

  test('are unique within a process even in the same millisecond', () => {
    const now = new Date('2031-01-01T00:00:00.000Z');
    expect(uniqueJobName('x', now)).not.toBe(uniqueJobName('x', now));
  });

  test.each([
    ['a'.repeat(80)],
    ['My_Job.Name--'],
    ['--leading'],
    [''],
  ])('stay valid for prefix %j', (prefix) => {
    const name = uniqueJobName(prefix);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(JOB_NAME_PATTERN);
  });
});

describe('a broken cloud assembly names the file and the cause', () => {
  const a = makeAssembly(trainingRequest('ok'));
  afterAll(() => a.dispose());

  function withManifest(name: string, manifest: unknown): string {
    const dir = path.join(a.dir, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  }

  test.each([
    ['null', null, /manifest\.json is not a cloud assembly manifest: it holds null, expected a JSON object/],
    ['an array', [1], /manifest\.json is not a cloud assembly manifest: it holds an array/],
    ['a string', 'x', /manifest\.json is not a cloud assembly manifest: it holds a string \("x"\)/],
    ['artifacts null', { artifacts: null }, /manifest\.json: "artifacts" is null, expected an object of artifacts by id/],
  ])('manifest.json holding %s', (name, manifest, message) => {
    const dir = withManifest(name.replace(/ /g, '-'), manifest);
    expect(() => readRunSpecs(dir)).toThrow(message);
  });

  test('a run spec entry without its requests', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(a.dir, 'manifest.json'), 'utf8'));
    const spec = manifest.artifacts.TestStack.metadata['/TestStack/Pipe'][0].data;
    delete spec.training;
    spec.model = null;
    const dir = withManifest('no-requests', manifest);
    expect(() => readRunSpec(dir, 'TestStack/Pipe')).toThrow(
      /The run spec of TestStack\/Pipe in .*manifest\.json lacks training \(the CreateTrainingJob request\), model \(the CreateModel request\)/);
  });
});
