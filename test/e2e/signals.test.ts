/**
 * Done means: a signal sent to the wrapper does to the remote test what it does to a
 * local test binary. INT, TERM and HUP reach a test that handles them (user and root
 * logins: root's SSH signal requests are ignored by OpenSSH before 10.0), QUIT gives
 * the runtime's goroutine dump and exit status 2, an unhandled SIGINT kills the
 * wrapper by SIGINT, `go test -timeout` panics the same way, and a second SIGINT ends
 * the wrapper at once and leaves nothing of the run on the host.
 * Each remote run is compared with the local binary getting the same signal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSameRun, describeRun, goEnv, goTest, normalize, randomToken, requireWrapper, RunResult, testHost } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { startRun } from './live-run.js';
import { LAUNCHER_SHELLS, underShell } from './launcher-shells.js';
import { assertRunHas, describeProc, findRemoteRun, testProcessPattern, waitRemoteClean } from './remote-state.js';

const fx = fixtureBinaries('faults');
const cwd = fx.cwd;

type Login = 'user' | 'root';
const LOGINS: Login[] = ['user', 'root'];

function hostFor(login: Login): string {
  const th = testHost();
  const h = login === 'user' ? th.host : th.env.GOCPU_TESTHOST_ROOT_HOST;
  assert.ok(h, `hack/testhost env names no host for ${login} logins`);
  return h;
}

/** The flags go passes, for one test; a marker as a trailing argument names the run on the host. */
function testArgs(run: string, marker?: string): string[] {
  return ['-test.paniconexit0', '-test.timeout=10m0s', '-test.v=true', `-test.run=^${run}$`, ...(marker ? [marker] : [])];
}

/**
 * Runs the test binary (locally, or remotely through the wrapper) and signals it once
 * it printed "ready". A remote test is first looked up on the host, to be sure that it
 * runs as the login asked for (uid 0 for root).
 */
async function signalled(where: 'local' | Login, test: string, sig: NodeJS.Signals): Promise<RunResult> {
  const marker = `gocpu-e2e-signals-${randomToken()}`;
  const env = where === 'local' ? goEnv({}) : goEnv({ goarch: 'arm64', env: { GOCPU_HOST: hostFor(where), GOCPU_HOST_LINUX_ARM64: undefined } });
  const [cmd, args] = where === 'local' ? [fx.local(), testArgs(test)] : [requireWrapper('arm64'), [fx.remote(), ...testArgs(test, marker)]];
  const r = startRun(cmd, args, { cwd, env, merged: true, timeoutMs: 90_000 });
  await r.waitFor(/^ready$/m, 60_000);
  if (where !== 'local') {
    const run = await findRemoteRun(marker);
    const proc = run.procs.find((p) => testProcessPattern(marker).test(p.args));
    assert.ok(proc, `no test process in ${run.procs.map(describeProc).join('\n')}`);
    assert.equal(proc.uid === 0, where === 'root', `a ${where} login runs the test as uid ${proc.uid}: ${describeProc(proc)}`);
  }
  r.signal(sig);
  return r.done;
}

const local = new Map<string, Promise<RunResult>>();
function localRun(test: string, sig: NodeJS.Signals): Promise<RunResult> {
  const key = `${test}/${sig}`;
  if (!local.has(key)) local.set(key, signalled('local', test, sig));
  return local.get(key)!;
}

const HANDLED: [NodeJS.Signals, string][] = [
  ['SIGINT', 'interrupt'],
  ['SIGTERM', 'terminated'],
  ['SIGHUP', 'hangup'],
];

for (const login of LOGINS) {
  for (const [sig, name] of HANDLED) {
    test(`${login} login: ${sig} reaches a test that handles it`, async () => {
      const l = await localRun('TestNotify', sig);
      assert.equal(l.code, 0, `local: ${describeRun(l)}`);
      assert.match(l.stdout, new RegExp(`^got ${name}$`, 'm'), `local: ${describeRun(l)}`);
      assertSameRun(l, await signalled(login, 'TestNotify', sig), `${sig} to the wrapper of TestNotify (${login} login)`);
    });
  }

  test(`${login} login: SIGQUIT gives the runtime's dump and exit status 2`, async () => {
    const l = await localRun('TestNotify', 'SIGQUIT');
    const r = await signalled(login, 'TestNotify', 'SIGQUIT');
    const ctx = `\n=== local: ${describeRun(l)}\n=== remote: ${describeRun(r)}`;
    assert.deepEqual({ code: l.code, signal: l.signal }, { code: 2, signal: null }, `local${ctx}`);
    assert.deepEqual({ code: r.code, signal: r.signal }, { code: 2, signal: null }, `remote${ctx}`);
    const want = quitDump(l.stdout);
    assert.ok(want.first === 'SIGQUIT: quit' && want.testGoroutine !== '(none)', `local: no dump with the test's goroutine${ctx}`);
    assert.deepEqual(quitDump(r.stdout), want, `the dumps differ${ctx}`);
  });

  test(`${login} login: a test that does not handle SIGINT dies by it, and so does the wrapper`, async () => {
    const l = await localRun('TestSleep', 'SIGINT');
    assert.equal(l.signal, 'SIGINT', `local: ${describeRun(l)}`);
    assertSameRun(l, await signalled(login, 'TestSleep', 'SIGINT'), `SIGINT to the wrapper of TestSleep (${login} login)`);
  });
}

