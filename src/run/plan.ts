/**
 * prepare: everything one run needs, decided locally before any connection. Pure
 * apart from a few stats of the local filesystem.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { sameOutput } from '../util/same-output.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isAtOrBelow } from '../sftp/exports.js';
import type { GocpuConfig } from '../config/config-file.js';
import { filterEnv } from '../config/env-filter.js';
import { remoteRootFor } from '../config/remote-root.js';
import { type Target, targetFromElf } from '../config/target.js';
import { GocpuError } from '../errors.js';
import { goPaths } from '../gotest/go-paths.js';
import { gorootLinkTargets } from '../gotest/goroot-links.js';
import { localModuleDirs } from '../gotest/local-modules.js';
import { sourceRoot } from '../gotest/module-root.js';
import { type OutputMove, redirectCoverDir, redirectOutputs } from '../gotest/output-flags.js';
import { testLogFile } from '../gotest/test-flags.js';
import { sshfsChoice } from './sshfs-choice.js';
import { type CopyRoot, copyRootsFor } from '../copy/ship-list.js';
import { type HostMode, modeSetting } from '../config/mode.js';

export interface PlannedExport {
  path: string;
  writable: boolean;
  /** Where it came from, for the message when it is refused. */
  from?: string;
}

/** Outputs redirected into a scratch directory and moved into place after the test (src/run/outputs.ts). */
export interface PlannedOutputs {
  /** Inside the test binary's directory; created locally before the run. */
  scratch: string;
  moves: OutputMove[];
}

export interface RunPlan {
  target?: Target;
  /** What the program itself was built for (its ELF header), when it is a local file. */
  binaryTarget?: Target;
  host: string;
  cwd: string;
  /** argv for the remote: program first, as bytes. */
  argv: Buffer[];
  /** What the SFTP server serves (the most specific entry decides writability). */
  exports: { path: string; writable: boolean }[];
  /** What the view mounts: exported paths with none below another. */
  viewExports: string[];
  env: [Buffer, Buffer][];
  merge: boolean;
  sshfs: string;
  sshfsOptions: string;
  nonce: string;
  outputs?: PlannedOutputs;
  /** A directory on the remote that the view shows in place of its `/` (src/config/remote-root.ts). */
  remoteRoot?: string;
  /** The test binary's absolute local path (also its path in the view), when it is a local file. */
  binary?: string;
  /** go's test log that gocpu asked for (argv[1] names it): where go reads it (src/run/test-log.ts). */
  testLog?: string;
  /** What copy mode ships instead of mounting (src/copy/ship-list.ts). */
  copyRoots: CopyRoot[];
  /** mount, copy or auto (src/config/mode.ts); the run settles auto (src/run/mode.ts). */
  mode: HostMode;
  /**
   * Run as the remote user's uid and gid rather than as root of the view's namespace:
   * the local user is not root, so a local run would not be either (issue 10).
   */
  asUser?: boolean;
}

