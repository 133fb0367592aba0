/**
 * Resolves what ssh(1) would use for one destination: reads the config files with
 * ssh-config-reader.ts, then applies defaults and token expansion like OpenSSH 9.2's
 * ssh.c / fill_default_options. `ssh -G` is the reference (test/ssh/ssh-config.test.ts).
 * Known differences: no CanonicalizeHostname, `Match` criteria other than all, host,
 * originalhost, user, localuser, exec, final and canonical never match, unknown keywords
 * are ignored instead of being fatal.
 */
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { GocpuError } from '../errors.js';
import { expandPath, expandPercent, type TokenValues } from './config-tokens.js';
import { parseDestination, parsePort } from './destination.js';
import { checkPerms, ConfigStore, expandHostName, readConfigFile, type ReadContext } from './ssh-config-reader.js';

export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask' | 'off';

export interface ResolveOptions {
  /** A config file to use instead of ~/.ssh/config and /etc/ssh/ssh_config, like `ssh -F` ("none" = no file). */
  configFile?: string;
  /** Defaults to /etc/ssh/ssh_config; only read when configFile is not given. */
  systemConfigFile?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  localUser?: string;
}

export interface HostConfig {
  /** The host as given (what `Host` patterns matched). */
  alias: string;
  hostName: string;
  port: number;
  user: string;
  /** Expanded; the OpenSSH defaults ssh2 can use when the config names none. */
  identityFiles: string[];
  /** True when identityFiles are the defaults: a missing one is not worth a warning. */
  identityFilesAreDefaults: boolean;
  identitiesOnly: boolean;
  /** ProxyJump hops, first hop first, each `[user@]host[:port]` or ssh:// URI. */
  proxyJump: string[];
  /** Expanded ProxyCommand; set only when it came before any ProxyJump. */
  proxyCommand?: string;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  hashKnownHosts: boolean;
  hostKeyAlias?: string;
  /** Seconds; 0 disables. We default to 10 (OpenSSH: 0) so a dead link shows within 30 s. */
  serverAliveInterval: number;
  serverAliveCountMax: number;
  /** Seconds, undefined when not configured. */
  connectTimeout?: number;
  /** Agent socket path to use; undefined = no agent (IdentityAgent none, or no SSH_AUTH_SOCK). */
  identityAgent?: string;
  batchMode: boolean;
  passwordAuthentication: boolean;
  kbdInteractiveAuthentication: boolean;
  numberOfPasswordPrompts: number;
  homeDir: string;
  /** How this was resolved, so ProxyJump hops are resolved the same way. */
  resolveOptions: ResolveOptions;
}

const DEFAULT_IDENTITIES = ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ed25519']; // OpenSSH's order, ssh2-usable types only

function configError(what: string, why: string): GocpuError {
  return new GocpuError('SSH_CONFIG', `ssh config: ${what}: ${why}`, { hint: 'fix the value in your ssh config (see ssh_config(5))' });
}

function flag(store: ConfigStore, kw: string, dflt: boolean): boolean {
  const v = store.value(kw)?.toLowerCase();
  if (v === undefined) return dflt;
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  throw configError(kw, `"${v}" is not yes or no`);
}

function count(store: ConfigStore, kw: string, dflt: number): number {
  const v = store.value(kw);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw configError(kw, `"${v}" is not a number`);
  return Number(v);
}

function seconds(store: ConfigStore, kw: string): number | undefined {
  const v = store.value(kw);
  if (v === undefined || v.toLowerCase() === 'none') return undefined;
  // misc.c convtime: plain seconds or 1h30m style
  const m = /^(?:\d+[sSmMhHdDwW]?)+$/.test(v) ? v.match(/\d+[sSmMhHdDwW]?/g)! : null;
  if (m === null) throw configError(kw, `"${v}" is not a time`);
  const mult: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  return m.reduce((sum, part) => sum + Number(part.replace(/\D$/, '')) * mult[part.replace(/^\d+/, '').toLowerCase()], 0);
}

function strictness(store: ConfigStore): StrictHostKeyChecking {
  const v = (store.value('stricthostkeychecking') ?? 'ask').toLowerCase();
  if (v === 'yes' || v === 'true') return 'yes';
  if (v === 'no' || v === 'false' || v === 'off') return 'no';
  if (v === 'ask' || v === 'accept-new') return v;
  throw configError('StrictHostKeyChecking', `"${v}" is not yes, no, ask or accept-new`);
}

function readAll(store: ConfigStore, ctx: ReadContext, opts: ResolveOptions): void {
  if (opts.configFile !== undefined) {
    if (opts.configFile === 'none') return;
    if (!existsSync(opts.configFile)) {
      throw new GocpuError('SSH_CONFIG', `ssh config file ${opts.configFile} does not exist`, {
        hint: 'point GOCPU_SSH_CONFIG at an existing file, or unset it to use ~/.ssh/config',
      });
    }
    readConfigFile(opts.configFile, store, ctx, { userConf: true, neverMatch: false }, { on: true });
    return;
  }
  const user = `${ctx.homeDir}/.ssh/config`;
  if (existsSync(user)) {
    checkPerms(user, ctx.uid);
    readConfigFile(user, store, ctx, { userConf: true, neverMatch: false }, { on: true });
  }
  const system = opts.systemConfigFile ?? '/etc/ssh/ssh_config';
  if (existsSync(system)) readConfigFile(system, store, ctx, { userConf: false, neverMatch: false }, { on: true });
}

