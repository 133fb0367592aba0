/**
 * Done means: however a run ends, nothing of it stays on the host: no process (the
 * test, what it started, the namespace holder, sshfs, nsenter, the remote halves,
 * the connection's sshd), no FUSE mount, no run directory. Checked for a wrapper
 * killed by SIGKILL, for a cut link (the wrapper also says so in one line; in mount and
 * copy mode), for a
 * normal run, and for a directory a dead run left behind, which the next run clears.
 * A run that only lasts, its beats coming, is not torn down.
 * And go never waits on a wrapper's stdout: a child the test left holding it dies
 * with the run. Each run is found on the host by a marker (remote-state.ts), so
 * runs of other test files on the same host are not counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describeRun, goEnv, goTest, randomToken, requireWrapper, run } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { type LiveRun, startRun } from './live-run.js';
import {
  assertRunHas,
  connectionPort,
  cutLink,
  describeProc,
  findRemoteRun,
  healLink,
  remoteShell,
  remoteState,
  type RemoteRun,
  startRemotePerl,
  testProcessPattern,
  waitRemoteClean,
} from './remote-state.js';
import { REMOTE_LIMIT_S } from '../../src/run/watchdog.js';

const fx = fixtureBinaries('faults');
// Direct mode: these promises include the run's own connection and its sshd. The
// agent's shared connection outlives a run by design; agent.test.ts holds agent
// mode to the same promises for the run itself.
const DIRECT = { GOCPU_AGENT: '0' };
const cwd = fx.cwd;

/** Starts the wrapper on one test of the fixture, waits for its "ready" and snapshots the run on the host. */
async function startRemote(name: string, opts: { merged?: boolean; stdin?: boolean; copy?: boolean } = {}): Promise<{ live: LiveRun; run: RemoteRun }> {
  const marker = `gocpu-e2e-cleanup-${randomToken()}`;
  const args = [fx.remote(), '-test.paniconexit0', '-test.timeout=10m0s', '-test.v=true', `-test.run=^${name}$`, marker];
  const env = goEnv({ goarch: 'arm64', env: { ...DIRECT, FX_MARKER: marker, GOCPU_MODE: opts.copy ? 'copy' : 'mount' } });
  const live = startRun(requireWrapper('arm64'), args, { cwd, env, timeoutMs: 120_000, merged: opts.merged ?? true, stdin: opts.stdin });
  await live.waitFor(/^ready/m, 60_000);
  const run = await findRemoteRun(marker);
  const test = testProcessPattern(marker);
  // A copy run has no sshfs and no mount in the host's namespace: its copy half holds the dir.
  const half = opts.copy ? [/gocpu-copy /] : [/^sshfs /, /gocpu-mount /];
  assertRunHas(run, [...half, /\bunshare --user/, /^sleep infinity$/, /^nsenter /, test, /gocpu-watch /, /^sshd: /], opts.copy);
  return { live, run };
}

function assertNothingLeft(run: RemoteRun, left: string[], when: string): void {
  const had = run.procs.map(describeProc).join('\n');
  assert.deepEqual(left, [], `${when}, run ${run.nonce} still has on the host:\n${left.join('\n')}\n--- while it ran it had:\n${had}`);
}

const CHILD = /^sleep 300$/;

test('wrapper killed by SIGKILL mid-test: within 10 s nothing of the run is left', async () => {
  const { live, run } = await startRemote('TestSleepChild');
  assertRunHas(run, [CHILD]);
  live.signal('SIGKILL');
  const t0 = Date.now();
  const r = await live.done;
  assert.equal(r.signal, 'SIGKILL', describeRun(r));
  assertNothingLeft(run, await waitRemoteClean(run, t0 + 10_000), '10 s after the SIGKILL');
});