export interface PlanInput {
  target?: Target;
  host: string;
  /** Program and arguments, raw bytes as we were given them. */
  command: Buffer[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  rawEnv: Buffer[];
  config: GocpuConfig;
  /** `gocpu -host=H cmd`: any command, working tree writable (the seed's shape); no command is the login shell. */
  generic?: boolean;
  /** stdout and stderr are one pipe; default: ours are (the agent passes its wrapper's). */
  merge?: boolean;
  /** `-ro`: the working tree stays read-only in generic mode too. */
  readOnly?: boolean;
  /** `-export PATH`, `-export-rw PATH`: relative to cwd. */
  extraExports?: { path: string; writable: boolean }[];
}


/**
 * The view mounts each export at its own path over the remote's tree: an export at
 * or above one of these would hide the remote's own programs, libraries or kernel
 * interfaces (issue 6: Debian's /usr/bin/go once made GOROOT /usr, and every
 * program in the view then failed with "Exec format error" on a real arm64 host).
 * /usr/share holds the remote's zoneinfo, certificates and terminfo; Debian's GOROOT
 * links into it (issue 10), and only the links' own targets may be exported.
 */
export const SYSTEM_DIRS = [
  '/', '/usr', '/usr/bin', '/usr/lib', '/usr/share', '/etc', '/lib', '/lib32', '/lib64', '/libx32',
  '/bin', '/sbin', '/proc', '/dev', '/sys', '/run', '/var', '/tmp',
];

const FIX_BY_SOURCE: Record<string, string> = {
  config: 'remove it from "exports" in the gocpu config file; export a directory below it instead',
  cwd: 'run from a directory of your own below it, e.g. mkdir /tmp/x && cd /tmp/x',
  module: 'move the module (its go.mod or go.work) into a directory of its own',
  binary: 'put the test binary in a directory of its own, e.g. go test -c -o /tmp/x/pkg.test',
  goroot: 'set GOROOT to the Go installation itself (go env GOROOT)',
  gomodcache: 'set GOMODCACHE to a directory of its own (go env -w GOMODCACHE=...)',
  output: 'write test outputs into a directory of its own',
};

/** The system directory of the remote that exporting `path` would hide, if any. */
export function hiddenSystemDir(path: string): string | undefined {
  const p = resolve(path);
  return SYSTEM_DIRS.find((d) => isAtOrBelow(d, p));
}

/** Refuses an export that is, or contains, one of the remote's system directories. */
export function checkExport(e: PlannedExport): void {
  const p = resolve(e.path);
  const hidden = hiddenSystemDir(p);
  if (hidden === undefined) return;
  throw new GocpuError('EXPORT_SYSTEM_DIR', `refusing to export ${p}${e.from ? ` (${e.from})` : ''}: it would hide the remote's own ${hidden}`, {
    hint: FIX_BY_SOURCE[(e.from ?? '').split(' ')[0]] ?? 'export a directory below it',
  });
}

/** The run header carries paths one per line: a newline cannot travel (src/remote/header.ts). */
export function checkCarriable(path: string, what: string): void {
  if (!path.includes('\n')) return;
  throw new GocpuError('PATH_NEWLINE', `${what} ${JSON.stringify(path)} contains a newline, which gocpu cannot carry to the remote`, {
    hint: 'rename the directory, or run from a path without a newline',
  });
}

/** Drops duplicates (writable wins) and returns the list plus its maximal paths. */
export function normalizeExports(list: PlannedExport[]): { exports: { path: string; writable: boolean }[]; viewExports: string[] } {
  const byPath = new Map<string, boolean>();
  for (const e of list) {
    checkExport(e);
    checkCarriable(e.path, `exported path${e.from ? ` (${e.from})` : ''}`);
    const p = resolve(e.path);
    byPath.set(p, (byPath.get(p) ?? false) || e.writable);
  }
  const exports = [...byPath].map(([path, writable]) => ({ path, writable })).sort((a, b) => (a.path < b.path ? -1 : 1));
  const viewExports: string[] = [];
  for (const e of exports) {
    if (!viewExports.some((v) => isAtOrBelow(e.path, v))) viewExports.push(e.path);
  }
  return { exports, viewExports };
}

export { sameOutput } from '../util/same-output.js';

export function planRun(input: PlanInput): RunPlan {
  const { cwd, env, config } = input;
  if (input.command.length === 0 && !input.generic) {
    throw new GocpuError('USAGE', 'no program to run', { hint: 'usage: go_linux_ARCH_exec PROGRAM [ARGS...]' });
  }
  checkCarriable(cwd, 'the working directory');
  const program = input.command[0]?.toString() ?? '';
  const args = input.command.slice(1).map((a) => a.toString());
  const localProgram = program.includes('/');
  const list: PlannedExport[] = [];
  let argv = input.command;
  let binaryTarget: Target | undefined;
  let outputs: PlannedOutputs | undefined;
  let coverDir: ((value: string) => { value: string; move?: OutputMove }) | undefined;
  let binary: string | undefined;
  let binDir: string | undefined;
  let outputDirs: string[] = [];
  let testLog: string | undefined;

  if (localProgram) {
    const abs = isAbsolute(program) ? program : resolve(cwd, program);
    if (!existsSync(abs)) {
      throw new GocpuError('NO_PROGRAM', `${program}: no such file`, { hint: 'check the path of the test binary' });
    }
    // The binary's directory is go's $WORK/bNNN: the test log, go's coverprofile and
    // gocoverdir land there. It is the one writable export of a test run; every other
    // output goes through scratch (src/gotest/output-flags.ts).
    binary = resolve(abs);
    const dir = resolve(dirname(abs));
    binDir = dir;
    list.push({ path: dir, writable: true, from: 'binary' });
    binaryTarget = targetFromElf(abs);
    const scratch = join(dir, `gocpu-out.${randomBytes(6).toString('hex')}`);
    const redirected = redirectOutputs(args, { cwd, binDir: dir, scratch });
    for (const dir of redirected.writable) list.push({ path: dir, writable: true, from: 'output' });
    outputDirs = redirected.writable;
    argv = [input.command[0], ...input.command.slice(1).map((a, i) => (redirected.changed.includes(i) ? Buffer.from(redirected.args[i]) : a))];
    const log = testLogFile(args, abs);
    if (log) {
      argv = [argv[0], Buffer.from(log.flag), ...argv.slice(1)];
      testLog = log.path;
    }
    outputs = { scratch, moves: redirected.moves };
    coverDir = (value) => redirectCoverDir(value, { cwd, binDir: dir, scratch });
  }

  const go = goPaths(env);
  // GOROOT and where its links lead (Debian: src -> /usr/share/go-1.19/src), read-only
  // like the installation. A link to a system directory stays unexported (and
  // unreadable remotely) rather than failing every run.
  const gorootDirs: string[] = [];
  if (go.goroot && existsSync(go.goroot)) {
    list.push({ path: go.goroot, writable: false, from: 'goroot' });
    gorootDirs.push(resolve(go.goroot));
    for (const target of gorootLinkTargets(go.goroot)) {
      if (hiddenSystemDir(target) !== undefined) continue;
      list.push({ path: target, writable: false, from: 'goroot link' });
      gorootDirs.push(target);
    }
  }
  const src = sourceRoot(cwd, go.gopath, env);
  // A package in GOROOT (`go test strings`: go runs us in /usr/share/go-1.19/src/strings,
  // below std's go.mod) is part of the installation: writableModule does not reach it.
  const inGoroot = gorootDirs.some((d) => isAtOrBelow(src.dir, d));
  const treeWritable = input.generic === true && input.readOnly !== true;
  const srcWritable = treeWritable || (config.writableModule === true && !inGoroot && input.readOnly !== true);
  list.push({ path: src.dir, writable: srcWritable, from: src.kind === 'none' ? 'cwd' : 'module' });
  if (!isAtOrBelow(cwd, src.dir)) list.push({ path: cwd, writable: treeWritable, from: 'cwd' });
  // go.work uses and replace targets outside that root: code the binary was built from,
  // read-only like any dependency (src/gotest/local-modules.ts).
  const localModules = localModuleDirs(cwd, env);
  for (const dir of localModules) {
    if (!isAtOrBelow(dir, src.dir)) list.push({ path: dir, writable: false, from: 'module' });
  }
  // What the user named (-export, the config's "exports"): exported, and copied whole in copy mode.
  const named: PlannedExport[] = [
    ...(input.extraExports ?? []).map((e) => ({ path: resolve(cwd, e.path), writable: e.writable, from: `-export${e.writable ? '-rw' : ''}` })),
    ...(config.exports ?? []).map((e) => ({ path: e.path, writable: e.writable === true, from: 'config exports' })),
  ];
  list.push(...named);
  if (go.gomodcache && existsSync(go.gomodcache)) list.push({ path: go.gomodcache, writable: false, from: 'gomodcache' });
  const { exports, viewExports } = normalizeExports(list);

  const forwarded = filterEnv(input.rawEnv, config.env);
  if (coverDir && outputs) {
    for (const entry of forwarded) {
      if (entry[0].toString('latin1') !== 'GOCOVERDIR' || entry[1].length === 0) continue;
      const r = coverDir(entry[1].toString());
      if (!r.move) continue;
      entry[1] = Buffer.from(r.value);
      outputs.moves.push(r.move);
    }
  }
  return {
    target: input.target,
    binaryTarget,
    host: input.host,
    cwd,
    argv,
    exports,
    viewExports,
    env: forwarded,
    merge: input.merge ?? sameOutput(),
    ...sshfsChoice(env, config),
    nonce: randomBytes(12).toString('hex'),
    outputs: outputs && outputs.moves.length > 0 ? outputs : undefined,
    remoteRoot: remoteRootFor(input.host, env, config),
    binary,
    testLog,
    mode: modeSetting(input.host, env, config),
    copyRoots: copyRootsFor({
      binDir, outputDirs, cwd, src, srcWritable, treeWritable,
      trees: [...localModules.map((path) => ({ path, writable: false })), ...named.map(({ path, writable }) => ({ path, writable }))],
    }),
    asUser: (process.getuid?.() ?? 0) !== 0,
  };
}
