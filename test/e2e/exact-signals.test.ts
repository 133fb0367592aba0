/**
 * Issue 6, remote half: a test binary killed by any signal ends the wrapper by that
 * same signal. sshd (9.2) names only RFC 4254's 13 signals; BUS, SYS, XCPU, TRAP,
 * VTALRM, PROF, IO, PWR, STKFLT, XFSZ arrive as "SIG@openssh.com" and come back
 * through run.sh's end record (src/run/exact-end.ts). Checked twice: the wrapper's
 * own death as a parent sees it (for the signals Node can die by), and runRemote's
 * RemoteEnd directly, which also covers USR1 and PIPE (Node cannot die by those;
 * the bin/ launcher turns them into the process end).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRun, goEnv, requireWrapper, run, testHost } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { runOnTestHost } from './run-remote.js';

const fx = fixtureBinaries('selfsignal');
const args = ['-test.paniconexit0', '-test.timeout=10m0s', '-test.v=true', '-test.run=^TestDie$'];
// No core files from the dying processes, wherever the core pattern points.
const NO_CORE = ['-c', 'ulimit -c 0; exec "$0" "$@"'];

const OTHER = ['BUS', 'SYS', 'XCPU', 'XFSZ', 'TRAP', 'VTALRM', 'PROF', 'IO', 'PWR', 'STKFLT'];
// Node ignores SIGXFSZ and its children inherit that: neither the local reference
// nor the wrapper can die by it here (RemoteEnd covers it below).
const NODE_CAN_DIE_BY = OTHER.filter((n) => n !== 'XFSZ');

for (const name of NODE_CAN_DIE_BY) {
  test(`wrapper run directly: a test killed by SIG${name} kills the wrapper by SIG${name}`, async () => {
    const env = { FX_SIGNAL: name };
    const local = await run('/bin/sh', [...NO_CORE, fx.local(), ...args], { cwd: fx.cwd, env: goEnv({ env }), timeoutMs: 60_000 });
    assert.deepEqual({ code: local.code, signal: local.signal }, { code: null, signal: `SIG${name}` }, `local: ${describeRun(local)}`);
    testHost();
    const remote = await run('/bin/sh', [...NO_CORE, requireWrapper('arm64'), fx.remote(), ...args], {
      cwd: fx.cwd,
      env: goEnv({ goarch: 'arm64', env }),
      timeoutMs: 60_000,
    });
    assert.deepEqual({ code: remote.code, signal: remote.signal }, { code: null, signal: `SIG${name}` }, `remote: ${describeRun(remote)}`);
    assert.match(remote.stdout, new RegExp(`dying by SIG${name}`));
    assert.equal(remote.stderr, '', 'nothing of gocpu or the remote tools in the output');
  });
}

async function remoteEnd(name: string): Promise<{ end: unknown; out: string; err: string }> {
  const r = await runOnTestHost({ command: [fx.remote(), ...args], cwd: fx.cwd, forward: { FX_SIGNAL: name } });
  return { end: r.end, out: r.stdout, err: r.stderr };
}

for (const name of [...OTHER, 'USR1', 'PIPE', 'USR2', 'TERM', 'SEGV', 'ABRT', 'KILL']) {
  test(`runRemote: a test killed by SIG${name} ends as { signal: 'SIG${name}' }`, async () => {
    const r = await remoteEnd(name);
    assert.deepEqual(r.end, { signal: `SIG${name}` }, `${r.out}\n${r.err}`);
    assert.match(r.out + r.err, new RegExp(`dying by SIG${name}`));
  });
}

for (const code of [0, 1, 2, 125, 126, 127, 128, 129, 135, 138, 141, 159, 255]) {
  test(`runRemote: exit status ${code} (the shell's 128+N included) stays a status`, async () => {
    // exit(128+N) and death by N are told apart: exit statuses are never signals.
    // `sh`, not /bin/sh: a program path is a local file, whose directory is exported.
    const r = await runOnTestHost({ command: ['sh', '-c', `exit ${code}`], cwd: fx.cwd, forward: {} });
    assert.deepEqual(r.end, { code });
  });
}