for (const copy of [false, true]) test(`link cut mid-test${copy ? ' (copy mode)' : ''}: the wrapper fails within 30 s in one line, the host cleans up within 10 s`, async () => {
  const { live, run } = await startRemote('TestSleepChild', { merged: false, copy });
  assertRunHas(run, [CHILD], copy);
  const port = await connectionPort(live.pid);
  await cutLink(port, 60);
  const t0 = Date.now();
  try {
    const [r, left] = await Promise.all([live.done, waitRemoteClean(run, t0 + 10_000)]);
    const exited = live.exitedAt() ?? Date.now();
    assert.ok(!r.timedOut && exited - t0 <= 30_000, `the wrapper ran on for ${exited - t0} ms after the cut: ${describeRun(r)}`);
    assert.ok(r.code !== 0, describeRun(r));
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `want exactly one line on stderr: ${describeRun(r)}`);
    assert.match(lines[0], /^gocpu: .*stopped answering/, describeRun(r));
    assertNothingLeft(run, left, '10 s after the cut');
  } finally {
    await healLink(port);
  }
});

test('a test that runs on past the host\'s limit without a beat lives: the beats keep its run', async () => {
  const { live } = await startRemote('TestWaitStdin', { stdin: true });
  // The host counts the limit in whole seconds without a beat: one more, and one to spare.
  await new Promise((r) => setTimeout(r, (REMOTE_LIMIT_S + 2) * 1000));
  live.write('go\n');
  const r = await live.done;
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stdout, /^released by "go\\n"\n--- PASS: TestWaitStdin/m, describeRun(r));
});

test('a normal run leaves nothing behind', async () => {
  const { live, run } = await startRemote('TestWaitStdin', { stdin: true });
  live.write('go\n');
  const r = await live.done;
  const exited = live.exitedAt() ?? Date.now();
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stdout, /^released by "go\\n"\n--- PASS: TestWaitStdin/m, describeRun(r));
  // The wrapper waits for the mount half's cleanup before it exits.
  const st = await remoteState([run.marker, run.nonce]);
  const atExit = [...st.mounts.filter((m) => m.includes(`${run.dir}/`)), ...st.dirs.filter((d) => d === run.dir)];
  assert.deepEqual(atExit, [], `the wrapper exited before its mount and directory were gone`);
  assertNothingLeft(run, await waitRemoteClean(run, exited + 5000), '5 s after a normal run');
});

