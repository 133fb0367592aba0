/**
 * REMOVE, MKDIR, RMDIR, RENAME, SYMLINK, posix-rename@openssh.com and hardlink@openssh.com:
 * requests that change a directory entry. Each resolves the entry's directory by
 * construction (resolve/walk.ts) and makes its one system call on NAME inside that open
 * directory, never through a symlink in the last component; the directory must be in a
 * writable export (by device and inode, not by path), and the entry must not be an export
 * root (by device and inode too: a renamed ancestor does not hide one).
 */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import type { Attrs } from '../protocol.js';
import { at } from '../resolve/fd-path.js';
import { idOf } from '../resolve/roots.js';
import { release, walk } from '../resolve/walk.js';
import { denied, errnoOf, failure } from '../status.js';
import { OK, type Context, type Entry, type Reply } from './context.js';

const fsp = fs.promises;
const lstat = promisify(fs.lstat);

type Named = Entry & { name: string };

/** The resolved, writable directory entry that the request may create, remove or rename. */
async function writableEntry(ctx: Context, p: unknown): Promise<Named> {
  const space = ctx.spaces.of(p);
  const roots = await space.roots;
  const r = await walk(space, roots, p, { follow: false, forWrite: true });
  try {
    if (r.kind === 'virtual') throw denied('Read-only');
    if (r.name === null) throw denied('Cannot modify an export root');
    if (!r.dir.root.export.writable) throw denied('Read-only export');
    const st = await lstat(at(r.dir, r.name), { bigint: true }).catch((e) => (errnoOf(e) === 'ENOENT' ? undefined : Promise.reject(e)));
    if (st && roots.byId(idOf(st))) throw denied('Cannot modify an export root');
    return { ...r, name: r.name };
  } catch (e) {
    await release(r);
    throw e;
  }
}

async function withEntry(ctx: Context, p: unknown, fn: (e: Named) => Promise<unknown>): Promise<Reply> {
  const e = await writableEntry(ctx, p);
  try {
    await fn(e);
  } finally {
    await release(e);
  }
  return OK;
}

async function withTwo(ctx: Context, a: unknown, b: unknown, fn: (x: Named, y: Named) => Promise<unknown>): Promise<Reply> {
  // Two runs on a shared mount are two namespaces: nothing moves or links between them.
  if (ctx.spaces.of(a) !== ctx.spaces.of(b)) throw denied('Across runs');
  const x = await writableEntry(ctx, a);
  try {
    await withEntry(ctx, b, (y) => fn(x, y));
  } finally {
    await release(x);
  }
  return OK;
}

export const handleRemove = (ctx: Context, p: unknown): Promise<Reply> => withEntry(ctx, p, (e) => fsp.unlink(at(e.dir, e.name)));

export function handleMkdir(ctx: Context, p: unknown, attrs: Attrs): Promise<Reply> {
  const mode = typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o777;
  return withEntry(ctx, p, (e) => fsp.mkdir(at(e.dir, e.name), mode));
}

export const handleRmdir = (ctx: Context, p: unknown): Promise<Reply> => withEntry(ctx, p, (e) => fsp.rmdir(at(e.dir, e.name)));

/**
 * Plain SFTP v3 RENAME must not replace an existing target (OpenSSH checks first, as we
 * do; the check races with a concurrent create). posix-rename@openssh.com is rename(2).
 */
export function handleRename(ctx: Context, from: unknown, to: unknown, overwrite: boolean): Promise<Reply> {
  return withTwo(ctx, from, to, async (src, dst) => {
    if (!overwrite) {
      const exists = await lstat(at(dst.dir, dst.name)).then(
        () => true,
        (e) => (errnoOf(e) === 'ENOENT' ? false : Promise.reject(e)),
      );
      if (exists) throw failure('File exists');
    }
    await fsp.rename(at(src.dir, src.name), at(dst.dir, dst.name));
  });
}

/**
 * The link's text is stored as given: it grants nothing, since every operation that
 * follows it resolves it again by construction.
 */
export function handleSymlink(ctx: Context, linkPath: unknown, target: unknown): Promise<Reply> {
  if (typeof target !== 'string') return Promise.reject(failure('Malformed symlink request'));
  return withEntry(ctx, linkPath, (e) => fsp.symlink(target, at(e.dir, e.name)));
}

/**
 * Both ends must be writable: a hard link from a writable export to a read-only file
 * would make that file writable. link(2) does not follow a symlink in `from`.
 */
export const handleHardlink = (ctx: Context, from: unknown, to: unknown): Promise<Reply> =>
  withTwo(ctx, from, to, (src, dst) => fsp.link(at(src.dir, src.name), at(dst.dir, dst.name)));
