/**
 * Opens an authenticated ssh2 Client for a resolved HostConfig: ProxyJump chains (each
 * hop's `forwardOut` stream is the next hop's socket, resolved like `ssh -J` does),
 * ProxyCommand, host key checking (host-key-policy.ts), auth (auth.ts), keepalives, and
 * every failure through errors.ts. Also exec() and closeClient() for callers.
 */
import ssh2 from 'ssh2';
import type { Client as ClientType, ClientChannel, ExecOptions } from 'ssh2';
import type { Duplex } from 'node:stream';
import { GocpuError } from '../errors.js';
import { buildAuth } from './auth.js';
import { describeTarget } from './destination.js';
import { authFailure, channelOpenError, forwardOutError, sshError, type SshErrorContext } from './errors.js';
import { verifyHostKey } from './host-key-policy.js';
import { knownKeyTypes } from './known-hosts.js';
import { startProxyCommand } from './proxy-command.js';
import { resolveHostConfig, type HostConfig } from './ssh-config.js';
import type { Prompter } from './tty-prompt.js';

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Warnings and notes (host key added, agent trouble...); default: stderr. */
  log?: (line: string) => void;
  /** Who answers passphrase / password prompts; default /dev/tty if any, null = nobody. */
  prompter?: Prompter | null;
  /** Errors after the connection was ready (keepalive, disconnect), already GocpuErrors. */
  onError?: (err: GocpuError) => void;
}

interface ClientState {
  target: string;
  closed: boolean;
  /** closeClient() was called: a close is not a failure. */
  endedByUs?: boolean;
  /** The first error after ready: why the connection died. */
  lastError?: GocpuError;
}

const states = new WeakMap<ClientType, ClientState>();
const DEFAULT_CONNECT_TIMEOUT_S = 20;
const MAX_JUMPS = 10;
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Offer key types known_hosts has for this host first, as ssh does, so the server picks one we can check. */
function hostKeyAlgorithms(cfg: HostConfig): string[] {
  const known = knownKeyTypes([...cfg.userKnownHostsFiles, ...cfg.globalKnownHostsFiles], cfg.hostName, cfg.port, cfg.hostKeyAlias);
  const first = HOST_KEY_ALGOS.filter((a) => known.includes(a.startsWith('rsa-sha2-') ? 'ssh-rsa' : a));
  return [...first, ...HOST_KEY_ALGOS.filter((a) => !first.includes(a))];
}

function forwardOut(jump: ClientType, host: string, port: number, via: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      jump.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(forwardOutError(err, via, host, port)) : resolve(ch)));
    } catch (e) {
      reject(forwardOutError(e, via, host, port, true));
    }
  });
}

export async function connect(cfg: HostConfig, opts: ConnectOptions = {}): Promise<ClientType> {
  return connectHop(cfg, opts, 0);
}

