/**
 * Which host runs a target: GOCPU_HOST_LINUX_ARM64 (per target), else GOCPU_HOST,
 * else the config file's list for "linux/arm64" (or just "arm64"). A list is a pool
 * for later; today the first entry is used.
 */
import { GocpuError } from '../errors.js';
import type { GocpuConfig } from './config-file.js';
import { configPath } from './config-file.js';
import { type Target, targetName } from './target.js';

export function targetEnvName(t: Target): string {
  return `GOCPU_HOST_${t.goos.toUpperCase()}_${t.goarch.toUpperCase()}`;
}

export function hostsFor(t: Target, env: NodeJS.ProcessEnv, config: GocpuConfig): string[] {
  const specific = env[targetEnvName(t)];
  if (specific) return [specific];
  if (env.GOCPU_HOST) return [env.GOCPU_HOST];
  const entry = config.hosts?.[targetName(t)] ?? config.hosts?.[t.goarch];
  if (entry === undefined) return [];
  return (Array.isArray(entry) ? entry : [entry]).filter((h) => typeof h === 'string' && h !== '');
}

export function resolveTargetHost(t: Target, env: NodeJS.ProcessEnv, config: GocpuConfig): string {
  const hosts = hostsFor(t, env, config);
  if (hosts.length === 0) {
    throw new GocpuError('NO_HOST', `no host configured for ${targetName(t)}`, {
      hint: `set ${targetEnvName(t)}=user@host (or GOCPU_HOST), or list it under "hosts" in ${configPath(env)}`,
    });
  }
  return hosts[0];
}
