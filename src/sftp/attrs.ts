/** fs.Stats to SFTP v3 attributes, and the synthetic ones of virtual directories. */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import type { Attrs, NameEntry } from './protocol.js';

export function statsToAttrs(st: Stats): Attrs {
  return {
    size: st.size,
    uid: st.uid,
    gid: st.gid,
    mode: st.mode,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

const started = Math.floor(Date.now() / 1000);

/** A directory that exists only on the way to an export: read-only, owned by us. */
export function virtualDirAttrs(): Attrs {
  return {
    size: 0,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    mode: constants.S_IFDIR | 0o555,
    atime: started,
    mtime: started,
  };
}

const TYPE_CHARS: [number, string][] = [
  [constants.S_IFDIR, 'd'],
  [constants.S_IFLNK, 'l'],
  [constants.S_IFCHR, 'c'],
  [constants.S_IFBLK, 'b'],
  [constants.S_IFIFO, 'p'],
  [constants.S_IFSOCK, 's'],
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The `ls -l`-style longname of a READDIR entry. sshfs ignores it; the OpenSSH sftp client
 * prints it, so it should look right, no more.
 */
export function longname(filename: string, a: Attrs): string {
  const mode = a.mode ?? 0;
  const type = TYPE_CHARS.find(([bits]) => (mode & constants.S_IFMT) === bits)?.[1] ?? '-';
  let perms = '';
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (mode >> shift) & 7;
    perms += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  const d = new Date((a.mtime ?? 0) * 1000);
  const date = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${d.getUTCFullYear()}`;
  return `${type}${perms}    1 ${String(a.uid ?? 0).padEnd(8)} ${String(a.gid ?? 0).padEnd(8)} ${String(a.size ?? 0).padStart(8)} ${date} ${filename}`;
}

export function nameEntry(filename: string, attrs: Attrs): NameEntry {
  return { filename, longname: longname(filename, attrs), attrs };
}
