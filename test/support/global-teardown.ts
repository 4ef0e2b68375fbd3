import * as fs from 'fs';

/** Removes the test run's temporary folder (see global-setup.ts). */
export default function globalTeardown(): void {
  const dir = process.env.BYOA_JEST_TMPDIR;
  if (dir && dir.includes('byoa-jest-')) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
