/**
 * Where this machine's Go keeps what a test may read: GOROOT, GOMODCACHE, GOPATH.
 * GOROOT comes from the environment or `go env -w`'s file, else from the `go` binary
 * on PATH: its symlinks resolved (Debian's /usr/bin/go is a link into
 * /usr/lib/go-1.19/bin, and the parent of /usr/bin is /usr, which must never be
 * exported: issue 6), and the directory checked to be a Go root. Only when that
 * fails (a shim or wrapper script named go) do we ask `go env GOROOT`, which costs
 * ~20 ms per test binary; under `go test` the check succeeds, because go puts
 * $GOROOT/bin first on the test's PATH (go 1.19+). GOMODCACHE / GOPATH come from
 * the environment or the env file, then defaults.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';

export interface GoPaths {
  goroot?: string;
  gomodcache?: string;
  gopath: string[];
}

/**
 * Where `go env -w` writes: $GOENV, else os.UserConfigDir()/go/env, which is
 * ~/Library/Application Support on macOS (XDG_CONFIG_HOME ignored there) and
 * $XDG_CONFIG_HOME (when absolute) or ~/.config elsewhere.
 */
export function goEnvFilePath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (env.GOENV) return env.GOENV;
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'go', 'env');
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.config'), 'go', 'env');
}

function goEnvFile(env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  if (env.GOENV === 'off') return out;
  const file = goEnvFilePath(env);
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

/** A Go installation's root: its runtime sources and its tools or VERSION file. */
export function isGoRoot(dir: string): boolean {
  const isDir = (p: string) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  return isDir(join(dir, 'src', 'runtime')) && (isDir(join(dir, 'pkg', 'tool')) || existsSync(join(dir, 'VERSION')));
}

/** The first executable `go` on PATH, as PATH names it. */
export function goOnPath(path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue; // exec wrappers run from anywhere: a relative PATH entry means nothing stable
    const go = join(dir, 'go');
    try {
      accessSync(go, constants.X_OK);
      if (statSync(go).isFile()) return go;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `go env GOROOT` answers, per go binary (path, inode, mtime): a changed go is asked again. */
const asked = new Map<string, string | undefined>();

function askGo(go: string, env: NodeJS.ProcessEnv): string | undefined {
  let key: string;
  try {
    const st = statSync(go);
    key = `${realpathSync(go)}\0${st.ino}\0${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  if (asked.has(key)) return asked.get(key);
  let answer: string | undefined;
  try {
    const out = execFileSync(go, ['env', 'GOROOT'], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
    if (isAbsolute(out) && isGoRoot(out)) answer = out;
  } catch {
    // not a go we can ask: no GOROOT export, as when no go is on PATH
  }
  asked.set(key, answer);
  return answer;
}

/** GOROOT of the `go` on PATH, or undefined when there is none we can tell. */
export function gorootFromPath(env: NodeJS.ProcessEnv): string | undefined {
  const go = goOnPath(env.PATH);
  if (!go) return undefined;
  try {
    const root = dirname(dirname(realpathSync(go)));
    if (isGoRoot(root)) return root;
  } catch {
    return undefined;
  }
  return askGo(go, env);
}

export function goPaths(env: NodeJS.ProcessEnv): GoPaths {
  const file = goEnvFile(env);
  const get = (k: string) => env[k] || file.get(k) || undefined;
  const goroot = get('GOROOT') || gorootFromPath(env);
  const home = env.HOME || homedir();
  const gopathVar = get('GOPATH');
  const gopath = gopathVar ? gopathVar.split(delimiter).filter((p) => p.startsWith('/')) : [join(home, 'go')];
  const gomodcache = get('GOMODCACHE') || (gopath[0] ? join(gopath[0], 'pkg', 'mod') : undefined);
  return { goroot, gomodcache, gopath };
}
