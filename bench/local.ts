/**
 * `npm run bench:local`: the local-mode benchmarks in one run.
 *
 * 1. bench/local-training.ts: the training runner's overhead against a plain
 *    `docker run --rm` with the same mounts (target: at most 1.2x), on a
 *    container that exits at once and on a script-mode job (the scikit-learn
 *    lab on the stand-in framework image).
 * 2. bench/local-transform.ts: batch transform records/s through the runner
 *    against the same container driven directly by a plain HTTP client at the
 *    same concurrency, SingleRecord and MultiRecord (targets: at least 0.95x
 *    for SingleRecord, 0.9x for MultiRecord), the container pinned to one CPU.
 *    bench/loopback-client.ts: local mode's HTTP client against http.Agent,
 *    requests/s and CPU per request of the client and of the container.
 * 3. bench/local-transform-memory.ts: peak memory of a MultiRecord
 *    transform on 10 MB, 100 MB and 1 GB inputs (target: at most 1.2x of the
 *    10 MB peak at 1 GB).
 * 4. bench/local-whole-job.ts: whole jobs, command to prompt, through the
 *    real CLI (lib/cli/byoa.js: run `npx projen compile` first) beside a
 *    plain `docker run` of the same work, on a container that handles
 *    SIGTERM and on one that ignores it.
 *
 * Each part runs as its own process, so one cannot warm the other's caches.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const parts = ['local-training.ts', 'local-transform.ts', 'loopback-client.ts', 'local-transform-memory.ts', 'local-whole-job.ts'];
let failed = false;
for (const part of parts) {
  console.log(`\n=== bench/${part}`);
  const result = spawnSync(process.execPath, [
    require.resolve('ts-node/dist/bin.js'), '--transpile-only', '--project', path.join(__dirname, '..', 'test', 'tsconfig.json'),
    path.join(__dirname, part),
  ], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`bench/${part} failed with exit code ${result.status}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
