/**
 * Which hosts run a target: GOCPU_HOST_LINUX_ARM64 (per target), else GOCPU_HOST,
 * else the config file's list for "linux/arm64" (or just "arm64"). Env values may
 * list several hosts, comma-separated. More than one host is a pool
 * (src/agent/pool.ts): the agent spreads calls over it, direct mode takes the
 * first that connects.
 *
 * Slots (how many runs a host takes at once, agent mode only): GOCPU_SLOTS for
 * every host, else the config file's "slots" entry for that host, else the
 * remote's core count (asked once per host by the agent).
 */
import { GocpuError } from '../errors.js';
import type { GocpuConfig } from './config-file.js';
import { configPath } from './config-file.js';
import { type Target, targetName } from './target.js';

export function targetEnvName(t: Target): string {
  return `GOCPU_HOST_${t.goos.toUpperCase()}_${t.goarch.toUpperCase()}`;
}

/** "a, b,,a" -> ["a", "b"]: one entry per host, in order. */
export function splitHosts(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const h of list.flatMap((v) => v.split(',')).map((s) => s.trim())) {
    if (h !== '' && !out.includes(h)) out.push(h);
  }
  return out;
}

export function hostsFor(t: Target, env: NodeJS.ProcessEnv, config: GocpuConfig): string[] {
  const specific = env[targetEnvName(t)];
  if (specific) return splitHosts([specific]);
  if (env.GOCPU_HOST) return splitHosts([env.GOCPU_HOST]);
  const entry = config.hosts?.[targetName(t)] ?? config.hosts?.[t.goarch];
  if (entry === undefined) return [];
  return splitHosts((Array.isArray(entry) ? entry : [entry]).filter((h) => typeof h === 'string'));
}

/** The target's pool (one host or more); a clear error when there is none. */
export function targetHosts(t: Target, env: NodeJS.ProcessEnv, config: GocpuConfig): string[] {
  const hosts = hostsFor(t, env, config);
  if (hosts.length === 0) {
    throw new GocpuError('NO_HOST', `no host configured for ${targetName(t)}`, {
      hint: `set ${targetEnvName(t)}=user@host (or GOCPU_HOST), or list it under "hosts" in ${configPath(env)}`,
    });
  }
  return hosts;
}

/** The first host of the target's pool (doctor, and a pool of one). */
export function resolveTargetHost(t: Target, env: NodeJS.ProcessEnv, config: GocpuConfig): string {
  return targetHosts(t, env, config)[0];
}

function positive(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Slots configured for a host (GOCPU_SLOTS, else the config's "slots"); undefined: ask the host. */
export function slotsFor(host: string, env: NodeJS.ProcessEnv, config: GocpuConfig): number | undefined {
  if (env.GOCPU_SLOTS !== undefined && env.GOCPU_SLOTS !== '') {
    const n = positive(env.GOCPU_SLOTS);
    if (n === undefined) throw new GocpuError('CONFIG_SLOTS', `GOCPU_SLOTS=${env.GOCPU_SLOTS} is not a positive whole number`, { hint: 'set it to how many runs each host takes at once, or unset it' });
    return n;
  }
  const v = config.slots?.[host];
  if (v === undefined) return undefined;
  const n = positive(v);
  if (n === undefined) {
    throw new GocpuError('CONFIG_SLOTS', `config ${configPath(env)}: "slots" for ${host} is ${JSON.stringify(v)}, not a positive whole number`, {
      hint: 'give each host the number of runs it takes at once, e.g. "slots": {"rpi4": 4}',
    });
  }
  return n;
}
