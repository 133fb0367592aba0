/**
 * Done means: `GOARCH=arm64 go test ./...` through the wrapper runs every test binary on
 * a real arm64 kernel (the VM), not under binfmt emulation: `uname -m` read inside a
 * test says aarch64, and testdata read through symlinks arrives as in a local run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRun, fixtureDir } from '../e2e/harness.js';
import { datedCopy, goTest } from './vm.js';

test('GOARCH=arm64 go test -v ./... on the VM: uname -m inside the test is aarch64, testdata and symlinks read', async (t) => {
  const copy = datedCopy(fixtureDir('vm'));
  t.after(copy.cleanup);
  const r = await goTest(['-count=1', '-v', './...'], copy.dir, { vm: true });
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stdout, /^\s+vm_test\.go:\d+: uname -m: aarch64 \(GOARCH=arm64\)$/m, describeRun(r));
  assert.match(r.stdout, /^--- PASS: TestTestdata /m, describeRun(r));
  assert.match(r.stdout, /^\s+vm_test\.go:\d+: cwd ends in vm$/m, describeRun(r));
  for (const pkg of ['example.com/fx/vm', 'example.com/fx/vm/fail', 'example.com/fx/vm/signal']) {
    assert.match(r.stdout, new RegExp(`^ok  \\t${pkg.replace(/\./g, '\\.')}\\t\\d+\\.\\d+s$`, 'm'), `${pkg}: ${describeRun(r)}`);
  }
});
