/**
 * What the door's caller (door-caller.ts) learns of a wrapper from /proc, in
 * place of what the node wrapper would send: its arguments, its environment as go
 * gave it (the launcher's exec-time one), its directory, whether it has a
 * terminal, and what its stdin, stdout and stderr are. Linux only, like the door.
 * Readable for processes of our own user only (ptrace's read check), which is what
 * a wrapper of ours is.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';
import { statFields } from '../util/proc-start.js';

/** Whether pid is still the process that started at ticks: only "no such process" (or another in its place) says no, never a failed read (EMFILE). */
export function stillRunning(pid: number, ticks: number): boolean {
  let f: string[];
  try {
    f = statFields(pid);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  return Number(f[19]) === ticks && f[0] !== 'Z' && f[0] !== 'X';
}

function nulSeparated(file: string): Buffer[] {
  const b = readFileSync(file);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; ) {
    let j = b.indexOf(0, i);
    if (j < 0) j = b.length;
    out.push(b.subarray(i, j));
    i = j + 1;
  }
  return out;
}

export interface ProcFacts {
  argv: Buffer[];
  env: Buffer[];
  cwd: string;
  /** It has a controlling terminal (to ask a passphrase on). */
  tty: boolean;
  ticks: number;
}

/** Throws when the process is gone or not ours to read. */
export function procFacts(pid: number): ProcFacts {
  const f = statFields(pid);
  const cwd = readlinkSync(`/proc/${pid}/cwd`);
  if (cwd.endsWith(' (deleted)')) throw new Error('its directory was removed');
  return {
    argv: nulSeparated(`/proc/${pid}/cmdline`),
    env: nulSeparated(`/proc/${pid}/environ`).filter((b) => b.length > 0),
    cwd,
    tty: Number(f[4]) !== 0,
    ticks: Number(f[19]),
  };
}

/**
 * One of the wrapper's standard descriptors, opened anew by its /proc link: a
 * pipe (go's, usually), /dev/null, a terminal or a file opened for appending. A
 * file without O_APPEND would be written from offset 0 by our open, not from the
 * wrapper's, and a socket cannot be opened by its link: those are undefined (the
 * call then goes the node wrapper's way, which writes through the descriptor itself).
 * The identity (dev, ino) tells two links to one pipe apart from two pipes.
 */
export interface OpenedFd {
  fd: number;
  kind: 'pipe' | 'null' | 'tty' | 'file';
  id: string;
}

let devNull: number | undefined;

/**
 * Opens the wrapper's descriptor n for writing (its stdout, its stderr), or, with
 * read, for reading (its stdin): bin/gocpu keeps copies of them on fds 3, 7 and 8
 * for us (door-caller.ts says why). Throws when it is gone.
 */
export function openFdOf(pid: number, n: number, read = false): OpenedFd | undefined {
  const link = `/proc/${pid}/fd/${n}`;
  const st = statSync(link);
  const id = `${st.dev}:${st.ino}`;
  const access = read ? constants.O_RDONLY : constants.O_WRONLY;
  if (st.isFIFO()) return { fd: openSync(link, access | constants.O_NONBLOCK), kind: 'pipe', id };
  if (st.isCharacterDevice()) {
    devNull ??= statSync('/dev/null').rdev;
    // No O_NOCTTY and the agent (a session of its own, setsid) would take the terminal as its own.
    const fd = openSync(link, access | constants.O_NOCTTY);
    if (st.rdev === devNull) return { fd, kind: 'null', id };
    if (!read && isatty(fd)) return { fd, kind: 'tty', id };
    closeSync(fd);
    return undefined;
  }
  if (st.isFile() && !read) {
    const flags = parseInt(/^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${n}`, 'latin1'))?.[1] ?? '0', 8);
    if ((flags & constants.O_APPEND) === 0) return undefined;
    const fd = openSync(link, access | constants.O_APPEND);
    // The same file still (not replaced between the stat and the open).
    const now = fstatSync(fd);
    if (`${now.dev}:${now.ino}` !== id) {
      closeSync(fd);
      return undefined;
    }
    return { fd, kind: 'file', id };
  }
  return undefined;
}

/** Whether the door can give the wrapper's stdin (fd n) to the test exactly: a pipe, or /dev/null. Not a file: we would read it from our own offset. */
export function stdinServable(pid: number, n: number): boolean {
  const st = statSync(`/proc/${pid}/fd/${n}`);
  devNull ??= statSync('/dev/null').rdev;
  return st.isFIFO() || (st.isCharacterDevice() && st.rdev === devNull);
}
