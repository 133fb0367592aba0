/**
 * Done means (issue 6, "every end as local"): for every signal 1-31 that kills a
 * process by default and a spread of exit statuses 0-255, a test binary run through
 * the wrapper ends as the same binary run locally: the same status seen by a shell
 * (run by hand), the same line from go test ("signal: ..." / "exit status N"), core
 * dumps aside (ulimit -c 0 everywhere). One fixture binary per architecture; FX_END
 * picks the end (test/fixtures/ends).
 *
 * BUS TRAP STKFLT XCPU XFSZ VTALRM PROF IO PWR SYS are signals sshd (9.2) cannot name
 * in its exit-signal message; their rows need the remote half to report the number.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { assertSameRun, describeRun, goEnv, requireWrapper, run, RunResult, testHost } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { LAUNCHER_SHELLS, underShell } from './launcher-shells.js';

const SIGNALS = ['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE',
  'ALRM', 'TERM', 'STKFLT', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'IO', 'PWR', 'SYS'];
const STATUSES = [0, 1, 2, 3, 42, 125, 126, 127, 128, 129, 130, 137, 138, 141, 143, 254, 255];

interface Row {
  name: string;
  end: string;
  /** What a shell sees. */
  status: number;
  /** The line go test prints for it. */
  goLine: RegExp;
}

const ROWS: Row[] = [
  ...SIGNALS.map((s): Row => {
    const n = constants.signals[`SIG${s}` as NodeJS.Signals];
    return { name: `death by SIG${s} (${n})`, end: `signal:${n}`, status: 128 + n, goLine: /^signal: [^\n]+$/m };
  }),
  ...STATUSES.map((n): Row => ({
    name: `exit status ${n}`,
    end: `exit:${n}`,
    status: n,
    goLine: n === 0 ? /^ok  \texample\.com\/fx\/ends\t/m : new RegExp(`^exit status ${n}$`, 'm'),
  })),
];

const fx = fixtureBinaries('ends');
const cwd = fx.cwd;
const BY_HAND = ['-test.paniconexit0', '-test.timeout=10m0s', '-test.run=^TestNothing$'];

/** Runs a command under `sh -c` with no core dumps and returns the status the shell saw. */
async function shellSees(cmd: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; r: RunResult }> {
  const r = await run('/bin/sh', ['-c', 'ulimit -c 0; "$@"; echo "shell saw $?"', 'sh', ...cmd], { cwd, env, timeoutMs: 90_000 });
  const m = /^shell saw (\d+)$/m.exec(r.stdout);
  assert.ok(m, `no status line: ${describeRun(r)}`);
  return { status: Number(m[1]), r };
}

function goTestNoCore(env: NodeJS.ProcessEnv): Promise<RunResult> {
  return run('/bin/sh', ['-c', 'ulimit -c 0; exec go test -count=1 .'], { cwd, env, timeoutMs: 90_000 });
}

describe('every end of a test binary, local vs through the wrapper', { concurrency: 2 }, () => {
  for (const row of ROWS) {
    it(row.name, async () => {
      const env = { FX_END: row.end };
      const localEnv = goEnv({ env });
      testHost();
      const remoteEnv = goEnv({ goarch: 'arm64', env });
      const [byHand, goLocal, wrapped, goRemote] = await Promise.all([
        shellSees([fx.local(), ...BY_HAND], localEnv),
        goTestNoCore(localEnv),
        shellSees([requireWrapper('arm64'), fx.remote(), ...BY_HAND], remoteEnv),
        goTestNoCore(remoteEnv),
      ]);
      assert.equal(byHand.status, row.status, `local run by hand: ${describeRun(byHand.r)}`);
      assert.match(goLocal.stdout + goLocal.stderr, row.goLine, `local go test: ${describeRun(goLocal)}`);
      assert.equal(wrapped.status, byHand.status, `status through the wrapper by hand: ${describeRun(wrapped.r)}`);
      assertSameRun(goLocal, goRemote, `FX_END=${row.end} go test (native vs GOARCH=arm64 through the wrapper)`);
    });
  }
});

// The launcher is a #!/bin/sh script, and a laptop's /bin/sh may be bash (Fedora's) or
// busybox (Alpine's), which ignore SIGQUIT whatever their traps say: it must still die by
// the test's signal, through the agent and without it. ulimit -c 0 as above (the launcher
// sets it before it dies).
for (const shell of LAUNCHER_SHELLS) {
  for (const agent of ['1', '0']) {
    it(`the launcher run by ${shell.name} dies by the test's SIGQUIT${agent === '0' ? ' (no agent)' : ''}`, async () => {
      const env = goEnv({ goarch: 'arm64', env: { FX_END: `signal:${constants.signals.SIGQUIT}`, GOCPU_AGENT: agent } });
      const r = await run(...underShell(shell, requireWrapper('arm64'), [fx.remote(), ...BY_HAND]), { cwd, env, timeoutMs: 90_000 });
      assert.equal(r.signal, 'SIGQUIT', describeRun(r));
    });
  }
}
