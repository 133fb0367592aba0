/**
 * outputs.test.ts again, on the path fallback a local system without /proc/self/fd
 * (macOS) takes: GOCPU_SFTP_NO_FD_PATHS=1 before anything imports fd-path.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

process.env.GOCPU_SFTP_NO_FD_PATHS = '1';
const { FD_PATHS } = await import('../../src/sftp/resolve/fd-path.js');
await import('./outputs.test.js');

test('the fallback is in use', () => {
  assert.equal(FD_PATHS, false);
});
