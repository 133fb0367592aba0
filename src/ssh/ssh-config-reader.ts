/**
 * Reads ssh_config(5) files the way OpenSSH 9.x readconf.c does, for one destination:
 * `Host` / `Match` blocks, `Include` (glob, nesting limit 16), first obtained value wins,
 * IdentityFile and CertificateFile accumulate. Values are stored raw (tokens unexpanded,
 * as `ssh -G` prints IdentityFile); ssh-config.ts turns them into a HostConfig.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { GocpuError } from '../errors.js';
import { globSync } from './config-glob.js';
import { expandPercent, expandTilde, type TokenValues } from './config-tokens.js';
import { matchPattern, matchPatternList } from './pattern.js';

const MAX_INCLUDE_DEPTH = 16; // READCONF_MAX_DEPTH
const ACCUMULATE = new Set(['identityfile', 'certificatefile']);

/** Raw option values, first one wins; accumulating keywords collect every value. */
export class ConfigStore {
  private readonly first = new Map<string, string[]>();
  private readonly lists = new Map<string, string[]>();

  set(keyword: string, args: string[]): void {
    const kw = keyword.toLowerCase();
    if (ACCUMULATE.has(kw)) {
      const list = this.lists.get(kw) ?? [];
      for (const a of args) if (!list.includes(a)) list.push(a); // readconf.c add_identity_file drops duplicates
      this.lists.set(kw, list);
    } else if (!this.first.has(kw)) {
      this.first.set(kw, args);
    }
  }

  /** Replaces a value regardless of first-wins (ssh.c does this to HostName before the final pass). */
  replace(keyword: string, args: string[]): void {
    this.first.set(keyword.toLowerCase(), args);
  }

  has(keyword: string): boolean {
    return this.first.has(keyword.toLowerCase());
  }

  args(keyword: string): string[] | undefined {
    return this.first.get(keyword.toLowerCase());
  }

  value(keyword: string): string | undefined {
    return this.first.get(keyword.toLowerCase())?.[0];
  }

  list(keyword: string): string[] {
    return this.lists.get(keyword.toLowerCase()) ?? [];
  }
}

export interface ReadContext {
  /** The host as the user typed it: what `Host` and `Match originalhost` see. */
  originalHost: string;
  localUser: string;
  homeDir: string;
  uid: number;
  localHostname: string;
  env: NodeJS.ProcessEnv;
  /** Second pass, after the first asked for it with `Match final`. */
  final: boolean;
  /** Set by the reader when a non-negated `Match final` is seen. */
  wantFinal: boolean;
}

export interface ConfigLine {
  keyword: string;
  args: string[];
  /** The unsplit remainder, for ProxyCommand-like keywords that take a shell command. */
  rest: string;
}

/** misc.c argv_split(..., terminate_on_comment=1). */
function argvSplit(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') {
      i++;
      continue;
    }
    if (s[i] === '#') break;
    let arg = '';
    let quote = '';
    for (; i < s.length; i++) {
      const c = s[i];
      const n = s[i + 1];
      if (c === '\\' && (n === "'" || n === '"' || n === '\\' || (quote === '' && n === ' '))) arg += s[++i];
      else if (quote === '' && (c === ' ' || c === '\t')) break;
      else if (quote === '' && (c === '"' || c === "'")) quote = c;
      else if (quote !== '' && c === quote) quote = '';
      else arg += c;
    }
    if (quote !== '') return null;
    out.push(arg);
  }
  return out;
}

/** Splits one line into lower-cased keyword and arguments; null for blank and comment lines. */
export function splitConfigLine(line: string): ConfigLine | null | 'no-argument' | 'bad-quotes' {
  const m = /^[ \t]*([^ \t=]+)[ \t]*=?[ \t]*(.*)$/s.exec(line.replace(/[ \t\r\f]+$/, ''));
  if (m === null || m[1].startsWith('#')) return null;
  const keyword = m[1].toLowerCase();
  const rest = m[2];
  if (rest === '') return 'no-argument';
  const args = argvSplit(rest);
  if (args === null) return 'bad-quotes';
  return { keyword, args, rest };
}

function lineError(file: string, lineNo: number, why: string): GocpuError {
  return new GocpuError('SSH_CONFIG', `ssh config ${file} line ${lineNo}: ${why}`, {
    hint: 'fix the line (see ssh_config(5)); `ssh -G -F FILE HOST` shows how OpenSSH reads it',
  });
}

