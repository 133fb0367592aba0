/**
 * Done means: `gocpu doctor` on the VM says linux/arm64 runs natively there (the test
 * host only emulates it), with sshfs, /dev/fuse and unprivileged user namespaces usable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { binDir, describeRun, goEnv, repoRoot, run } from '../e2e/harness.js';
import { testVm, VM_RUN_MS } from './vm.js';

test('gocpu doctor --target linux/arm64 on the VM: every row ok, arm64 native', async () => {
  const vm = testVm();
  const r = await run(path.join(binDir, 'gocpu'), ['doctor', '--target', 'linux/arm64', vm.host], {
    cwd: repoRoot,
    env: goEnv({ env: vm.env }),
    timeoutMs: VM_RUN_MS,
  });
  assert.equal(r.code, 0, describeRun(r));
  const rows = new Map<string, string>();
  for (const m of r.stdout.matchAll(/^(ok|warn|FAIL) {2,}(\S+(?: \S+)*?) {2,}(.*)$/gm)) rows.set(m[2], `${m[1]} ${m[3]}`);
  assert.match(rows.get('architecture') ?? '', /^ok aarch64 runs linux\/arm64 natively$/, describeRun(r));
  for (const c of ['ssh', 'sshfs', '/dev/fuse', 'user namespaces', 'tools', 'temp dir']) {
    assert.match(rows.get(c) ?? '', /^ok /, `${c} row: ${describeRun(r)}`);
  }
});
