/**
 * The optional config file: $GOCPU_CONFIG, else $XDG_CONFIG_HOME/gocpu/config.json
 * (~/.config/gocpu/config.json). Every field is optional:
 *
 *   {
 *     "hosts": { "linux/arm64": ["pi@rpi4", "porter"], "riscv64": ["visionfive"] },
 *     "slots": { "pi@rpi4": 2 },
 *     "exports": [{ "path": "/srv/testdata", "writable": false }],
 *     "writableModule": false,
 *     "env": { "allow": ["MY_*"], "deny": ["SECRET_*"] },
 *     "remoteSshfs": "sshfs",
 *     "sshfsOptions": "max_read=65536",
 *     "remoteRoot": { "porter": "/run/schroot/mount/gocpu" },
 *     "mode": { "porter": "copy" }
 *   }
 *
 * remoteRoot: per host (keyed as gocpu names the host), a directory on the remote
 * that the view shows in place of its `/` (src/config/remote-root.ts).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GocpuError } from '../errors.js';

export interface ExportConfig { path: string; writable?: boolean }

export interface GocpuConfig {
  hosts?: Record<string, string[] | string>;
  /** Runs a host takes at once (agent mode); default: its core count. */
  slots?: Record<string, number>;
  exports?: ExportConfig[];
  writableModule?: boolean;
  env?: { allow?: string[]; deny?: string[] };
  remoteSshfs?: string;
  sshfsOptions?: string;
  remoteRoot?: Record<string, string>;
  /** mount, copy or auto, for every host or per host (src/config/mode.ts). */
  mode?: string | Record<string, string>;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.GOCPU_CONFIG) return env.GOCPU_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'gocpu', 'config.json');
}

export function loadConfig(env: NodeJS.ProcessEnv): GocpuConfig {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !env.GOCPU_CONFIG) return {};
    throw new GocpuError('CONFIG_READ', `cannot read config ${path}: ${(e as Error).message}`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new GocpuError('CONFIG_PARSE', `config ${path} is not valid JSON: ${(e as Error).message}`, {
      cause: e,
      hint: 'fix the file or remove it',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GocpuError('CONFIG_PARSE', `config ${path} must hold a JSON object`);
  }
  const c = parsed as GocpuConfig;
  for (const e of c.exports ?? []) {
    if (typeof e?.path !== 'string' || !e.path.startsWith('/')) {
      throw new GocpuError('CONFIG_PARSE', `config ${path}: every "exports" entry needs an absolute "path"`);
    }
  }
  const roots = c.remoteRoot;
  if (roots !== undefined && (typeof roots !== 'object' || roots === null || Array.isArray(roots) || Object.values(roots).some((v) => typeof v !== 'string'))) {
    throw new GocpuError('CONFIG_PARSE', `config ${path}: "remoteRoot" maps host names to remote directories, e.g. {"porter": "/run/schroot/mount/gocpu"}`);
  }
  return c;
}
