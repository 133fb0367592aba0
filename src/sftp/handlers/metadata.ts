/** STAT, LSTAT, REALPATH, READLINK, SETSTAT and statvfs@openssh.com. */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { extendedReplyU64, type Attrs } from '../protocol.js';
import { at, FD_PATHS, PIN_FLAGS, self } from '../resolve/fd-path.js';
import type { Entry } from './context.js';
import { denied, failure } from '../status.js';
import { attrsOfResolved } from './attrs-of.js';
import { OK, withPath, type Context, type Reply } from './context.js';
import { applyAttrs } from './files.js';

const fsp = fs.promises;
const open = promisify(fs.open);
const close = promisify(fs.close);
const fstat = promisify(fs.fstat);
const lstat = promisify(fs.lstat);
const readlink = promisify(fs.readlink);

/**
 * STAT follows symlinks (our own resolution), LSTAT does not. An export root always shows
 * what it leads to (its open descriptor): the remote must see a directory there even when
 * the local path is a symlink (/usr/lib/go -> go-1.19 on Debian).
 */
export async function handleStat(ctx: Context, path: unknown, follow: boolean): Promise<Reply> {
  return withPath(ctx, path, { follow }, async (r) => ({ kind: 'attrs', attrs: await attrsOfResolved(r) }));
}

/** The canonical virtual path: where our own resolution of every link ends. */
export async function handleRealpath(ctx: Context, path: unknown): Promise<Reply> {
  return withPath(ctx, path, { follow: true }, async (r) => {
    let shown: string;
    if (r.kind === 'virtual') shown = r.path;
    else {
      if (r.name !== null) await lstat(at(r.dir, r.name)); // must exist
      shown = r.vpath;
    }
    return { kind: 'name', names: [{ filename: shown, longname: shown, attrs: {} }] };
  });
}

export async function handleReadlink(ctx: Context, path: unknown): Promise<Reply> {
  return withPath(ctx, path, { follow: false }, async (r) => {
    if (r.kind === 'virtual' || r.name === null) throw failure('Not a symbolic link');
    const target = await readlink(at(r.dir, r.name));
    return { kind: 'name', names: [{ filename: target, longname: target, attrs: {} }] };
  });
}

/**
 * Through a descriptor of the resolved entry, never its path. On Linux an O_PATH|O_NOFOLLOW
 * descriptor pins the entry without opening it (no permission needed, so the owner of a
 * mode-000 file can still chmod it; no side effect of opening a device), and the change
 * goes through /proc/self/fd/N, which acts on exactly that inode. Elsewhere the entry is
 * opened (O_NOFOLLOW) and changed with the f* calls.
 */
async function setAttrs(r: Entry & { name: string }, a: Attrs): Promise<void> {
  if (!FD_PATHS) {
    const fd = await open(at(r.dir, r.name), (typeof a.size === 'number' ? fs.constants.O_WRONLY : fs.constants.O_RDONLY) | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      await applyAttrs(fd, a);
    } finally {
      await close(fd).catch(() => undefined);
    }
    return;
  }
  const fd = await open(at(r.dir, r.name), PIN_FLAGS);
  try {
    // A link swapped in since the walk: never acted through.
    if ((await fstat(fd)).isSymbolicLink()) throw failure('Not a regular file');
    await applyPinned(self({ fd, local: '' }), a);
  } finally {
    await close(fd).catch(() => undefined);
  }
}

async function applyPinned(p: string, a: Attrs): Promise<void> {
  if (typeof a.size === 'number') await fsp.truncate(p, a.size);
  if (typeof a.mode === 'number') await fsp.chmod(p, a.mode & 0o7777);
  if (typeof a.uid === 'number' && typeof a.gid === 'number') await fsp.chown(p, a.uid, a.gid);
  if (typeof a.atime === 'number' && typeof a.mtime === 'number') await fsp.utimes(p, a.atime, a.mtime);
}

export async function handleSetstat(ctx: Context, path: unknown, attrs: Attrs): Promise<Reply> {
  return withPath(ctx, path, { follow: true, forWrite: true }, async (r) => {
    if (r.kind === 'virtual') throw denied('Read-only');
    if (!r.dir.root.export.writable) throw denied('Read-only export');
    if (r.name === null) {
      // A directory, reached as its own descriptor (O_PATH on Linux).
      if (FD_PATHS) await applyPinned(self(r.dir), attrs ?? {});
      else await applyAttrs(r.dir.fd, attrs ?? {});
    } else await setAttrs({ ...r, name: r.name }, attrs ?? {});
    return OK;
  });
}

const ST_RDONLY = 1;
const ST_NOSUID = 2;

/**
 * sshfs asks only about its base path, which for us is the virtual root: answer with the
 * filesystem that writes would land on (the first writable export), else the first one.
 */
export async function handleStatvfs(ctx: Context, reqid: number, path: unknown): Promise<Reply> {
  const roots = await ctx.spaces.of(path).roots;
  return withPath(ctx, path, { follow: true }, async (r) => {
    let dir: string | undefined;
    let readOnly: boolean;
    if (r.kind === 'entry') {
      dir = self(r.dir);
      readOnly = !r.dir.root.export.writable;
    } else {
      const root = roots.all.find((x) => x.export.writable) ?? roots.all[0];
      dir = root && self(root);
      readOnly = !root?.export.writable;
    }
    const flag = (readOnly ? ST_RDONLY : 0) | ST_NOSUID;
    const s = dir === undefined ? undefined : await fsp.statfs(dir).catch(() => undefined);
    const fields = s
      ? [s.bsize, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.ffree, 0, flag, 255]
      : [4096, 4096, 0, 0, 0, 0, 0, 0, 0, flag, 255];
    return { kind: 'raw', packet: extendedReplyU64(reqid, fields) };
  });
}
