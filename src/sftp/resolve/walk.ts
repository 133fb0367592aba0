/**
 * Resolves a client path by construction, one component at a time, from the open root of
 * its export (issue 7). Each directory is opened relative to the one before it with
 * O_NOFOLLOW|O_DIRECTORY, so nothing the remote swaps in between two steps can redirect the
 * walk; a symlink met on the way is read and its text resolved by us, lexically, as a new
 * client path (so it lands in an export, from that export's root, or nowhere); the last
 * component is handed back unopened (or, when it is a directory and links are followed, as
 * the directory's own descriptor). The caller then makes its one system call relative to
 * the returned directory, with O_NOFOLLOW or an `l` call: a link planted at the last name is
 * never acted through.
 *
 * Whatever leads outside the exports throws exactly what a missing path throws (class 4).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ExportTable, normalizeVirtualPath } from '../exports.js';
import { innerPath, isAliasDir, outerPath, type Space } from '../spaces.js';
import { denied, errnoOf, failure, STATUS, StatusError } from '../status.js';
import { at, DIR_FLAGS, type DirRef } from './fd-path.js';
import { idOf, type Root, type Roots } from './roots.js';

const open = promisify(fs.open);
const close = promisify(fs.close);
const fstat = promisify(fs.fstat);
const lstat = promisify(fs.lstat);
const readlink = promisify(fs.readlink);

/** Linux's MAXSYMLINKS. */
export const MAX_LINKS = 40;

/**
 * "No such file", as for a path that does not exist; the log (local only) says why.
 * Used for every path that leaves the exports, so the remote learns nothing about it.
 */
export class OutsideError extends StatusError {
  constructor() {
    super(STATUS.NO_SUCH_FILE, 'No such file');
  }
  readonly logLine = 'path leads outside the exports';
}

/** A directory reached by the walk. */
export interface Dir extends DirRef {
  /** The export it is in: the last export root the walk passed through (by dev+ino). */
  root: Root;
  /** Its virtual path as walked (where relative link text is resolved from). */
  vpath: string;
  /** Closed by release(); an export root's descriptor belongs to the session. */
  owned: boolean;
}

export type Resolved =
  | { kind: 'virtual'; path: string; children: string[] }
  /**
   * `name === null`: the path is the directory `dir` itself (an export root, or a directory
   * reached with `follow`). Otherwise NAME inside `dir`, not opened, maybe missing.
   */
  | { kind: 'entry'; dir: Dir; name: string | null; vpath: string; viaLastLink: boolean };

export interface WalkOptions {
  /** Follow a symlink in the last component (our own resolution, never the kernel's). */
  follow: boolean;
  /** A client path outside the namespace is refused as a write would be (no FS involved). */
  forWrite?: boolean;
}

export async function release(r: Resolved | undefined): Promise<void> {
  if (r?.kind === 'entry' && r.dir.owned) await close(r.dir.fd).catch(() => undefined);
}

const releaseDir = (d: Dir): Promise<void> => (d.owned ? close(d.fd).catch(() => undefined) : Promise.resolve());

const join = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/**
 * Paths in and out are the client's (with the space's prefix); the table speaks the
 * run's own paths. An absolute link resolves from the run's root, never the session's.
 */
export async function walk(where: Space | ExportTable, roots: Roots, clientPath: unknown, opts: WalkOptions): Promise<Resolved> {
  const space: Pick<Space, 'prefix' | 'table' | 'aliases'> = where instanceof ExportTable ? { prefix: '', table: where } : where;
  const table = space.table;
  let target = typeof clientPath === 'string' ? normalizeVirtualPath(clientPath) : null;
  if (target !== null && isAliasDir(where as Space, target)) return { kind: 'virtual', path: target, children: [] };
  let links = 0;
  let viaLastLink = false;
  for (let first = true; ; first = false) {
    const inner = target === null ? null : innerPath(space, target, first);
    const l = inner === null ? null : table.lookup(inner);
    if (!l || (l.kind === 'virtual-dir' && !first)) {
      if (!first) throw new OutsideError();
      throw opts.forWrite ? denied('Outside the exports') : new StatusError(STATUS.NO_SUCH_FILE, 'No such file');
    }
    if (l.kind === 'virtual-dir') return { kind: 'virtual', path: outerPath(space, l.path), children: l.children };
    const root = roots.root(l.export);
    if (!root) throw new OutsideError();
    const rest = l.path === l.export.path ? [] : l.path.slice(l.export.path === '/' ? 1 : l.export.path.length + 1).split('/');
    let dir: Dir = { fd: root.fd, local: root.local, root, vpath: outerPath(space, l.export.path), owned: false };
    let next: string | null = null;
    for (let i = 0; i < rest.length && next === null; i++) {
      const name = rest[i];
      const last = i === rest.length - 1;
      const entry = { kind: 'entry' as const, dir, name, vpath: join(dir.vpath, name), viaLastLink };
      if (last && !opts.follow) return entry;
      let fd: number | undefined;
      try {
        fd = await open(at(dir, name), DIR_FLAGS);
        const id = idOf(await fstat(fd, { bigint: true }));
        const child: Dir = { fd, local: join(dir.local, name), root: roots.byId(id) ?? dir.root, vpath: entry.vpath, owned: true };
        fd = undefined;
        await releaseDir(dir);
        dir = child;
        continue;
      } catch (e) {
        if (fd !== undefined) await close(fd).catch(() => undefined);
        const code = errnoOf(e);
        if (code === 'ENOENT' && last) return entry;
        if (code !== 'ENOTDIR' && code !== 'ELOOP') {
          await releaseDir(dir);
          throw e;
        }
      }
      // Not a directory: a symlink we resolve ourselves, or the last component's file.
      let link: string | undefined;
      try {
        const st = await lstat(at(dir, name));
        if (st.isSymbolicLink()) link = await readlink(at(dir, name));
      } catch (e) {
        if (last && errnoOf(e) === 'ENOENT') return entry;
        await releaseDir(dir);
        throw e;
      }
      if (link === undefined) {
        if (last) return entry;
        await releaseDir(dir);
        throw new StatusError(STATUS.NO_SUCH_FILE, 'No such file'); // ENOTDIR, as the kernel says
      }
      if (++links > MAX_LINKS) {
        await releaseDir(dir);
        throw failure('Too many levels of symbolic links');
      }
      viaLastLink = last;
      next = path.posix.join(link.startsWith('/') ? outerPath(space, '/') : dir.vpath, link, ...rest.slice(i + 1));
      await releaseDir(dir);
    }
    if (next === null) return { kind: 'entry', dir, name: null, vpath: dir.vpath, viaLastLink };
    target = normalizeVirtualPath(next);
  }
}
