import { test } from 'node:test';
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { expandTilde } from '../../src/ssh/config-tokens.js';

test('~ and ~me expand to our home, whether or not /etc/passwd lists us (macOS keeps users elsewhere)', () => {
  const me = userInfo();
  assert.equal(expandTilde('~/.ssh/id', '/home/x'), '/home/x/.ssh/id');
  assert.equal(expandTilde(`~${me.username}/.ssh/id`, '/ignored'), `${me.homedir.replace(/\/$/, '')}/.ssh/id`);
  assert.throws(() => expandTilde('~no-such-user-gocpu/x', '/h'), /no such user "no-such-user-gocpu"/);
});
