/**
 * The expansions ssh_config(5) applies to file-name values: `~` / `~user`, `%x` tokens
 * (TOKENS section) and `${VAR}` environment references. An unknown token or an unset
 * variable is an error, as it is for ssh(1): silently keeping "%z" would name a file
 * nobody meant.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { GocpuError } from '../errors.js';

export interface TokenValues {
  /** %h: remote host name after HostName */
  host: string;
  /** %n: host as given on the command line */
  originalHost: string;
  /** %p */
  port: number;
  /** %r: remote user */
  remoteUser: string;
  /** %u */
  localUser: string;
  /** %d */
  homeDir: string;
  /** %i */
  uid: number;
  /** %l: local host name with domain; %L is its first label */
  localHostname: string;
  /** %k: HostKeyAlias, else the original host */
  hostKeyAlias?: string;
}

function configError(what: string, why: string): GocpuError {
  return new GocpuError('SSH_CONFIG', `ssh config: cannot expand ${what}: ${why}`, {
    hint: 'fix the value in your ssh config (see the TOKENS section of ssh_config(5))',
  });
}

/**
 * Expands `%x` tokens (`allowed` lists the letters this keyword accepts; `%%` always
 * works) and, when `env` is given, `${VAR}` (OpenSSH 8.4+) in the same single pass, so
 * a `%` inside a variable's value is not expanded again (misc.c vdollar_percent_expand).
 */
export function expandPercent(
  value: string, t: TokenValues, allowed: string, what: string, env?: NodeJS.ProcessEnv,
): string {
  return value.replace(/%(.?)|\$\{([^}]*)\}/gs, (_m, ch: string | undefined, name: string | undefined) => {
    if (ch === undefined) {
      if (env === undefined) return _m;
      const v = env[name!];
      if (v === undefined) throw configError(what, `environment variable \${${name}} is not set`);
      return v;
    }
    if (ch === '%') return '%';
    if (ch === '') throw configError(what, `"${value}" ends with a lone %`);
    if (!allowed.includes(ch)) throw configError(what, `unknown token %${ch} in "${value}"`);
    switch (ch) {
      case 'h': return t.host;
      case 'n': return t.originalHost;
      case 'p': return String(t.port);
      case 'r': return t.remoteUser;
      case 'u': return t.localUser;
      case 'd': return t.homeDir;
      case 'i': return String(t.uid);
      case 'l': return t.localHostname;
      case 'L': return t.localHostname.split('.')[0];
      case 'k': return t.hostKeyAlias ?? t.originalHost;
      case 'C': // OpenSSH 9.2: hex SHA1 over %l%h%p%r
        return createHash('sha1').update(`${t.localHostname}${t.host}${t.port}${t.remoteUser}`).digest('hex');
      default: throw configError(what, `unknown token %${ch} in "${value}"`);
    }
  });
}

/**
 * From /etc/passwd; for our own user also from getpwuid (os.userInfo): macOS keeps
 * its users in Directory Services, not in /etc/passwd.
 */
function passwdHome(user: string): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === user && f.length >= 6) return f[5];
    }
  } catch {
    // no /etc/passwd: only `~` and our own user can be expanded
  }
  try {
    const me = userInfo();
    if (me.username === user) return me.homedir;
  } catch {
    // no passwd entry for our uid
  }
  return undefined;
}

/** `~` and `~/x` -> homeDir; `~user/x` -> that user's home from /etc/passwd. */
export function expandTilde(value: string, homeDir: string): string {
  if (!value.startsWith('~')) return value;
  const slash = value.indexOf('/');
  const name = slash < 0 ? value.slice(1) : value.slice(1, slash);
  const tail = slash < 0 ? '' : value.slice(slash);
  const home = name === '' ? homeDir : passwdHome(name);
  if (home === undefined) throw configError(value, `no such user "${name}"`);
  return (home.endsWith('/') && tail.startsWith('/') ? home.slice(0, -1) : home) + tail;
}

/** What ssh(1) does to IdentityFile, UserKnownHostsFile, IdentityAgent...: tilde, then tokens and ${VAR}. */
export function expandPath(value: string, t: TokenValues, env: NodeJS.ProcessEnv, allowed: string, what: string): string {
  return expandPercent(expandTilde(value, t.homeDir), t, allowed, what, env);
}

/** Shortens a path under homeDir back to `~/...` for messages. */
export function tildify(path: string, homeDir: string): string {
  if (homeDir !== '/' && (path === homeDir || path.startsWith(homeDir + '/'))) return '~' + path.slice(homeDir.length);
  return path;
}
