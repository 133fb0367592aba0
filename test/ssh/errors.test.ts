/**
 * errors.ts is the one place ssh2 errors become GocpuErrors: ProxyJump's forwarding
 * channel (forwardOut) included. The error objects here have the shapes ssh2 1.17
 * makes (lib/utils.js onChannelOpenFailure, client.js "Not connected").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelOpenError, forwardOutError } from '../../src/ssh/errors.js';

function openFailure(description: string, reason: number): Error {
  return Object.assign(new Error(`(SSH) Channel open failure: ${description}`), { reason });
}

describe('forwardOutError', () => {
  const via = 'jump host me@j:22';

  it('a refused forward is SSH_CONNECT on the local side, naming the hop and the target', () => {
    const cause = openFailure('Connection refused', 2);
    const e = forwardOutError(cause, via, '10.0.0.5', 2222);
    assert.equal(e.code, 'SSH_CONNECT');
    assert.equal(e.side, 'local');
    assert.equal(e.message, 'jump host me@j:22 could not reach 10.0.0.5:2222: Connection refused');
    assert.match(e.hint ?? '', /AllowTcpForwarding/);
    assert.equal(e.cause, cause);
  });

  it('a jump sshd that forbids forwarding says so', () => {
    const e = forwardOutError(openFailure('administratively prohibited: open failed', 1), via, 'h', 22);
    assert.equal(e.code, 'SSH_CONNECT');
    assert.match(e.message, /could not reach h:22: administratively prohibited: open failed$/);
  });

  it('ssh2 throwing (the jump connection is already gone) is a closed connection, remote side', () => {
    const e = forwardOutError(new Error('Not connected'), via, 'h', 22, true);
    assert.equal(e.code, 'SSH_DISCONNECTED');
    assert.equal(e.side, 'remote');
    assert.match(e.message, /cannot open a forwarding channel on jump host me@j:22: the ssh connection is closed/);
    assert.deepEqual({ ...e }, { ...channelOpenError(new Error('Not connected'), via, 'a forwarding channel') });
  });

  it('a non-Error value still gives a message', () => {
    assert.equal(forwardOutError('boom', via, 'h', 1).message, 'jump host me@j:22 could not reach h:1: boom');
  });
});
