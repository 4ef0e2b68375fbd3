import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeAssembly, trainingRequest } from './local-test-helpers';
import { DockerRunner } from '../../src/local';

describe('DockerRunner.newestTrainedModel', () => {
  function workDirWith(jobs: { name: string; status?: string; model?: boolean }[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-newest-'));
    for (const job of jobs) {
      fs.mkdirSync(path.join(dir, job.name, 'output'), { recursive: true });
      if (job.model !== false) fs.writeFileSync(path.join(dir, job.name, 'output', 'model.tar.gz'), 'x');
      if (job.status) fs.writeFileSync(path.join(dir, job.name, 'description.json'), JSON.stringify({ TrainingJobStatus: job.status }));
    }
    return dir;
  }

  test('GIVEN completed, failed and foreign jobs WHEN asked THEN the newest completed job of this pipeline is chosen', () => {
    // GIVEN
    const assembly = makeAssembly(trainingRequest('ok', { TrainingJobName: 'iris' }));
    const workDir = workDirWith([
      { name: 'iris-20260101000000000', status: 'Completed' },
      { name: 'iris-20260301000000000', status: 'Completed' },
      { name: 'iris-20260401000000000', status: 'Failed' },
      { name: 'iris-20260501000000000', status: 'Completed', model: false },
      { name: 'other-20260601000000000', status: 'Completed' },
    ]);
    const runner = DockerRunner.fromCloudAssembly(assembly.dir, 'TestStack/Pipe', { workDir });

    // WHEN
    const newest = runner.newestTrainedModel();

    // THEN
    expect(newest).toEqual({
      modelArtifact: path.join(workDir, 'iris-20260301000000000', 'output', 'model.tar.gz'),
      trainingJobName: 'iris-20260301000000000',
    });
  });

  test('GIVEN no completed job WHEN asked THEN a LocalModeError says how to get one', () => {
    const assembly = makeAssembly(trainingRequest('ok', { TrainingJobName: 'iris' }));
    const runner = DockerRunner.fromCloudAssembly(assembly.dir, 'TestStack/Pipe', { workDir: workDirWith([]) });
    expect(() => runner.newestTrainedModel()).toThrow(expect.objectContaining({ name: 'LocalModeError' }));
    expect(() => runner.newestTrainedModel()).toThrow(/No trained model of pipeline .* no completed training job iris-<timestamp> with output\/model.tar.gz. Run 'byoa local train/);
  });
});
