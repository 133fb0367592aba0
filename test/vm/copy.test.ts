/**
 * Copy mode forced on the real arm64 VM (issue 10): the same module, testdata and
 * symlinks, read from a copy instead of a mount, with -coverprofile coming back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRun, fixtureDir } from '../e2e/harness.js';
import { datedCopy, goTest } from './vm.js';

test('GOCPU_MODE=copy on the VM: aarch64, testdata and symlinks read, -coverprofile back', async (t) => {
  const copy = datedCopy(fixtureDir('vm'));
  t.after(copy.cleanup);
  const cover = path.join(copy.dir, 'cover.out');
  const r = await goTest(['-count=1', '-v', `-coverprofile=${cover}`, '.'], copy.dir, { vm: true, env: { GOCPU_MODE: 'copy' } });
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stdout, /^\s+vm_test\.go:\d+: uname -m: aarch64 \(GOARCH=arm64\)$/m, describeRun(r));
  assert.match(r.stdout, /^--- PASS: TestTestdata /m, describeRun(r));
  assert.match(fs.readFileSync(cover, 'utf8'), /^mode: set\nexample\.com\/fx\/vm\//, 'coverprofile');
});
