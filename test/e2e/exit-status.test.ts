/**
 * Done means: a failing test, os.Exit(3), a panic and death by signal end the same way
 * remotely as locally. Checked twice: through `go test` (what a user sees), and by
 * running the wrapper directly on a compiled test binary, where the exact exit status
 * and signal are visible (go test reduces every failure to "FAIL" and exit 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  assertSameRun,
  describeRun,
  goEnv,
  goTest,
  requireWrapper,
  run,
  testHost,
} from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';

interface Case {
  name: string;
  run: string;
  env?: Record<string, string>;
  /** How the test binary itself ends when run locally. */
  want: { code: number | null; signal: NodeJS.Signals | null };
  /** Something the local go test output must contain, so that the case tests what it says. */
  shows: RegExp;
}

const CASES: Case[] = [
  { name: 'passing test', run: '^TestPass$', want: { code: 0, signal: null }, shows: /^ok  /m },
  { name: 't.Fatal', run: '^TestFail$', want: { code: 1, signal: null }, shows: /failed on purpose/ },
  { name: 'os.Exit(3) in a test', run: '^TestExit3$', want: { code: 3, signal: null }, shows: /exiting with status 3/ },
  {
    name: 'os.Exit(3) in TestMain',
    run: '^TestPass$',
    env: { FX_MAIN_EXIT: '3' },
    want: { code: 3, signal: null },
    shows: /exiting with 3/,
  },
  { name: 'panic', run: '^TestPanic$', want: { code: 2, signal: null }, shows: /panic: panicking on purpose/ },
  { name: 'nil dereference (SIGSEGV)', run: '^TestNilDeref$', want: { code: 2, signal: null }, shows: /SIGSEGV/ },
  { name: 'death by SIGKILL', run: '^TestSIGKILL$', want: { code: null, signal: 'SIGKILL' }, shows: /sending killed/ },
  { name: 'death by SIGTERM', run: '^TestSIGTERM$', want: { code: null, signal: 'SIGTERM' }, shows: /sending terminated/ },
  { name: 'stdout and stderr interleaved', run: '^TestInterleave$', want: { code: 0, signal: null }, shows: /^ok  /m },
  { name: 'stdin is at EOF', run: '^TestStdinEOF$', want: { code: 0, signal: null }, shows: /^ok  /m },
];

const fx = fixtureBinaries('status');
const cwd = fx.cwd;

for (const c of CASES) {
  test(`go test: ${c.name}`, async () => {
    const args = ['-count=1', '-v', '-run', c.run, '.'];
    const local = await goTest({ args, cwd, env: c.env });
    assert.equal(local.code, c.want.code === 0 ? 0 : 1, `local: ${describeRun(local)}`);
    assert.match(local.stdout + local.stderr, c.shows, `local: ${describeRun(local)}`);
    const remote = await goTest({ args, cwd, goarch: 'arm64', env: c.env });
    assertSameRun(local, remote, `go test -v -run '${c.run}' on fixture status`);
  });

  test(`wrapper run directly: ${c.name}`, async () => {
    // The arguments go would pass, in go's order.
    const args = ['-test.paniconexit0', '-test.timeout=10m0s', '-test.v=true', `-test.run=${c.run}`];
    const local = await run(fx.local(), args, { cwd, env: goEnv({ env: c.env }), merged: true, timeoutMs: 60_000 });
    assert.deepEqual({ code: local.code, signal: local.signal }, c.want, `local: ${describeRun(local)}`);
    testHost();
    const wrapper = requireWrapper('arm64');
    const remote = await run(wrapper, [fx.remote(), ...args], {
      cwd,
      env: goEnv({ goarch: 'arm64', env: c.env }),
      merged: true,
      timeoutMs: 60_000,
    });
    assertSameRun(local, remote, `${path.basename(wrapper)} status.test -test.run=${c.run}`);
  });
}
