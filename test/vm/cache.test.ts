/**
 * Done means: go's test cache works with the VM: the second identical `go test` prints
 * `(cached)` without running anything there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRun, fixtureDir } from '../e2e/harness.js';
import { datedCopy, goTest } from './vm.js';

test('a second go test on the VM prints (cached)', async (t) => {
  // A fresh copy: its path is in the test binary, so no result of an earlier suite run matches.
  const copy = datedCopy(fixtureDir('vm'));
  t.after(copy.cleanup);
  const args = ['-run', '^TestTestdata$', '.'];
  const first = await goTest(args, copy.dir, { vm: true });
  assert.equal(first.code, 0, describeRun(first));
  assert.match(first.stdout, /^ok  \texample\.com\/fx\/vm\t\d+\.\d+s$/m, `the first run should run the test: ${describeRun(first)}`);
  const second = await goTest(args, copy.dir, { vm: true });
  assert.equal(second.code, 0, describeRun(second));
  assert.match(second.stdout, /^ok  \texample\.com\/fx\/vm\t\(cached\)$/m, `the second run should be cached: ${describeRun(second)}`);
});
