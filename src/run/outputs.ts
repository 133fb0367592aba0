/**
 * The run-private scratch directory for outputs (src/gotest/output-flags.ts):
 * created before the run inside the test binary's directory (the one writable
 * export), emptied after it into the places the original flags named.
 *
 * The remote could write into scratch during the run, so nothing found there is
 * trusted: the directory must still be the one we made (device and inode, opened
 * without following a link), only the expected names are looked at, each must be a
 * regular file (lstat, then opened with O_NOFOLLOW and checked again), and its
 * bytes are copied into a file created as the test binary would create it
 * (os.Create: truncate, mode 0666 minus umask), so that no mode bit or link the
 * remote chose survives. Nothing else is ever created.
 */
import {
  closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, readdirSync, rmSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { GocpuError } from '../errors.js';
import { isCoverFileName, type OutputMove } from '../gotest/output-flags.js';
import type { PlannedOutputs } from './plan.js';
import { lexists } from '../util/lexists.js';
import { at as atDir, FD_PATHS, self as selfDir } from '../sftp/resolve/fd-path.js';

export interface Scratch {
  dir: string;
  dev: number;
  ino: number;
  moves: OutputMove[];
}

/** Creates scratch (and the cover directories in it) before the remote can see it. */
export function prepareOutputs(o: PlannedOutputs): Scratch {
  try {
    mkdirSync(o.scratch, { mode: 0o700 });
    for (const m of o.moves) if (m.kind === 'cover-dir') mkdirSync(join(o.scratch, m.name), { mode: 0o700 });
  } catch (e) {
    throw new GocpuError('OUTPUT_SCRATCH', `cannot create ${o.scratch} for the test's outputs: ${(e as Error).message}`, {
      hint: "the test binary's directory must be writable; profiles are written there and moved into place after the run",
      cause: e,
    });
  }
  const st = lstatSync(o.scratch);
  return { dir: o.scratch, dev: st.dev, ino: st.ino, moves: o.moves };
}

/**
 * A directory opened without following a link; NAME inside it is `at(NAME)`. On Linux
 * that is /proc/self/fd/N/NAME, which acts like the *at calls (NOTES.md). Without
 * /proc/self/fd (macOS: src/sftp/resolve/fd-path.ts) it is the directory's path, checked
 * to still lead to the directory we opened right before each use: a remote that swaps
 * it for a link between that check and the call can still redirect the call (README,
 * "Local systems").
 */
export class OpenDir {
  readonly fd: number;
  private readonly path: string;
  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  }
  at(name: string): string {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new Error(`refusing the name ${JSON.stringify(name)}`);
    }
    this.stillHere();
    return atDir({ fd: this.fd, local: this.path }, name);
  }
  self(): string {
    this.stillHere();
    return selfDir({ fd: this.fd, local: this.path });
  }
  private stillHere(): void {
    if (FD_PATHS) return;
    const now = lstatSync(this.path);
    const was = fstatSync(this.fd);
    if (!now.isDirectory() || now.dev !== was.dev || now.ino !== was.ino) throw new Error(`${this.path} was replaced during the run`);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Copies src (a regular file, never through a link) over dest, as os.Create would write it. */
function copyOut(src: string, dest: string): void {
  const st = lstatSync(src);
  if (!st.isFile()) throw new Error(`${src} is not a regular file; left alone`);
  const input = openSync(src, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!fstatSync(input).isFile()) throw new Error(`${src} is not a regular file; left alone`);
    const output = openSync(dest, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o666);
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = readSync(input, buf, 0, buf.length, null);
        if (n === 0) break;
        for (let off = 0; off < n;) off += writeSync(output, buf, off, n - off);
      }
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
}

function moveOne(dir: OpenDir, m: OutputMove, problems: string[]): void {
  const src = dir.at(m.name);
  if (m.kind === 'file') {
    if (!lexists(src)) return; // the test wrote no such output (it failed early, or never got there)
    copyOut(src, m.dest);
    return;
  }
  const sub = new OpenDir(src);
  try {
    for (const name of readdirSync(sub.self())) {
      if (!isCoverFileName(name)) {
        problems.push(`${m.name}/${name}: not a coverage file; left alone`);
        continue;
      }
      try {
        copyOut(sub.at(name), join(m.dest, name));
      } catch (e) {
        problems.push(`${join(m.dest, name)}: ${(e as Error).message}`);
      }
    }
  } finally {
    sub.close();
  }
}


/**
 * Moves every expected output into place and removes scratch. Runs after the test,
 * whatever its end; throws one error listing what could not be moved (the cleanup
 * turns it into a warning).
 */
export function collectOutputs(s: Scratch): void {
  const problems: string[] = [];
  try {
    const dir = openScratch(s);
    try {
      for (const m of s.moves) {
        try {
          moveOne(dir, m, problems);
        } catch (e) {
          problems.push(`${m.dest}: ${(e as Error).message}`);
        }
      }
    } finally {
      dir.close();
    }
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    removeScratch(s, problems);
  }
  if (problems.length > 0) throw new Error(`test outputs not moved into place: ${problems.join('; ')}`);
}

function openScratch(s: Scratch): OpenDir {
  const dir = new OpenDir(s.dir);
  const st = fstatSync(dir.fd);
  if (st.dev !== s.dev || st.ino !== s.ino) {
    dir.close();
    throw new Error(`${s.dir} was replaced during the run`);
  }
  return dir;
}

function removeScratch(s: Scratch, problems: string[]): void {
  try {
    // Never through a link: if scratch itself was replaced by one, only the link goes.
    const st = lstatSync(s.dir);
    if (st.isDirectory()) rmSync(s.dir, { recursive: true, force: true });
    else rmSync(s.dir, { force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`removing ${s.dir}: ${(e as Error).message}`);
  }
}
