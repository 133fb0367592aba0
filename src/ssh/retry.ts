/**
 * `go test -p 32` opens many connections at once. A stock sshd starts dropping
 * unauthenticated connections beyond MaxStartups (default 10:30:100) at random:
 * the client sees a reset or a close before the handshake. Those, and only
 * those, are worth another try after a short random wait.
 */
import type { Client } from 'ssh2';
import { isGocpuError } from '../errors.js';
import { connect, type ConnectOptions } from './connect.js';
import type { HostConfig } from './ssh-config.js';

const RESETS = ['ECONNRESET', 'EPIPE', 'ECONNABORTED'];

export function retryableConnectError(e: unknown): boolean {
  if (!isGocpuError(e) || e.code !== 'SSH_CONNECT') return false;
  const code = (e.cause as { code?: unknown } | undefined)?.code;
  return (typeof code === 'string' && RESETS.includes(code)) || /before the ssh handshake/.test(e.message);
}

export async function connectWithRetry(cfg: HostConfig, opts: ConnectOptions = {}, tries = 6): Promise<Client> {
  for (let i = 1; ; i++) {
    try {
      return await connect(cfg, opts);
    } catch (e) {
      if (i >= tries || !retryableConnectError(e)) throw e;
      const ms = Math.min(2000, 100 * 2 ** i) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, ms));
    }
  }
}
