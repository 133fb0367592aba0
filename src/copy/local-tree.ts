/**
 * The local side of what copy mode ships: every directory, file and symlink below
 * the copy roots (ship-list.ts), found with lstat, never following a link (a link
 * stays a link, as the mount shows it: a link to ~/.ssh is never shipped as its
 * target). Version control directories stay home: tests do not read them, and a
 * repository's history would be most of every tree.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isAtOrBelow } from '../sftp/exports.js';
import type { CopyRoot } from './ship-list.js';

export interface LocalEntry {
  path: string;
  type: 'dir' | 'file' | 'symlink';
  mode: number;
  mtime: Date;
  size: number;
  linkname?: string;
  /** In a writable root (most specific root decides): sent as it is, and collected after. */
  writable: boolean;
  /** Shipped empty: the test binary, which the binary cache puts in its place. */
  placeholder?: boolean;
}

const SKIP_DIRS = new Set(['.git', '.hg', '.svn', '.bzr']);

/** The entry as lstat finds it; whether it is writable is listTree's to say (writableAt). */
async function entryOf(path: string): Promise<Omit<LocalEntry, 'writable'> | undefined> {
  let st;
  try {
    st = await fsp.lstat(path);
  } catch {
    return undefined; // gone meanwhile, or unreadable: as missing
  }
  const base = { path, mode: st.mode & 0o7777, mtime: st.mtime, size: 0 };
  if (st.isDirectory()) return { ...base, type: 'dir' as const };
  if (st.isFile()) return { ...base, type: 'file' as const, size: st.size };
  if (st.isSymbolicLink()) return { ...base, type: 'symlink' as const, linkname: await fsp.readlink(path) };
  return undefined; // fifos, sockets, devices: nothing a copy can carry
}

export async function listTree(roots: readonly CopyRoot[], binary?: string): Promise<LocalEntry[]> {
  const byPath = new Map<string, LocalEntry>();
  // The most specific root says whether a path is writable; the same root listed twice
  // is writable if either listing says so, as in mount mode's export table.
  const writableAt = (p: string): boolean => {
    let len = -1;
    let writable = false;
    for (const r of roots) {
      if (!isAtOrBelow(p, r.path) || r.path.length < len) continue;
      writable = (r.path.length === len && writable) || r.writable;
      len = r.path.length;
    }
    return writable;
  };
  const add = (e: Omit<LocalEntry, 'writable'> | undefined) => {
    if (e && !byPath.has(e.path)) byPath.set(e.path, { ...e, writable: writableAt(e.path) });
  };
  const walk = async (dir: string, files: boolean): Promise<void> => {
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const p = join(dir, name);
      const e = await entryOf(p);
      if (!e) continue;
      if (e.type === 'dir') {
        if (SKIP_DIRS.has(name)) continue;
        add(e);
        await walk(p, files);
      } else if (files) {
        add(e);
      }
    }
  };
  for (const r of roots) {
    const top = await entryOf(r.path);
    if (!top || top.type !== 'dir') continue;
    add(top);
    if (r.what === 'files') {
      for (const f of r.files ?? []) add(await entryOf(join(r.path, f)));
    } else {
      await walk(r.path, r.what === 'tree');
    }
  }
  if (binary) {
    const b = byPath.get(binary) ?? (await entryOf(binary));
    if (b && b.type === 'file') byPath.set(binary, { ...b, size: 0, placeholder: true, writable: writableAt(binary) });
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
