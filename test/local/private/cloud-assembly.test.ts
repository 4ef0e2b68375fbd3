import * as fs from 'fs';
import * as path from 'path';
import { readRunSpec, readRunSpecs } from '../../../src/local/private/cloud-assembly';
import { uniqueJobName } from '../../../src/local/private/job-name';
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
  test('prefix plus a UTC timestamp suffix', () => {
    expect(uniqueJobName('iris-train', new Date('2030-01-02T03:04:05.678Z'))).toBe('iris-train-20300102030405678');
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
