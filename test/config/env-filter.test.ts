import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterEnv, forwardable } from '../../src/config/env-filter.js';

test('host-specific variables stay home, the test\'s own travel', () => {
  for (const n of ['PATH', 'HOME', 'TMPDIR', 'USER', 'SHELL', 'DISPLAY', 'XDG_RUNTIME_DIR', 'SSH_AUTH_SOCK', 'GOCACHE', 'LD_PRELOAD', 'GOCPU_HOST']) {
    assert.equal(forwardable(n), false, n);
  }
  for (const n of ['GOCOVERDIR', 'GODEBUG', 'GOTRACEBACK', 'GOMAXPROCS', 'PWD', 'MY_VAR', 'GOROOT']) {
    assert.equal(forwardable(n), true, n);
  }
});

test('config allow and deny lists win over the defaults, deny over allow', () => {
  assert.equal(forwardable('TERM', { allow: ['TERM'] }), true);
  assert.equal(forwardable('MY_SECRET', { deny: ['MY_*'] }), false);
  assert.equal(forwardable('MY_X', { allow: ['MY_*'], deny: ['MY_X'] }), false);
});

test('raw entries keep their bytes; names no shell can export are dropped', () => {
  const v = Buffer.from([0x41, 0xff, 0x3d, 0x0a]);
  const got = filterEnv([Buffer.concat([Buffer.from('A='), v]), Buffer.from('HOME=/root'), Buffer.from('a-b=1'), Buffer.from('=x')]);
  assert.equal(got.length, 1);
  assert.equal(got[0][0].toString(), 'A');
  assert.deepEqual(got[0][1], v);
});
