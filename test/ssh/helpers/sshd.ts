/**
 * A throwaway OpenSSH sshd on 127.0.0.1 for integration tests: its own host key,
 * sshd_config and authorized_keys in a temp dir, logging to a buffer. Runs as root
 * (tests log in as the current user with PermitRootLogin prohibit-password).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  path: string;
  pubLine: string;
  blob: Buffer;
}

/** ssh-keygen a key pair (no passphrase unless given). */
export function keygen(path: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519', passphrase = ''): KeyPair {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', passphrase, '-C', 'gocpu-test', '-f', path]);
  const pubLine = readFileSync(`${path}.pub`, 'utf8').trim();
  return { path, pubLine, blob: Buffer.from(pubLine.split(' ')[1], 'base64') };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface Sshd {
  port: number;
  dir: string;
  /** The listener's pid. */
  pid: number;
  hostKey: KeyPair;
  /** All host keys, hostKey first. */
  hostKeys: KeyPair[];
  /** `[127.0.0.1]:port keytype base64` */
  knownHostsLine: string;
  authorizedKeysFile: string;
  /** Per-connection sshd processes: every descendant of the listener. */
  sessionPids(): number[];
  /**
   * Sends `sig` to every per-connection sshd process; returns how many got it. One
   * that exits between the /proc scan and its signal (a session sshd forwards SIGTERM
   * to its child, which may end before we get to it) is the expected state, not an
   * error: ESRCH is ignored, any other failure throws.
   */
  signalSessions(sig: NodeJS.Signals, pids?: number[]): number;
  logs(): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  authorizedKeys?: string[];
  /** Host key types, the first one is `hostKey`; default ed25519 only. */
  hostKeyTypes?: ('ed25519' | 'ecdsa' | 'rsa')[];
  extraConfig?: string;
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'gocpu-sshd-'));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir sshd insists on
  const hostKeys = (opts.hostKeyTypes ?? ['ed25519']).map((t) => keygen(join(dir, `host_${t}`), t));
  const hostKey = hostKeys[0];
  const authorizedKeysFile = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeysFile, (opts.authorizedKeys ?? []).join('\n') + '\n');
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(config, [
    `ListenAddress 127.0.0.1`,
    ...hostKeys.map((k) => `HostKey ${k.path}`),
    'PidFile none',
    `AuthorizedKeysFile ${authorizedKeysFile}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'AllowTcpForwarding yes',
    'LogLevel VERBOSE',
    opts.extraConfig ?? '',
  ].join('\n') + '\n');
  let log = '';
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start within 10 s:\n${log}`)), 10_000);
    child.stderr!.on('data', (s: string) => {
      log += s;
      if (/Server listening on/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}:\n${log}`));
    });
  });
  const stop = (): Promise<void> => new Promise((resolve) => {
    // Per-connection sshd processes outlive the listener: end them too (a test may have stopped them).
    for (const pid of descendants(child.pid!)) {
      for (const sig of ['SIGCONT', 'SIGTERM'] as const) signalIfAlive(pid, sig);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      resolve();
      return;
    }
    child.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    });
    child.kill('SIGTERM');
  });
  const [type, b64] = hostKey.pubLine.split(' ');
  const sessionPids = (): number[] => descendants(child.pid!);
  const signalSessions = (sig: NodeJS.Signals, pids = sessionPids()): number => pids.filter((pid) => signalIfAlive(pid, sig)).length;
  return {
    port, dir, pid: child.pid!, hostKey, hostKeys, knownHostsLine: `[127.0.0.1]:${port} ${type} ${b64}`,
    authorizedKeysFile, sessionPids, signalSessions, logs: () => log, stop,
  };
}

/** process.kill, false when the process is already gone (ESRCH). */
export function signalIfAlive(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** Descendants of a process, from /proc (ppid is field 4 of /proc/PID/stat, after the "(comm)"). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const isBelow = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  for (const pid of parent.keys()) if (isBelow(pid)) out.push(pid);
  return out;
}