/** Reads the config for `destination` and returns the raw first-wins values (for tests and -G-like dumps). */
export function readHostOptions(destination: string, opts: ResolveOptions = {}): { store: ConfigStore; ctx: ReadContext } {
  const dest = parseDestination(destination);
  const info = userInfo();
  const ctx: ReadContext = {
    originalHost: dest.host,
    localUser: opts.localUser ?? info.username,
    homeDir: opts.homeDir ?? info.homedir, // pw_dir, as ssh uses, not $HOME
    uid: info.uid,
    localHostname: hostname(),
    env: opts.env ?? process.env,
    final: false,
    wantFinal: false,
  };
  const store = new ConfigStore();
  // Like `ssh -l`/`-p`, the destination's user and port come before any config line.
  if (dest.user !== undefined) store.set('user', [dest.user]);
  if (dest.port !== undefined) store.set('port', [String(dest.port)]);
  readAll(store, ctx, opts);
  if (ctx.wantFinal) {
    const hn = store.value('hostname');
    store.replace('hostname', [(hn === undefined ? ctx.originalHost : expandHostName(hn, ctx.originalHost)).toLowerCase()]);
    ctx.final = true;
    readAll(store, ctx, opts);
  }
  return { store, ctx };
}

export function resolveHostConfig(destination: string, opts: ResolveOptions = {}): HostConfig {
  const { store, ctx } = readHostOptions(destination, opts);
  const hn = store.value('hostname');
  const hostName = (hn === undefined ? ctx.originalHost : expandHostName(hn, ctx.originalHost)).toLowerCase();
  const portText = store.value('port');
  const port = portText === undefined ? 22 : parsePort(portText, `Port ${portText}`);
  const user = store.value('user') ?? ctx.localUser;
  const hostKeyAlias = store.value('hostkeyalias');
  const t: TokenValues = {
    host: hostName, originalHost: ctx.originalHost, port, remoteUser: user, localUser: ctx.localUser,
    homeDir: ctx.homeDir, uid: ctx.uid, localHostname: ctx.localHostname, hostKeyAlias,
  };
  const files = 'CdhikLlnpru';
  const env = ctx.env;
  const rawIds = store.list('identityfile').filter((f) => f.toLowerCase() !== 'none');
  const identityFilesAreDefaults = store.list('identityfile').length === 0;
  const ids = identityFilesAreDefaults ? DEFAULT_IDENTITIES : rawIds;
  const knownRaw = store.args('userknownhostsfile') ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
  const globalRaw = store.args('globalknownhostsfile') ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
  const jump = store.value('proxyjump');
  const proxyCommand = store.value('proxycommand');

  let identityAgent: string | undefined;
  const agentRaw = store.value('identityagent');
  if (agentRaw === undefined || agentRaw === 'SSH_AUTH_SOCK') identityAgent = env.SSH_AUTH_SOCK || undefined;
  else if (agentRaw.toLowerCase() === 'none') identityAgent = undefined;
  else if (agentRaw.startsWith('$') && !agentRaw.startsWith('${')) identityAgent = env[agentRaw.slice(1)] || undefined;
  else identityAgent = expandPath(agentRaw, t, env, files, 'IdentityAgent');

  const interval = seconds(store, 'serveraliveinterval');
  return {
    alias: ctx.originalHost,
    hostName,
    port,
    user,
    identityFiles: ids.map((f) => expandPath(f, t, env, files, 'IdentityFile')),
    identityFilesAreDefaults,
    identitiesOnly: flag(store, 'identitiesonly', false),
    proxyJump: jump === undefined || jump.toLowerCase() === 'none' ? [] : jump.split(',').filter((s) => s !== ''),
    proxyCommand: proxyCommand === undefined || proxyCommand.toLowerCase() === 'none'
      ? undefined : expandPercent(proxyCommand, t, 'hnpr', 'ProxyCommand'),
    userKnownHostsFiles: knownRaw.some((f) => f.toLowerCase() === 'none')
      ? [] : knownRaw.map((f) => expandPath(f, t, env, files, 'UserKnownHostsFile')),
    globalKnownHostsFiles: globalRaw.some((f) => f.toLowerCase() === 'none') ? [] : globalRaw,
    strictHostKeyChecking: strictness(store),
    hashKnownHosts: flag(store, 'hashknownhosts', false),
    hostKeyAlias,
    serverAliveInterval: interval ?? 10,
    serverAliveCountMax: count(store, 'serveralivecountmax', 3),
    connectTimeout: seconds(store, 'connecttimeout'),
    identityAgent,
    batchMode: flag(store, 'batchmode', false),
    passwordAuthentication: flag(store, 'passwordauthentication', true),
    kbdInteractiveAuthentication: flag(store, 'kbdinteractiveauthentication', flag(store, 'challengeresponseauthentication', true)),
    numberOfPasswordPrompts: count(store, 'numberofpasswordprompts', 3),
    homeDir: ctx.homeDir,
    resolveOptions: opts,
  };
}
