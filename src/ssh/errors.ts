/**
 * THE one place where ssh2 errors become GocpuErrors. Codes are stable:
 * SSH_CONNECT, SSH_TIMEOUT, SSH_HANDSHAKE, SSH_AUTH, SSH_HOST_KEY_UNKNOWN / _CHANGED /
 * _REVOKED (made in host-key-policy.ts), SSH_KEEPALIVE, SSH_DISCONNECTED,
 * SSH_CHANNEL_OPEN, SSH_ABORTED, SSH_CONFIG / SSH_DESTINATION (config files).
 * ProxyJump's forwarding channel fails as SSH_CONNECT (the target is not reached).
 *
 * Side: everything up to a ready connection (reaching the host, handshake, host key,
 * auth) is 'local': the fix is in the developer's network, config or keys. Once the
 * connection is up, losing it (keepalive, disconnect) or being refused a channel
 * (sshd MaxSessions) is 'remote': the remote host or its sshd is what changed.
 */
import { GocpuError, isGocpuError } from '../errors.js';

export type SshPhase = 'connect' | 'auth' | 'ready';

export interface SshErrorContext {
  /** `user@host:port` */
  target: string;
  phase: SshPhase;
  /** Set when going through ProxyJump / ProxyCommand, e.g. "via jump host a@j:22". */
  via?: string;
  /** What auth.ts tried, in order (e.g. "agent", "~/.ssh/id_ed25519"), and why it skipped others. */
  authTried?: string[];
  authNotes?: string[];
  /** Auth methods the server still accepts, from its last USERAUTH_FAILURE. */
  serverMethods?: string[];
  connectTimeoutMs?: number;
  keepalive?: { intervalS: number; countMax: number };
}

interface Ssh2Error extends Error {
  level?: string;
  code?: string | number;
  reason?: number | string;
}

const SOCKET_WHY: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is sshd running on that port?)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'TCP connect timed out',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
  ECONNRESET: 'connection reset by peer',
  EPIPE: 'connection closed by peer',
};

function where(ctx: SshErrorContext): string {
  return ctx.via ? `${ctx.target} (${ctx.via})` : ctx.target;
}

export function authFailure(ctx: SshErrorContext, cause?: unknown, detail?: string): GocpuError {
  const tried = ctx.authTried?.length ? ctx.authTried.join(', ') : 'nothing';
  const notes = ctx.authNotes?.length ? `; ${ctx.authNotes.join('; ')}` : '';
  const methods = ctx.serverMethods?.length ? `; server accepts: ${ctx.serverMethods.join(',')}` : '';
  return new GocpuError('SSH_AUTH', `ssh auth to ${where(ctx)} failed (tried ${tried})${detail ? `: ${detail}` : ''}${methods}${notes}`, {
    hint: 'check IdentityFile / User in your ssh config, or load the key with ssh-add; `ssh -v` shows what the server accepts',
    cause,
  });
}

