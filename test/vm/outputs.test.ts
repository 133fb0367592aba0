/**
 * Done means: what a test binary writes back on this machine through the mount works
 * from the VM: `-coverprofile` gives a local run's profile, and `-json` gives a local
 * run's event stream (go pipes the wrapper's output through test2json, so a stray byte
 * would show up as an extra event).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertSameRun, describeRun, fixtureDir, normalize, tempDir } from '../e2e/harness.js';
import { goTest } from './vm.js';

const cwd = fixtureDir('vm');

test('-coverprofile on the VM is identical to a local run\'s', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const args = (out: string) => ['-count=1', '-covermode=set', `-coverprofile=${out}`, '-run', '^TestClassify$', '.'];
  const localProfile = path.join(tmp.dir, 'local.out');
  const remoteProfile = path.join(tmp.dir, 'remote.out');
  const local = await goTest(args(localProfile), cwd, { vm: false });
  assert.equal(local.code, 0, describeRun(local));
  const want = fs.readFileSync(localProfile, 'utf8').split('\n');
  assert.ok(want.some((l) => / 0$/.test(l)) && want.some((l) => / 1$/.test(l)), 'the profile must have covered and uncovered blocks');
  const remote = await goTest(args(remoteProfile), cwd, { vm: true });
  assertSameRun(local, remote, 'go test -coverprofile');
  assert.deepEqual(fs.readFileSync(remoteProfile, 'utf8').split('\n'), want, 'the profiles differ line by line');
});

interface Event {
  Action: string;
  Package?: string;
  Test?: string;
  Output?: string;
}

/** Each package's events in order, Time and Elapsed dropped, Output normalized. */
function events(stdout: string): Map<string, Event[]> {
  const byPkg = new Map<string, Event[]>();
  for (const l of stdout.split('\n')) {
    if (l === '') continue;
    let e: Event;
    try {
      e = JSON.parse(l);
    } catch {
      throw new Error(`not a JSON line in go test -json output: ${JSON.stringify(l)}`);
    }
    const out: Event = { Action: e.Action, Package: e.Package, Test: e.Test };
    if (e.Output !== undefined) out.Output = normalize(e.Output);
    const k = e.Package ?? '';
    if (!byPkg.has(k)) byPkg.set(k, []);
    byPkg.get(k)!.push(out);
  }
  return new Map([...byPkg.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

test('-json on the VM: the same events as a local run, a failure included', async () => {
  // TestUname is left out: its output names the machine, which differs on purpose.
  const args = ['-count=1', '-json', '-run', '^(TestTestdata|TestClassify|TestFails)$', '.', './fail'];
  const env = { FX_VM_FAIL: '1' };
  const local = await goTest(args, cwd, { vm: false, env });
  assert.equal(local.code, 1, describeRun(local));
  const remote = await goTest(args, cwd, { vm: true, env });
  assert.equal(remote.code, local.code, describeRun(remote));
  assert.deepEqual(events(remote.stdout), events(local.stdout), `event streams differ\n${describeRun(remote)}`);
  assert.equal(normalize(remote.stderr), normalize(local.stderr), describeRun(remote));
});