/** readconf.c secure_permissions: ssh(1) refuses such files, so we do too. */
export function checkPerms(file: string, uid: number): void {
  const st = statSync(file);
  if ((st.uid !== 0 && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new GocpuError('SSH_CONFIG', `ssh config ${file}: bad owner or permissions`, {
      hint: `chmod go-w ${file} (ssh refuses config files others can write)`,
    });
  }
}

function runMatchExec(command: string): boolean {
  // stdout must not reach us: under `go test` it would become test output.
  const r = spawnSync('/bin/sh', ['-c', command], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

export function expandHostName(hostName: string, originalHost: string): string {
  return expandPercent(hostName, { host: originalHost } as TokenValues, 'h', 'HostName');
}

/** readconf.c match_cfg_line; criteria we cannot evaluate are treated as not matching. */
function matchLine(args: string[], store: ConfigStore, ctx: ReadContext, where: () => GocpuError): boolean {
  const hostName = store.value('hostname');
  // HostName only knows %h (= the original host) and %%; ssh.c main() does the same.
  const host = hostName === undefined ? ctx.originalHost : expandHostName(hostName, ctx.originalHost);
  const ruser = store.value('user') ?? ctx.localUser;
  let result = true;
  let attributes = 0;
  for (let i = 0; i < args.length; i++) {
    let attrib = args[i].toLowerCase();
    const negate = attrib.startsWith('!');
    if (negate) attrib = attrib.slice(1);
    if (attrib === 'all') {
      if (attributes > 1 || i + 1 < args.length) throw where();
      return result && !negate;
    }
    attributes++;
    let r: boolean;
    if (attrib === 'canonical' || attrib === 'final') {
      if (attrib === 'final' && !negate) ctx.wantFinal = true;
      r = ctx.final;
    } else {
      const arg = args[++i];
      if (arg === undefined) throw where();
      switch (attrib) {
        case 'host': r = matchPatternList(host, arg, true) === 1; break;
        case 'originalhost': r = matchPatternList(ctx.originalHost, arg, true) === 1; break;
        case 'user': r = matchPatternList(ruser, arg, false) === 1; break;
        case 'localuser': r = matchPatternList(ctx.localUser, arg, false) === 1; break;
        case 'exec': {
          if (!result) continue; // OpenSSH skips the command once an earlier criterion failed
          const port = Number(store.value('port') ?? 22);
          const t: TokenValues = {
            host, originalHost: ctx.originalHost, port, remoteUser: ruser, localUser: ctx.localUser,
            homeDir: ctx.homeDir, uid: ctx.uid, localHostname: ctx.localHostname, hostKeyAlias: store.value('hostkeyalias'),
          };
          r = runMatchExec(expandPercent(arg, t, 'CdhikLlnpru', 'Match exec', ctx.env));
          break;
        }
        default: r = false; // e.g. localnetwork, tagged: not supported here
      }
    }
    if (r === negate) result = false;
  }
  if (attributes === 0) throw where();
  return result;
}

export interface ReadFlags {
  /** A user file: relative Include paths are under ~/.ssh, `~` is expanded. */
  userConf: boolean;
  /** Inside an inactive block: parse, but nothing matches. */
  neverMatch: boolean;
}

/**
 * Applies one file to `store`. `active` is shared with the including file, which
 * restores its own state afterwards (readconf.c read_config_file_depth).
 */
export function readConfigFile(
  file: string, store: ConfigStore, ctx: ReadContext, flags: ReadFlags, active: { on: boolean }, depth = 0,
): void {
  if (depth > MAX_INCLUDE_DEPTH) throw new GocpuError('SSH_CONFIG', `ssh config ${file}: Include nested more than ${MAX_INCLUDE_DEPTH} deep`, { hint: 'look for an Include loop' });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') return;
    throw e;
  }
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const parsed = splitConfigLine(lines[n]);
    if (parsed === null) continue;
    if (parsed === 'no-argument') throw lineError(file, lineNo, 'keyword without an argument');
    if (parsed === 'bad-quotes') throw lineError(file, lineNo, 'unbalanced quotes');
    const { keyword, args, rest } = parsed;
    switch (keyword) {
      case 'host': {
        active.on = false;
        if (flags.neverMatch) break;
        for (const a of args) {
          const negated = a.startsWith('!');
          if (!matchPattern(ctx.originalHost, negated ? a.slice(1) : a)) continue;
          if (negated) {
            active.on = false;
            break;
          }
          active.on = true;
        }
        break;
      }
      case 'match': {
        const r = matchLine(args, store, ctx, () => lineError(file, lineNo, `bad Match criteria "${rest}"`));
        active.on = flags.neverMatch ? false : r;
        break;
      }
      case 'include':
        for (const arg of args) {
          let pattern = arg;
          if (arg.startsWith('~') && flags.userConf) pattern = expandTilde(arg, ctx.homeDir);
          else if (!arg.startsWith('/')) pattern = flags.userConf ? `${ctx.homeDir}/.ssh/${arg}` : `/etc/ssh/${arg}`;
          const outer = active.on;
          for (const inc of globSync(pattern)) {
            checkPerms(inc, ctx.uid);
            readConfigFile(inc, store, ctx, { userConf: flags.userConf, neverMatch: flags.neverMatch || !outer }, active, depth + 1);
            active.on = outer;
          }
        }
        break;
      default:
        if (!active.on) break;
        if (keyword === 'proxycommand' || keyword === 'proxyjump') {
          // The first of ProxyCommand / ProxyJump wins (readconf.c parse_jump).
          if (store.has('proxycommand') || store.has('proxyjump')) break;
          store.set(keyword, keyword === 'proxycommand' ? [rest] : args);
        } else {
          store.set(keyword, args);
        }
    }
  }
}