async function connectHop(cfg: HostConfig, opts: ConnectOptions, depth: number): Promise<ClientType> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const target = describeTarget(cfg.user, cfg.hostName, cfg.port);
  if (opts.signal?.aborted) throw aborted(target, opts.signal);
  let sock: Duplex | undefined;
  let via: string | undefined;
  let jump: ClientType | undefined;
  let stopProxy: (() => void) | undefined;
  if (cfg.proxyJump.length > 0) {
    if (depth >= MAX_JUMPS) {
      throw new GocpuError('SSH_CONFIG', `ProxyJump for ${target} goes more than ${MAX_JUMPS} hops deep`, { hint: 'look for a ProxyJump loop in your ssh config' });
    }
    // `ssh -J a,b dest` connects to b with `-J a` (overriding b's own ProxyJump), and to a with a's own config.
    const hops = cfg.proxyJump;
    const hop = resolveHostConfig(hops[hops.length - 1], cfg.resolveOptions);
    if (hops.length > 1) {
      hop.proxyJump = hops.slice(0, -1);
      hop.proxyCommand = undefined;
    }
    jump = await connectHop(hop, opts, depth + 1);
    via = `via jump host ${describeTarget(hop.user, hop.hostName, hop.port)}`;
    try {
      sock = await forwardOut(jump, cfg.hostName, cfg.port, `jump host ${describeTarget(hop.user, hop.hostName, hop.port)}`);
    } catch (e) {
      await closeClient(jump);
      throw e;
    }
  } else if (cfg.proxyCommand !== undefined) {
    const p = startProxyCommand(cfg.proxyCommand, log);
    sock = p.stream;
    stopProxy = p.stop;
    via = `via ProxyCommand ${cfg.proxyCommand}`;
  }

  const client = new ssh2.Client();
  const state: ClientState = { target, closed: false };
  states.set(client, state);
  const timeoutMs = (cfg.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S) * 1000;
  // ssh2 declares the link dead at the (countMax+1)th unanswered ping; ssh_config(5) promises
  // "about ServerAliveInterval x ServerAliveCountMax", which is what we want (10 s x 3 = 30 s).
  const kaCount = Math.max(1, cfg.serverAliveCountMax - 1);
  const ctx: SshErrorContext = {
    target, phase: 'connect', via, connectTimeoutMs: timeoutMs,
    keepalive: { intervalS: cfg.serverAliveInterval, countMax: kaCount + 1 },
  };
  let hostKeyError: GocpuError | undefined;
  let hostKeyChanged = false;

  return new Promise<ClientType>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let remaining = timeoutMs;
    let startedAt = Date.now();
    const startTimer = (): void => {
      startedAt = Date.now();
      timer = setTimeout(() => {
        const e = new Error('Timed out while waiting for handshake') as Error & { level: string };
        e.level = 'client-timeout';
        fail(sshError(e, ctx));
      }, remaining);
    };
    const pauseTimer = (): void => {
      clearTimeout(timer);
      remaining = Math.max(1000, remaining - (Date.now() - startedAt));
    };
    const onAbort = (): void => fail(aborted(target, opts.signal!));
    const finish = (): void => {
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: GocpuError): void => {
      if (settled) return;
      finish();
      client.destroy();
      if (jump) void closeClient(jump);
      reject(err);
    };
    const auth = buildAuth(cfg, {
      prompter: opts.prompter,
      log,
      hostKeyChanged: () => hostKeyChanged,
      onPrompt: (waiting) => (waiting ? pauseTimer() : startTimer()),
    });
    const fullContext = (): SshErrorContext => ({ ...ctx, authTried: auth.tried, authNotes: auth.notes, serverMethods: auth.serverMethods });

    client.on('handshake', () => {
      ctx.phase = 'auth';
    });
    client.on('ready', () => {
      if (settled) return;
      finish();
      ctx.phase = 'ready';
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (!settled) {
        // ssh2 reports these and carries on with the next auth method.
        if (err.level === 'agent' || (err.level === 'client-authentication' && !/All configured/.test(err.message))) {
          auth.notes.push(err.message);
          return;
        }
        fail(hostKeyError ?? sshError(err, fullContext()));
        return;
      }
      const g = sshError(err, { ...fullContext(), phase: 'ready' });
      state.lastError ??= g;
      opts.onError?.(g);
    });
    client.on('close', () => {
      state.closed = true;
      stopProxy?.();
      if (jump) void closeClient(jump);
      if (!settled) {
        if (hostKeyError) fail(hostKeyError);
        else if (ctx.phase === 'auth') fail(authFailure(fullContext(), undefined, 'the server closed the connection'));
        else fail(sshError(new Error('Connection lost before handshake'), fullContext()));
      } else if (state.lastError === undefined && ctx.phase === 'ready' && !state.endedByUs) {
        state.lastError = new GocpuError('SSH_DISCONNECTED', `ssh connection to ${target} closed by the remote side`, {
          side: 'remote', hint: 'the remote sshd or host went away; check it and run again',
        });
        opts.onError?.(state.lastError);
      }
    });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    startTimer();
    try {
      client.connect({
        host: cfg.hostName,
        port: cfg.port,
        sock,
        username: cfg.user,
        readyTimeout: 0, // our own timer above, paused while a passphrase is typed
        keepaliveInterval: cfg.serverAliveInterval * 1000,
        keepaliveCountMax: kaCount,
        algorithms: { serverHostKey: hostKeyAlgorithms(cfg) as never },
        authHandler: auth.handler,
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          const v = verifyHostKey(cfg, key);
          for (const w of v.warnings) log(`gocpu: ${w}`);
          hostKeyError = v.error;
          hostKeyChanged = v.keyChanged;
          verify(v.accept);
        },
      });
      // From the first packet: ssh2 (1.17) leaves Nagle's algorithm on. A message
      // written in two pieces then waits for the peer's delayed ACK (40 ms): the
      // handshake and auth took 82 ms on loopback rather than 41, each session opened
      // on the connection 45 ms rather than 5, and a FUSE request, a small SFTP round
      // trip, up to a second. Node keeps the setting until the socket connects; a
      // ProxyJump channel or ProxyCommand pipe has none and ssh2 skips it.
      client.setNoDelay(true);
    } catch (e) {
      fail(sshError(e, fullContext()));
    }
  });
}

function aborted(target: string, signal: AbortSignal): GocpuError {
  return new GocpuError('SSH_ABORTED', `ssh connection to ${target} aborted`, { cause: signal.reason });
}

/** Why the connection died, if it did. */
export function clientError(client: ClientType): GocpuError | undefined {
  return states.get(client)?.lastError;
}

/** Runs a command; a refused channel (sshd MaxSessions, dead connection) becomes a GocpuError. */
export function exec(client: ClientType, command: string | Buffer, opts: ExecOptions = {}): Promise<ClientChannel> {
  const state = states.get(client);
  const target = state?.target ?? 'the ssh server';
  return new Promise((resolve, reject) => {
    if (state?.closed) {
      reject(state.lastError ?? channelOpenError(new Error('Not connected'), target, 'an exec channel'));
      return;
    }
    try {
      // ssh2 writes a Buffer command as is (Protocol.exec); its types only say string.
      client.exec(command as string, opts, (err, ch) => {
        if (err) reject(state?.lastError ?? channelOpenError(err, target, 'an exec channel'));
        else resolve(ch);
      });
    } catch (e) {
      reject(state?.lastError ?? channelOpenError(e, target, 'an exec channel'));
    }
  });
}

/** Ends the connection and resolves once it is closed; destroys it after `timeoutMs`. */
export function closeClient(client: ClientType, timeoutMs = 5000): Promise<void> {
  const state = states.get(client);
  if (state?.closed) return Promise.resolve();
  if (state) state.endedByUs = true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.destroy();
      resolve();
    }, timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}
