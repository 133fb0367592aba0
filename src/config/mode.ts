/**
 * How a host's runs reach the developer's files (issue 10): `mount` (reverse sshfs,
 * the default shape), `copy` (a tar of what the test reads, for a remote without
 * sshfs or a usable /dev/fuse: src/copy/), or `auto` (mount where the host can,
 * copy where it cannot: src/run/mode.ts). GOCPU_MODE wins over the config's
 * "mode", which is one word for every host or a word per host:
 *   "mode": "copy"      "mode": { "porter": "copy" }
 */
import type { GocpuConfig } from './config-file.js';
import { GocpuError } from '../errors.js';

export type ModeSetting = 'mount' | 'copy' | 'auto';
const MODES: readonly string[] = ['mount', 'copy', 'auto'];

function check(value: string, where: string): ModeSetting {
  if (MODES.includes(value)) return value as ModeSetting;
  throw new GocpuError('USAGE', `${where} is ${JSON.stringify(value)}: use mount, copy or auto`);
}

/** A host's setting, and whether the user chose it (a forced mode runs quietly). */
export interface HostMode { setting: ModeSetting; forced: boolean }

export function modeSetting(host: string, env: NodeJS.ProcessEnv, config: GocpuConfig): HostMode {
  if (env.GOCPU_MODE) return { setting: check(env.GOCPU_MODE, 'GOCPU_MODE'), forced: true };
  const m = config.mode;
  const value = typeof m === 'string' ? m : m?.[host];
  if (value === undefined) return { setting: 'auto', forced: false };
  return { setting: check(String(value), `"mode"${typeof m === 'string' ? '' : ` of ${host}`} in the gocpu config`), forced: true };
}