export function sshError(err: unknown, ctx: SshErrorContext): GocpuError {
  if (isGocpuError(err)) return err;
  const e = (err instanceof Error ? err : new Error(String(err))) as Ssh2Error;
  const msg = e.message;
  const target = where(ctx);
  if (e.level === 'client-timeout' && /keepalive/i.test(msg)) {
    const ka = ctx.keepalive;
    const secs = ka ? ` for ${ka.intervalS * ka.countMax} s` : '';
    return new GocpuError('SSH_KEEPALIVE', `lost the ssh connection to ${target}: no answer to keepalives${secs}`, {
      side: 'remote', cause: e,
      hint: 'the host or network went away; ServerAliveInterval / ServerAliveCountMax set how long to wait',
    });
  }
  if (e.level === 'client-timeout') {
    const secs = ctx.connectTimeoutMs ? ` after ${Math.round(ctx.connectTimeoutMs / 1000)} s` : '';
    return new GocpuError('SSH_TIMEOUT', `ssh to ${target} timed out${secs} before the connection was ready`, {
      cause: e, hint: 'check that the host is up and the port is an sshd; ConnectTimeout in your ssh config sets the limit',
    });
  }
  if (e.level === 'client-authentication' || (ctx.phase === 'auth' && typeof e.code === 'number')) {
    return authFailure(ctx, e, /All configured/.test(msg) ? undefined : msg);
  }
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (ctx.phase === 'ready') {
    return new GocpuError('SSH_DISCONNECTED', `ssh connection to ${target} lost: ${code ? SOCKET_WHY[code] ?? msg : msg}`, {
      side: 'remote', cause: e, hint: 'the remote sshd or host went away; check the remote host and run again',
    });
  }
  if (e.level === 'client-socket' || e.level === 'client-dns' || code !== undefined) {
    return new GocpuError('SSH_CONNECT', `cannot connect to ${target}: ${code ? SOCKET_WHY[code] ?? msg : msg}`, {
      cause: e,
      hint: ctx.via ? 'check ProxyJump / ProxyCommand, HostName and Port in your ssh config' : 'check HostName / Port in your ssh config and that the host is up',
    });
  }
  if (/before handshake/.test(msg)) {
    return new GocpuError('SSH_CONNECT', `connection to ${target} closed before the ssh handshake`, {
      cause: e, hint: 'is that port an sshd? sshd may also be refusing connections (MaxStartups, fail2ban)',
    });
  }
  if (e.level === 'handshake' || e.level === 'protocol') {
    return new GocpuError('SSH_HANDSHAKE', `ssh handshake with ${target} failed: ${msg}`, {
      cause: e, hint: 'the server and ssh2 share no algorithm, or the stream is not ssh; `ssh -v` shows what the server offers',
    });
  }
  if (typeof e.code === 'number') {
    return new GocpuError('SSH_DISCONNECTED', `${target} closed the ssh connection: ${msg}`, {
      cause: e, hint: 'see the remote sshd log (journalctl -u ssh) for why',
    });
  }
  return new GocpuError('SSH_CONNECT', `ssh to ${target} failed: ${msg}`, { cause: e, hint: '`ssh -v` to the same host may say more' });
}

/** A refused session / direct-tcpip channel, e.g. sshd's MaxSessions ("open failed"). */
export function channelOpenError(err: unknown, target: string, what: string): GocpuError {
  const msg = err instanceof Error ? err.message.replace(/^\(SSH\) (Channel open failure: )?/, '') : String(err);
  if (/Not connected|No response from server/.test(msg)) {
    return new GocpuError('SSH_DISCONNECTED', `cannot open ${what} on ${target}: the ssh connection is closed`, {
      side: 'remote', cause: err, hint: 'the connection dropped earlier; its first error says why',
    });
  }
  return new GocpuError('SSH_CHANNEL_OPEN', `${target} refused to open ${what}: ${msg}`, {
    side: 'remote', cause: err,
    hint: 'sshd allows MaxSessions (default 10) channels per connection and may forbid forwarding (AllowTcpForwarding)',
  });
}

/**
 * A ProxyJump hop that could not open its forwarding channel to the next host.
 * `thrown`: ssh2 threw instead of calling back (the jump connection is already
 * gone), which is a channel error like any other. A refusal in the callback (sshd
 * "Connection refused", "administratively prohibited") means the target was not
 * reached: SSH_CONNECT, local side, like any other failure to reach a host.
 */
export function forwardOutError(err: unknown, via: string, host: string, port: number, thrown = false): GocpuError {
  if (thrown) return channelOpenError(err, via, 'a forwarding channel');
  const msg = err instanceof Error ? err.message.replace(/^\(SSH\) (Channel open failure: )?/, '') : String(err);
  return new GocpuError('SSH_CONNECT', `${via} could not reach ${host}:${port}: ${msg}`, {
    cause: err, hint: 'check HostName / Port, and that the jump host may forward (AllowTcpForwarding in its sshd_config)',
  });
}
