/**
 * The one place that knows how to name an entry *inside an already-open directory*. Node has
 * no openat/renameat/linkat; on Linux `/proc/self/fd/N/NAME` resolves NAME inside the
 * directory open as descriptor N without walking the directory's old path again (see
 * NOTES.md, "No openat in Node's fs"), so every fs call on such a path acts like its *at
 * form. Descriptors used only for naming are O_PATH: no read permission needed, no atime.
 *
 * Without /proc/self/fd (macOS, a Linux without /proc) this falls back to the directory's
 * local path, which the kernel walks again on every call: a remote that swaps a directory of
 * a writable export for a symlink between two calls can then redirect the second one. The
 * README's security model says what that leaves open.
 */
import * as fs from 'node:fs';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
/** Linux's O_PATH (the same on x86 and arm64); Node's fs.constants does not export it. */
const LINUX_O_PATH = 0o10000000;

/** GOCPU_SFTP_NO_FD_PATHS=1 forces the weaker fallback on Linux too: for testing it only. */
function probe(): boolean {
  if (process.platform !== 'linux' || process.env.GOCPU_SFTP_NO_FD_PATHS === '1') return false;
  let fd: number | undefined;
  try {
    fd = fs.openSync('/', LINUX_O_PATH | O_DIRECTORY);
    return fs.statSync(`/proc/self/fd/${fd}/.`).ino === fs.statSync('/').ino;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** True when entries are named through /proc/self/fd (by construction), false on the path fallback. */
export const FD_PATHS = probe();

/** Flags of a descriptor that only names a directory: never follows the last component. */
export const DIR_FLAGS = (FD_PATHS ? LINUX_O_PATH : O_RDONLY) | O_DIRECTORY | O_NOFOLLOW;
/** Flags of a descriptor that only pins an entry for a change of attributes (Linux only). */
export const PIN_FLAGS = LINUX_O_PATH | O_NOFOLLOW;

/** An open directory: its descriptor, and the local path it was reached by (fallback, logs). */
export interface DirRef {
  fd: number;
  local: string;
}

/** NAME inside the open directory `d`. NAME is one component: no `/`, never `.` or `..`. */
export function at(d: DirRef, name: string): string {
  if (FD_PATHS) return `/proc/self/fd/${d.fd}/${name}`;
  return d.local === '/' ? `/${name}` : `${d.local}/${name}`;
}

/** The open directory (or pinned entry) itself, for calls that take a path (opendir, statfs, chmod). */
export function self(d: DirRef): string {
  return FD_PATHS ? `/proc/self/fd/${d.fd}` : d.local;
}

/** Opens another descriptor on the same directory (the magic link is followed on purpose). */
export function reopenFlags(): number {
  return (FD_PATHS ? LINUX_O_PATH : O_RDONLY) | O_DIRECTORY;
}
