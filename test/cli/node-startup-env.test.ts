import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ASIDE, putBack, setAside } from '../../src/cli/node-startup-env.js';

test('setAside moves NODE_EXTRA_CA_CERTS aside in a copy; putBack restores it', () => {
  const env: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/etc/ca.pem', KEEP: '1' };
  const child = setAside(env);
  assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/ca.pem', KEEP: '1' }, 'the original is untouched');
  assert.deepEqual(child, { [ASIDE]: '/etc/ca.pem', KEEP: '1' });
  putBack(child);
  assert.deepEqual(child, { NODE_EXTRA_CA_CERTS: '/etc/ca.pem', KEEP: '1' });
});

test('unset stays unset: a stray aside value is dropped, not turned into NODE_EXTRA_CA_CERTS', () => {
  const child = setAside({ [ASIDE]: '/stray', KEEP: '1' });
  assert.deepEqual(child, { KEEP: '1' });
  putBack(child);
  assert.deepEqual(child, { KEEP: '1' });
  const empty = setAside({ NODE_EXTRA_CA_CERTS: '' });
  putBack(empty);
  assert.deepEqual(empty, { NODE_EXTRA_CA_CERTS: '' });
});
