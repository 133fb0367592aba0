/**
 * Done means: a failing test and a test binary that dies by a signal end on the VM
 * exactly as they end locally: go test's output and exit status, and the status of the
 * wrapper run by hand (a death by signal comes back as that signal).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { assertSameRun, binDir, describeRun, fixtureDir, goEnv, nativeGoarch, run, tempDir } from '../e2e/harness.js';
import { goTest, testVm, VM_RUN_MS } from './vm.js';

const cwd = fixtureDir('vm');

test('a failing test: same output and exit status as a local run', async () => {
  const args = ['-count=1', '-v', './fail'];
  const env = { FX_VM_FAIL: '1' };
  const local = await goTest(args, cwd, { vm: false, env });
  assert.equal(local.code, 1, describeRun(local));
  const remote = await goTest(args, cwd, { vm: true, env });
  assertSameRun(local, remote, 'go test ./fail with FX_VM_FAIL=1');
});

for (const sig of ['KILL', 'TERM', 'SEGV'] as const) {
  test(`a test binary that dies by SIG${sig}: go test says what it says locally`, async () => {
    const args = ['-count=1', './signal'];
    const env = { FX_VM_SIGNAL: sig };
    const local = await goTest(args, cwd, { vm: false, env });
    assert.equal(local.code, 1, describeRun(local));
    const remote = await goTest(args, cwd, { vm: true, env });
    assertSameRun(local, remote, `go test ./signal with FX_VM_SIGNAL=${sig}`);
  });
}

test('the wrapper run by hand on a binary that dies by SIGTERM dies by SIGTERM, as the binary does locally', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const build = async (goarch: string, out: string) => {
    const env = goEnv({ env: { GOARCH: goarch } });
    const r = await run('go', ['test', '-c', '-o', out, './signal'], { cwd, env, timeoutMs: VM_RUN_MS });
    assert.equal(r.code, 0, describeRun(r));
    return out;
  };
  const native = await build(nativeGoarch(), path.join(tmp.dir, 'native.test'));
  const arm64 = await build('arm64', path.join(tmp.dir, 'arm64.test'));
  const env = goEnv({ env: { FX_VM_SIGNAL: 'TERM' } });
  const local = await run(native, ['-test.v'], { cwd: path.join(cwd, 'signal'), env, timeoutMs: VM_RUN_MS });
  assert.equal(local.signal, 'SIGTERM', describeRun(local));
  const remote = await run(path.join(binDir, 'go_linux_arm64_exec'), [arm64, '-test.v'], {
    cwd: path.join(cwd, 'signal'),
    env: goEnv({ env: { ...testVm().env, FX_VM_SIGNAL: 'TERM' } }),
    timeoutMs: VM_RUN_MS,
  });
  assertSameRun(local, remote, 'the signal package test binary, by hand');
});
