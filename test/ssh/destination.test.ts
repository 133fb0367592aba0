import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeTarget, hostPort, parseDestination } from '../../src/ssh/destination.js';

describe('parseDestination', () => {
  const ok: [string, { user?: string; host: string; port?: number }][] = [
    ['host', { user: undefined, host: 'host', port: undefined }],
    ['user@host', { user: 'user', host: 'host', port: undefined }],
    ['user@host:2222', { user: 'user', host: 'host', port: 2222 }],
    ['host:22', { user: undefined, host: 'host', port: 22 }],
    ['[::1]:2222', { user: undefined, host: '::1', port: 2222 }],
    ['[fe80::1%eth0]', { user: undefined, host: 'fe80::1%eth0', port: undefined }],
    ['u@[2001:db8::1]:22', { user: 'u', host: '2001:db8::1', port: 22 }],
    ['::1', { user: undefined, host: '::1', port: undefined }],
    ['ssh://user@host:2200', { user: 'user', host: 'host', port: 2200 }],
    ['ssh://host/', { user: undefined, host: 'host', port: undefined }],
    ['ssh://u@[::1]:23', { user: 'u', host: '::1', port: 23 }],
    ['a@b@host', { user: 'a@b', host: 'host', port: undefined }],
    ['  spaced  ', { user: undefined, host: 'spaced', port: undefined }],
  ];
  for (const [input, want] of ok) {
    it(`parses ${JSON.stringify(input)}`, () => assert.deepEqual(parseDestination(input), want));
  }
  for (const bad of ['', '@host', 'user@', 'host:', 'host:x', 'host:0', 'host:65536', '[::1', '[::1]x', 'ssh://host/path', 'ho st', 'h;rm']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseDestination(bad), { code: 'SSH_DESTINATION' }));
  }
});

describe('names for messages and known_hosts', () => {
  it('hostPort brackets non-22 ports only', () => {
    assert.equal(hostPort('h', 22), 'h');
    assert.equal(hostPort('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });
  it('describeTarget brackets IPv6', () => {
    assert.equal(describeTarget('gocpu', '127.0.0.1', 2222), 'gocpu@127.0.0.1:2222');
    assert.equal(describeTarget('u', '::1', 22), 'u@[::1]:22');
  });
});
