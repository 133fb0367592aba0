/**
 * Writable means the output, not the tree (issue 7). A test binary writes only into
 * the directory go built it in ($WORK/bNNN: the test log, go's own coverprofile and
 * gocoverdir) and into the paths its output flags name. go passes
 * `-test.outputdir=<the directory go test ran in>` whenever a profile is asked for
 * (go 1.19: `go test -cpuprofile=c.out` gives `-test.outputdir=$PWD -test.cpuprofile=c.out`),
 * which is usually the module root: exporting it read-write would let the remote
 * write anywhere in the developer's source tree. So every output that would land
 * outside the binary's directory is pointed at a run-private scratch directory
 * inside it, and gocpu moves the expected files to where a local run puts them
 * once the test has ended (src/run/outputs.ts).
 */
import { statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { flagUses } from './test-flags.js';

/** Files the testing package writes, relative to -test.outputdir (its toOutputDir). */
const PROFILE_FLAGS = ['cpuprofile', 'memprofile', 'blockprofile', 'mutexprofile', 'trace', 'coverprofile'];
/** Files relative to the working directory. */
const CWD_FILE_FLAGS = ['testlogfile'];
/** Directories of generated files; only these names are ever moved out of them. */
const COVER_DIR_FILES = /^cov(meta|counters)\.[0-9A-Za-z.]+$/;

export interface OutputMove {
  /** Name inside the scratch directory (a flag name, or GOCOVERDIR). */
  name: string;
  /** A single file, or a directory of coverage files. */
  kind: 'file' | 'cover-dir';
  /** Where a local run writes it: the file, or the directory the files go into. */
  dest: string;
}

export interface RedirectedOutputs {
  /** The arguments, with the redirected values rewritten. */
  args: string[];
  /** Indexes of the arguments that changed. */
  changed: number[];
  moves: OutputMove[];
  /** Directories the binary writes in place (the fuzz cache lives in GOCACHE, never in a module). */
  writable: string[];
}

export interface RedirectOptions {
  cwd: string;
  /** The test binary's directory, exported read-write. */
  binDir: string;
  /** The run's scratch directory inside binDir. */
  scratch: string;
  isDir?: (p: string) => boolean;
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}

/** True when NAME's output belongs in scratch: outside binDir, into a directory that exists (else the remote fails as a local run would). */
export function redirects(dest: string, kind: 'file' | 'dir', o: RedirectOptions): boolean {
  const dir = kind === 'file' ? dirname(dest) : dest;
  return !inside(dir, o.binDir) && (o.isDir ?? isDirectory)(dir);
}

export function redirectOutputs(input: readonly string[], o: RedirectOptions): RedirectedOutputs {
  const args = [...input];
  const changed: number[] = [];
  const moves: OutputMove[] = [];
  const writable: string[] = [];
  const uses = flagUses(input);
  const last = new Map(uses.map((u) => [u.name, u.value]));
  const rewrite = (name: string, value: string) => {
    for (const u of uses) {
      if (u.name !== name) continue;
      args[u.valueIndex] = u.prefix + value;
      changed.push(u.valueIndex);
    }
  };

  const outputdir = last.get('outputdir');
  const base = outputdir ? resolve(o.cwd, outputdir) : o.cwd;
  for (const name of [...PROFILE_FLAGS, ...CWD_FILE_FLAGS]) {
    const v = last.get(name);
    if (!v) continue; // unset or empty: the testing package writes nothing
    const dest = isAbsolute(v) ? resolve(v) : resolve(PROFILE_FLAGS.includes(name) ? base : o.cwd, v);
    if (!redirects(dest, 'file', o)) continue;
    rewrite(name, join(o.scratch, name));
    moves.push({ name, kind: 'file', dest });
  }
  // Every profile outside binDir now has an absolute path in scratch; what else the
  // binary might put in outputdir is not expected output and stays in scratch.
  if (outputdir && !inside(base, o.binDir)) rewrite('outputdir', o.scratch);
  const gocoverdir = last.get('gocoverdir');
  if (gocoverdir) {
    const dest = resolve(o.cwd, gocoverdir);
    if (redirects(dest, 'dir', o)) {
      rewrite('gocoverdir', join(o.scratch, 'gocoverdir'));
      moves.push({ name: 'gocoverdir', kind: 'cover-dir', dest });
    }
  }
  const fuzz = last.get('fuzzcachedir');
  if (fuzz) writable.push(resolve(o.cwd, fuzz));
  return { args, changed: [...new Set(changed)].sort((a, b) => a - b), moves, writable };
}

/** GOCOVERDIR from the environment (go 1.20+ coverage of a binary run by hand), redirected likewise. */
export function redirectCoverDir(value: string, o: RedirectOptions): { value: string; move?: OutputMove } {
  const dest = resolve(o.cwd, value);
  if (!redirects(dest, 'dir', o)) return { value };
  return { value: join(o.scratch, 'GOCOVERDIR'), move: { name: 'GOCOVERDIR', kind: 'cover-dir', dest } };
}

/** Whether a name found in a scratch cover directory is one the Go runtime writes. */
export function isCoverFileName(name: string): boolean {
  return COVER_DIR_FILES.test(name);
}