/**
 * What a SIGQUIT dump must have in common across architectures: the output before
 * it, its first line, and the test's own goroutine. Which thread takes the signal, and
 * so the first goroutine shown and the order, is the runtime's choice; assembly
 * frames are per architecture (asm_amd64.s:1594, asm_arm64.s:1172), and normalize()
 * keeps the PC offsets of frames that carry fp=/sp=/pc= (a SIGQUIT dump's do).
 */
function quitDump(out: string): { before: string; first: string; testGoroutine: string } {
  const text = normalize(out)
    .replace(/\/runtime\/(\w+)_(amd64|arm64)\.s:\d+/g, '/runtime/$1_ARCH.s:N')
    .replace(/^(\t\S+:\w+) \+0x[0-9a-f]+ (?=fp=)/gm, '$1 ');
  const i = text.indexOf('SIGQUIT: quit\n');
  const blocks = text.split('\n\n').filter((b) => /^goroutine N \[/.test(b) && b.includes('example.com/fx/faults.TestNotify('));
  return { before: i < 0 ? text : text.slice(0, i), first: i < 0 ? '(no "SIGQUIT: quit")' : 'SIGQUIT: quit', testGoroutine: blocks.join('\n\n') || '(none)' };
}

test('go test -timeout 2s on a test that sleeps 30 s: same panic and FAIL as a local run', async () => {
  const args = ['-count=1', '-v', '-timeout', '2s', '-run', '^TestSleep$', '.'];
  const l = await goTest({ args, cwd, timeoutMs: 60_000 });
  assert.equal(l.code, 1, `local: ${describeRun(l)}`);
  assert.match(l.stdout, /^panic: test timed out after 2s$/m, `local: ${describeRun(l)}`);
  assert.match(l.stdout, /^FAIL\texample\.com\/fx\/faults\t/m, `local: ${describeRun(l)}`);
  const r = await goTest({ args, cwd, goarch: 'arm64', timeoutMs: 60_000 });
  assertSameRun(l, r, 'go test -timeout 2s -run ^TestSleep$ on fixture faults');
});

test('a second SIGINT ends the wrapper within 5 s and the remote run goes within 10 s', async () => {
  const marker = `gocpu-e2e-sigint2-${randomToken()}`;
  const env = goEnv({ goarch: 'arm64', env: { FX_MARKER: marker } });
  const r = startRun(requireWrapper('arm64'), [fx.remote(), ...testArgs('TestIgnoreInterrupt', marker)], { cwd, env, merged: true, timeoutMs: 90_000 });
  await r.waitFor(/^ready$/m, 60_000);
  const run = await findRemoteRun(marker);
  // Through the agent: sshfs is the shared mount's, not this run's.
  assertRunHas(run, [/\bunshare --user/, /^sleep infinity$/, /^nsenter /, testProcessPattern(marker), /gocpu-watch /], true);
  r.signal('SIGINT');
  await r.waitFor(/^got interrupt, going on$/m, 30_000);
  const second = Date.now();
  r.signal('SIGINT');
  const res = await r.done;
  const exited = r.exitedAt() ?? Date.now();
  assert.ok(exited - second <= 5000, `the wrapper ended ${exited - second} ms after the second SIGINT: ${describeRun(res)}`);
  assert.ok(res.code === 130 || res.signal === 'SIGINT', `want exit 130 (or death by SIGINT): ${describeRun(res)}`);
  // Through the agent (the default): its connection stays for the next call.
  const left = await waitRemoteClean(run, exited + 10_000, true);
  assert.deepEqual(left, [], `10 s after the wrapper ended, run ${run.nonce} still has on the host:\n${left.join('\n')}`);
});

// A second signal ends the wrapper at once as if it killed it (src/cli/exit.ts, door.sh's
// door_signal). The launcher is #!/bin/sh, and a laptop's /bin/sh may be bash (Fedora's)
// or busybox (Alpine's), which ignore SIGQUIT whatever their traps say: a second SIGQUIT
// must still kill it, through the agent's door and through node alike.
for (const shell of LAUNCHER_SHELLS) {
  for (const agent of ['1', '0']) {
    test(`the launcher run by ${shell.name} dies by a second signal that is SIGQUIT${agent === '0' ? ' (no agent)' : ''}`, async () => {
      const marker = `gocpu-e2e-sigquit2-${randomToken()}`;
      const env = goEnv({ goarch: 'arm64', env: { FX_MARKER: marker, GOCPU_AGENT: agent } });
      const r = startRun(...underShell(shell, requireWrapper('arm64'), [fx.remote(), ...testArgs('TestIgnoreInterrupt', marker)]), { cwd, env, merged: true, timeoutMs: 90_000 });
      await r.waitFor(/^ready$/m, 60_000);
      r.signal('SIGINT');
      await r.waitFor(/^got interrupt, going on$/m, 30_000);
      r.signal('SIGQUIT');
      const res = await r.done;
      assert.equal(res.signal, 'SIGQUIT', describeRun(res));
    });
  }
}
