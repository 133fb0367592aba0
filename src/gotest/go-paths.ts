/**
 * Where this machine's Go keeps what a test may read: GOROOT, GOMODCACHE, GOPATH.
 * Found without running `go env` (that costs ~20 ms per test binary): the go
 * command puts $GOROOT/bin first on the test's PATH (go 1.19+), and GOMODCACHE /
 * GOPATH come from the environment or from `go env -w`'s file, then defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export interface GoPaths {
  goroot?: string;
  gomodcache?: string;
  gopath: string[];
}

function goEnvFile(env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  const file = env.GOENV && env.GOENV !== 'off'
    ? env.GOENV
    : join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'go', 'env');
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (m) out.set(m[1], m[2]);
    }
  } catch {
    // no file: nothing set with `go env -w`
  }
  return out;
}

export function goPaths(env: NodeJS.ProcessEnv): GoPaths {
  const file = goEnvFile(env);
  const get = (k: string) => env[k] || file.get(k) || undefined;
  let goroot = get('GOROOT');
  if (!goroot) {
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      if (dir.endsWith('/bin') && existsSync(join(dir, 'go'))) {
        goroot = dirname(dir);
        break;
      }
    }
  }
  const home = env.HOME || homedir();
  const gopathVar = get('GOPATH');
  const gopath = gopathVar ? gopathVar.split(delimiter).filter((p) => p.startsWith('/')) : [join(home, 'go')];
  const gomodcache = get('GOMODCACHE') || (gopath[0] ? join(gopath[0], 'pkg', 'mod') : undefined);
  return { goroot, gomodcache, gopath };
}
