/**
 * prepare: everything one run needs, decided locally before any connection. Pure
 * apart from a few stats of the local filesystem.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, fstatSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import type { GocpuConfig } from '../config/config-file.js';
import { filterEnv } from '../config/env-filter.js';
import { type Target, targetFromElf } from '../config/target.js';
import { GocpuError } from '../errors.js';
import { goPaths } from '../gotest/go-paths.js';
import { sourceRoot } from '../gotest/module-root.js';
import { testLogFile, writableDirs } from '../gotest/test-flags.js';
import { sshfsChoice } from './sshfs-choice.js';

export interface PlannedExport { path: string; writable: boolean }

export interface RunPlan {
  target?: Target;
  /** What the program itself was built for (its ELF header), when it is a local file. */
  binaryTarget?: Target;
  host: string;
  cwd: string;
  /** argv for the remote: program first, as bytes. */
  argv: Buffer[];
  /** What the SFTP server serves (the most specific entry decides writability). */
  exports: PlannedExport[];
  /** What the view mounts: exported paths with none below another. */
  viewExports: string[];
  env: [Buffer, Buffer][];
  merge: boolean;
  sshfs: string;
  sshfsOptions: string;
  nonce: string;
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
  /** `gocpu -host=H cmd`: any command, working tree writable (the seed's shape). */
  generic?: boolean;
}

function under(path: string, dir: string): boolean {
  return path === dir || dir === '/' || path.startsWith(dir + sep);
}

/** Drops duplicates (writable wins) and returns the list plus its maximal paths. */
export function normalizeExports(list: PlannedExport[]): { exports: PlannedExport[]; viewExports: string[] } {
  const byPath = new Map<string, boolean>();
  for (const e of list) {
    const p = resolve(e.path);
    if (p === '/') throw new GocpuError('EXPORT_ROOT', 'refusing to export / (the remote needs its own /dev, /proc, /usr)', {
      hint: 'export narrower directories',
    });
    byPath.set(p, (byPath.get(p) ?? false) || e.writable);
  }
  const exports = [...byPath].map(([path, writable]) => ({ path, writable })).sort((a, b) => (a.path < b.path ? -1 : 1));
  const viewExports: string[] = [];
  for (const e of exports) {
    if (!viewExports.some((v) => under(e.path, v))) viewExports.push(e.path);
  }
  return { exports, viewExports };
}

/** go gives its wrapper one pipe for stdout and stderr; so do we to the remote then. */
export function sameOutput(): boolean {
  try {
    const a = fstatSync(1);
    const b = fstatSync(2);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

export function planRun(input: PlanInput): RunPlan {
  const { cwd, env, config } = input;
  if (input.command.length === 0) {
    throw new GocpuError('USAGE', 'no program to run', { hint: 'usage: go_linux_ARCH_exec PROGRAM [ARGS...]' });
  }
  const program = input.command[0].toString();
  const args = input.command.slice(1).map((a) => a.toString());
  const localProgram = program.includes('/');
  const list: PlannedExport[] = [];
  let argv = input.command;
  let binaryTarget: Target | undefined;

  if (localProgram) {
    const abs = isAbsolute(program) ? program : resolve(cwd, program);
    if (!existsSync(abs)) {
      throw new GocpuError('NO_PROGRAM', `${program}: no such file`, { hint: 'check the path of the test binary' });
    }
    // The binary's directory is go's $WORK/bNNN: coverage, profiles and the test log land there.
    list.push({ path: dirname(abs), writable: true });
    binaryTarget = targetFromElf(abs);
    const log = testLogFile(args, abs);
    if (log) argv = [input.command[0], Buffer.from(log), ...input.command.slice(1)];
  }
  for (const dir of writableDirs(args, cwd)) list.push({ path: dir, writable: true });
  if (env.GOCOVERDIR && isAbsolute(env.GOCOVERDIR)) list.push({ path: env.GOCOVERDIR, writable: true });

  const go = goPaths(env);
  const src = sourceRoot(cwd, go.gopath, env);
  list.push({ path: src.dir, writable: input.generic === true || config.writableModule === true });
  if (!under(cwd, src.dir)) list.push({ path: cwd, writable: input.generic === true });
  if (go.goroot && existsSync(go.goroot)) list.push({ path: go.goroot, writable: false });
  if (go.gomodcache && existsSync(go.gomodcache)) list.push({ path: go.gomodcache, writable: false });
  for (const e of config.exports ?? []) list.push({ path: e.path, writable: e.writable === true });

  const { exports, viewExports } = normalizeExports(list);
  return {
    target: input.target,
    binaryTarget,
    host: input.host,
    cwd,
    argv,
    exports,
    viewExports,
    env: filterEnv(input.rawEnv, config.env),
    merge: sameOutput(),
    ...sshfsChoice(env, config),
    nonce: randomBytes(12).toString('hex'),
  };
}
