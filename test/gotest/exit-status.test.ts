import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { deathSignal, exitCodeFor, launcherExit } from '../../src/gotest/exit-status.js';

// Every signal 1-31 whose default action ends a process (signal(7)).
const DEADLY = ['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE',
  'ALRM', 'TERM', 'STKFLT', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'IO', 'PWR', 'SYS'];

test('an exit status passes through unchanged, with no signal marker', () => {
  for (const code of [0, 1, 2, 3, 42, 125, 126, 127, 128, 129, 130, 137, 138, 141, 143, 254, 255]) {
    assert.equal(exitCodeFor({ code }), code);
    assert.deepEqual(launcherExit({ code }), { status: code, signal: false });
  }
});

test('every deadly signal becomes "die by N" for the launcher, with or without SIG', () => {
  for (const name of DEADLY) {
    const n = constants.signals[`SIG${name}` as NodeJS.Signals];
    assert.ok(n >= 1 && n <= 31, name);
    assert.deepEqual(launcherExit({ signal: name }), { status: n, signal: true }, name);
    assert.deepEqual(launcherExit({ signal: `SIG${name}` }), { status: n, signal: true }, name);
    assert.equal(exitCodeFor({ signal: name }), 128 + n, name);
  }
  assert.equal(launcherExit({ signal: 'USR1' }).status, 10);
  assert.equal(launcherExit({ signal: 'PIPE' }).status, 13);
});

test('a signal that cannot end a process, or an unknown one, is a plain status', () => {
  for (const name of ['STOP', 'TSTP', 'CONT', 'CHLD', 'WINCH', 'URG', 'TTIN', 'TTOU']) {
    assert.equal(deathSignal({ signal: name }), undefined, name);
    assert.deepEqual(launcherExit({ signal: name }), { status: exitCodeFor({ signal: name }), signal: false }, name);
  }
  assert.deepEqual(launcherExit({ signal: 'SIG@openssh.com' }), { status: 255, signal: false });
  assert.deepEqual(launcherExit({ signal: 'NOPE' }), { status: 255, signal: false });
});
