import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Gives the test run its own temporary folder: `App`s without an outdir, and
 * the local runner's scratch folders, are created under it, and
 * global-teardown.ts removes it, so a test run leaves nothing in /tmp.
 */
export default function globalSetup(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'byoa-jest-'));
  process.env.BYOA_JEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
}
