import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { bindAssetData } from '../../src/private/data-location';

describe('bindAssetData', () => {
  const stack = () => new Stack(new App(), 'Stack');

  test('a path that does not exist throws the library\'s validation error with the resolved path', () => {
    // GIVEN
    const missing = path.join(__dirname, 'no-such-folder');

    // WHEN
    const bind = () => bindAssetData(stack(), 'Data', missing, { localMode: true });

    // THEN
    expect(bind).toThrow(expect.objectContaining({ name: 'ByoaValidationError' }));
    expect(bind).toThrow(`input asset path: ${JSON.stringify(missing)} does not exist (resolved to ${missing}); allowed: an existing file or directory`);
  });

  test('in the cloud, an asset without a staging bucket throws the library\'s validation error', () => {
    // WHEN
    const bind = () => bindAssetData(stack(), 'Data', __dirname, { localMode: false });

    // THEN
    expect(bind).toThrow(expect.objectContaining({ name: 'ByoaValidationError' }));
    expect(bind).toThrow(/Stack: invalid configuration \(1 problem\):\n {2}- stagingBucket: an asset input needs a bucket/);
  });
});
