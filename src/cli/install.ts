/**
 * `gocpu install [DIR]` / `gocpu uninstall [DIR]`: the go_linux_<arch>_exec wrappers
 * go looks for on PATH. Each is a small sh script, not a link: go may run it with a
 * PATH of its own, so it names node (the node running install) and the launcher by
 * absolute path, and passes its own name in GOCPU_ARGV0 (bin/gocpu picks the target
 * from it; POSIX sh has no `exec -a`). A marker line says gocpu wrote the file, so
 * uninstall removes exactly those and install replaces only those (--force for others).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINUX_GOARCHES } from '../config/target.js';
import { GocpuError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';

/** The second line of every file gocpu install writes; what uninstall looks for. */
export const WRAPPER_MARKER = '# gocpu-install-wrapper v1: written by `gocpu install`; `gocpu uninstall` removes it';

export function wrapperNames(): string[] {
  return LINUX_GOARCHES.map((a) => `go_linux_${a}_exec`);
}

/** The repository's (or npm package's) launcher, links resolved. */
export function launcherPath(): string {
  const p = fileURLToPath(new URL('../../../bin/gocpu', import.meta.url));
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export function wrapperScript(name: string, launcher: string, node: string): string {
  return [
    '#!/bin/sh',
    WRAPPER_MARKER,
    '# node and the launcher by absolute path: go may run this with a PATH of its own.',
    `GOCPU_NODE=${shellQuote(node)}`,
    `GOCPU_ARGV0=${shellQuote(name)}`,
    'export GOCPU_NODE GOCPU_ARGV0',
    `[ -x "$GOCPU_NODE" ] || { echo "gocpu: local: $GOCPU_NODE is gone (run gocpu install again)" >&2; exit 125; }`,
    `launcher=${shellQuote(launcher)}`,
    `[ -x "$launcher" ] || { echo "gocpu: local: $launcher is gone (run gocpu install again)" >&2; exit 125; }`,
    'exec "$launcher" "$@"',
    '',
  ].join('\n');
}

/** A regular file (never through a link) whose second line is the marker. */
export function isOurWrapper(path: string): boolean {
  let fd: number | undefined;
  try {
    if (!lstatSync(path).isFile()) return false;
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return false;
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n).split('\n')[1] === WRAPPER_MARKER;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function sameDir(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

export function isOnPath(dir: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((p) => isAbsolute(p) && sameDir(p, dir));
}

export interface GoDirs { gobin?: string; gopath?: string }

/** `go env GOBIN GOPATH`; nothing when there is no go to ask. */
export function askGoDirs(env: NodeJS.ProcessEnv): GoDirs {
  try {
    const [gobin, gopath] = execFileSync('go', ['env', 'GOBIN', 'GOPATH'], {
      env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000,
    }).split('\n');
    return { gobin: gobin || undefined, gopath: gopath || undefined };
  } catch {
    return {};
  }
}

/** The first of GOBIN, GOPATH[0]/bin, ~/.local/bin that is on PATH; else ~/.local/bin. */
export function defaultInstallDir(env: NodeJS.ProcessEnv, go: GoDirs): string {
  const local = join(env.HOME || homedir(), '.local', 'bin');
  const first = go.gopath?.split(delimiter).find((p) => isAbsolute(p));
  const candidates = [go.gobin, first && join(first, 'bin'), local].filter((d): d is string => !!d && isAbsolute(d));
  return candidates.find((d) => isOnPath(d, env)) ?? local;
}

export interface InstallOptions {
  dir?: string;
  force?: boolean;
  env: NodeJS.ProcessEnv;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Absolute path of node; default process.execPath. */
  node?: string;
  /** The launcher the wrappers exec; default this package's bin/gocpu. */
  launcher?: string;
  /** For tests: what `go env GOBIN GOPATH` says. */
  goDirs?: GoDirs;
}

function targetDir(o: InstallOptions): string {
  if (o.dir !== undefined) return resolve(o.dir);
  return defaultInstallDir(o.env, o.goDirs ?? askGoDirs(o.env));
}

function warnOffPath(dir: string, o: InstallOptions): void {
  if (!isOnPath(dir, o.env)) {
    o.err.write(`gocpu: local: warning: ${dir} is not on PATH; go finds go_linux_ARCH_exec only on PATH (export PATH=${shellQuote(dir)}:$PATH)\n`);
  }
}

export function install(o: InstallOptions): number {
  const dir = targetDir(o);
  const node = o.node ?? process.execPath;
  const launcher = o.launcher ?? launcherPath();
  try {
    accessSync(launcher, constants.X_OK);
  } catch (e) {
    throw new GocpuError('INSTALL_LAUNCHER', `the launcher ${launcher} is not an executable file`, { cause: e, hint: 'reinstall gocpu' });
  }
  const names = wrapperNames();
  const foreign = names.filter((n) => exists(join(dir, n)) && !isOurWrapper(join(dir, n)));
  if (foreign.length > 0 && !o.force) {
    throw new GocpuError('INSTALL_FOREIGN', `${dir} already has ${foreign.join(', ')}, not written by gocpu install; nothing written`, {
      hint: `remove them, or replace them with gocpu install --force ${shellQuote(dir)}`,
    });
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new GocpuError('INSTALL_DIR', `cannot create ${dir}: ${(e as Error).message}`, { cause: e });
  }
  for (const name of names) {
    const dest = join(dir, name);
    const tmp = join(dir, `.${name}.gocpu-${process.pid}`);
    try {
      rmSync(tmp, { force: true }); // left by a crashed install with our pid
      writeFileSync(tmp, wrapperScript(name, launcher, node), { mode: 0o755, flag: 'wx' });
      renameSync(tmp, dest); // replaces a link itself, never its target
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new GocpuError('INSTALL_WRITE', `cannot write ${dest}: ${(e as Error).message}`, { cause: e });
    }
    o.out.write(`wrote ${dest}\n`);
  }
  o.out.write(`each runs ${launcher} with node ${node}\n`);
  warnOffPath(dir, o);
  return 0;
}

export function uninstall(o: InstallOptions): number {
  const dir = targetDir(o);
  let removed = 0;
  for (const name of wrapperNames()) {
    const p = join(dir, name);
    if (!exists(p)) continue;
    if (!isOurWrapper(p)) {
      o.err.write(`gocpu: local: warning: left ${p} alone: not written by gocpu install\n`);
      continue;
    }
    try {
      unlinkSync(p);
    } catch (e) {
      throw new GocpuError('UNINSTALL', `cannot remove ${p}: ${(e as Error).message}`, { cause: e });
    }
    o.out.write(`removed ${p}\n`);
    removed++;
  }
  if (removed === 0) o.out.write(`nothing of gocpu install's in ${dir}\n`);
  return 0;
}
