import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { GocpuError } from '../../src/errors.js';
import { retryableConnectError, connectWithRetry } from '../../src/ssh/retry.js';
import { resolveHostConfig } from '../../src/ssh/ssh-config.js';

test('only resets and closes before the handshake are retried', () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  assert.equal(retryableConnectError(new GocpuError('SSH_CONNECT', 'x', { cause: reset })), true);
  assert.equal(retryableConnectError(new GocpuError('SSH_CONNECT', 'connection to h closed before the ssh handshake')), true);
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  assert.equal(retryableConnectError(new GocpuError('SSH_CONNECT', 'x', { cause: refused })), false);
  assert.equal(retryableConnectError(new GocpuError('SSH_AUTH', 'x')), false);
  assert.equal(retryableConnectError(new Error('x')), false);
});

test('a server that drops the first connections (like sshd over MaxStartups) is tried again', async () => {
  // Drops every connection: each try fails the same way, and the number of tries is bounded.
  let accepted = 0;
  const server = createServer((sock) => {
    accepted++;
    sock.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const cfg = resolveHostConfig(`nobody@127.0.0.1:${port}`, { configFile: 'none', env: {} });
    await assert.rejects(connectWithRetry(cfg, { prompter: null, log: () => {} }, 3), (e: unknown) => {
      assert.ok(e instanceof GocpuError && e.code === 'SSH_CONNECT', String(e));
      return true;
    });
    assert.equal(accepted, 3);
  } finally {
    server.close();
  }
});