test('a stale run directory (dead mount half, 5 min old) is removed by the next run; a young one is not', async () => {
  const stale = `/tmp/gocpu.${randomToken(12)}`;
  const young = `/tmp/gocpu.${randomToken(12)}`;
  const make = (d: string) => `mkdir -m 700 ${d} && mkdir ${d}/mnt ${d}/root && echo "$dead" >${d}/mount.pid`;
  await remoteShell('ssh', `set -e; dead=$(sh -c 'echo $$'); ${make(stale)}; ${make(young)}; touch -d '5 min ago' ${stale}`);
  try {
    // Only the young one: any run on the shared test host (other test files run in
    // parallel) may already have swept the stale one, which is what is tested.
    const before = await remoteState([]);
    assert.ok(before.dirs.includes(young), `setup: ${young} missing: ${before.dirs.join(' ')}`);
    const args = ['-test.paniconexit0', '-test.timeout=10m0s', '-test.v=true', '-test.run=^TestPass$'];
    const r = await run(requireWrapper('arm64'), [fx.remote(), ...args], { cwd, env: goEnv({ goarch: 'arm64', env: DIRECT }), timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(r));
    const dirs = (await remoteState([])).dirs;
    assert.ok(!dirs.includes(stale), `${stale} is still there after a run: ${dirs.join(' ')}`);
    assert.ok(dirs.includes(young), `${young} (younger than a minute) was removed: a starting run's dir would be too`);
  } finally {
    await remoteShell('ssh', `for d in ${stale} ${young}; do rm -f $d/mount.pid; rmdir $d/mnt $d/root $d 2>/dev/null; done; true`);
  }
});

// Runs on one host overlap (go test runs packages in parallel) and remove their
// directories in /tmp when they end, as any program does its temp files. The view of
// a run whose exports lie below /tmp shadows /tmp with one bind per entry (view.sh):
// an entry that goes between the listing and `mount -a` must not fail the run. Root
// on the host removes such an entry the moment our run's fstab (it names our
// binary's dir) appears, before `mount -a` reaches it.
const VANISH = String.raw`
$| = 1;
my $end = time + 60;
print "watching\n";
while (time < $end) {
  for my $f (glob('/tmp/gocpu.*/fstab')) {
    open(my $fh, '<', $f) or next; local $/; my $t = <$fh> // ''; close $fh;
    next unless index($t, $needle) >= 0 && index($t, "$bait ") >= 0;
    rmdir "$bait/mnt"; rmdir "$bait/root"; rmdir $bait or print "rmdir $bait: $!\n";
    print "removed $bait while $f listed it\n";
    exit 0;
  }
}
print "no fstab naming $needle within 60 s\n";
`;

test('an entry of /tmp that vanishes while a run builds its view does not fail that run', async () => {
  assert.match(fx.remote(), /^\/tmp\/[^/]+\/[^/]+$/, 'premise: the binary is in a directory of its own below /tmp');
  const bait = `/tmp/gocpu-e2e-vanish-${randomToken()}`;
  await remoteShell('ssh', `mkdir -m 700 ${bait} && mkdir ${bait}/mnt ${bait}/root`);
  try {
    const watcher = startRemotePerl('root-ssh', `my $bait = '${bait}'; my $needle = '${path.dirname(fx.remote())}';\n${VANISH}`);
    await watcher.waitFor(/^watching$/m, 30_000);
    const args = ['-test.paniconexit0', '-test.timeout=10m0s', '-test.v=true', '-test.run=^TestPass$'];
    const r = await run(requireWrapper('arm64'), [fx.remote(), ...args], { cwd, env: goEnv({ goarch: 'arm64', env: DIRECT }), timeoutMs: 60_000 });
    const seen = await watcher.end(10_000);
    // If the view is no longer made from $d/fstab, this test must learn the new way.
    assert.match(seen, /^removed /m, `premise: ${bait} was not removed while the run built its view:\n${seen}`);
    assert.equal(r.code, 0, `${seen}${describeRun(r)}`);
  } finally {
    await remoteShell('ssh', `rmdir ${bait}/mnt ${bait}/root ${bait} 2>/dev/null; true`);
  }
});

test('a child left holding stdout does not keep go test waiting (no "Test I/O incomplete")', async () => {
  // Control: locally the test binary exits 0 at once, but its stdout stays open (the
  // harness gives up after 5 s and kills the process group, the child with it).
  const l = await run(fx.local(), ['-test.v=true', '-test.run=^TestBackgroundChild$'], { cwd, env: goEnv({}), timeoutMs: 5000 });
  assert.ok(l.timedOut && l.code === 0 && /^PASS$/m.test(l.stdout), `local control: ${describeRun(l)}`);

  const marker = `gocpu-e2e-cleanup-${randomToken()}`;
  const r = await goTest({
    args: ['-count=1', '-v', '-run', '^TestBackgroundChild$', '.', '-args', marker],
    cwd,
    goarch: 'arm64',
    env: { FX_MARKER: marker },
    timeoutMs: 60_000,
  });
  const hint = /^PASS$/m.test(r.stdout) ? ' (the test binary had passed and exited: the wrapper waited for the child holding its stdout)' : '';
  assert.ok(!r.timedOut, `go test did not finish${hint}: ${describeRun(r)}`);
  assert.equal(r.code, 0, describeRun(r));
  assert.doesNotMatch(r.output, /Test I\/O incomplete/, describeRun(r));
  assert.match(r.stdout, /^started a child that keeps stdout open\n--- PASS: TestBackgroundChild/m, describeRun(r));
  assert.match(r.stdout, /^ok  \texample\.com\/fx\/faults\t/m, describeRun(r));
  const left = (await remoteState([marker])).procs.filter((p) => p.marked).map(describeProc);
  assert.deepEqual(left, [], `processes with the run's marker after go test ended:\n${left.join('\n')}`);
});
