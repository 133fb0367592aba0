import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactEnd, parseEndRecord, unnamedSignal } from '../../src/run/exact-end.js';

test('the end record: a code, a signal by its remote name, else by number', () => {
  assert.deepEqual(parseEndRecord('code 138'), { code: 138 });
  assert.deepEqual(parseEndRecord('signal 7 BUS\n'), { signal: 'SIGBUS' });
  // dash's `kill -l 16` has no name for STKFLT: the number decides.
  assert.deepEqual(parseEndRecord('signal 16 16'), { signal: 'SIGSTKFLT' });
  // The name wins over a number that means another signal here (mips: BUS is 10).
  assert.deepEqual(parseEndRecord('signal 10 BUS'), { signal: 'SIGBUS' });
  // An alias (busybox's kill -l) is named as node names that death locally.
  assert.deepEqual(parseEndRecord('signal 29 POLL'), { signal: 'SIGIO' });
  assert.deepEqual(parseEndRecord('signal 6 IOT'), { signal: 'SIGABRT' });
  for (const bad of [undefined, '', 'none', 'code', 'code x', 'signal', 'signal 999 NOPE']) assert.equal(parseEndRecord(bad), undefined, String(bad));
});

test('only an end sshd could not name asks the watch half', async () => {
  let asked = 0;
  const ask = async () => {
    asked++;
    return 'signal 31 SYS';
  };
  assert.deepEqual(await exactEnd({ signal: 'SIGTERM' }, ask), { signal: 'SIGTERM' });
  assert.deepEqual(await exactEnd({ code: 159 }, ask), { code: 159 });
  assert.equal(asked, 0);
  assert.ok(unnamedSignal({ signal: 'SIGSIG@openssh.com' }));
  assert.deepEqual(await exactEnd({ signal: 'SIGSIG@openssh.com' }, ask), { signal: 'SIGSYS' });
  assert.equal(asked, 1);
  // No answer (an old setsid: run.sh could not record it): the end stays as sshd said.
  assert.deepEqual(await exactEnd({ signal: 'SIGSIG@openssh.com' }, async () => undefined), { signal: 'SIGSIG@openssh.com' });
  assert.deepEqual(await exactEnd({ signal: 'SIGSIG@openssh.com' }, async () => 'none'), { signal: 'SIGSIG@openssh.com' });
});
