/** STAT, LSTAT, REALPATH, READLINK, SETSTAT and statvfs@openssh.com. */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { statsToAttrs, virtualDirAttrs } from '../attrs.js';
import { extendedReplyU64, type Attrs } from '../protocol.js';
import { errnoOf, failure } from '../status.js';
import { isExportRoot, lookup, OK, writableLookup, type Context, type Reply } from './context.js';
import { applyAttrs, openConfined } from './files.js';

const fsp = fs.promises;
const close = promisify(fs.close);

/**
 * STAT follows symlinks, LSTAT does not. An export root always shows what it leads to:
 * the remote must see a directory there even when the local path is a symlink
 * (/usr/lib/go -> go-1.19 on Debian).
 */
export async function handleStat(ctx: Context, path: unknown, follow: boolean): Promise<Reply> {
  const l = lookup(ctx, path);
  if (l.kind === 'virtual-dir') return { kind: 'attrs', attrs: virtualDirAttrs() };
  if (follow || isExportRoot(l)) {
    const real = await ctx.confine.follow(l.localPath, { write: false });
    return { kind: 'attrs', attrs: statsToAttrs(await fsp.stat(real)) };
  }
  const real = await ctx.confine.entry(l.localPath, { write: false });
  return { kind: 'attrs', attrs: statsToAttrs(await fsp.lstat(real)) };
}

/**
 * The canonical virtual path. Inside an export it is the real path when the remote can
 * address it, else the lexically normalized one (the real path of a file under a
 * symlinked export root is not in the namespace).
 */
export async function handleRealpath(ctx: Context, path: unknown): Promise<Reply> {
  const l = lookup(ctx, path);
  let shown = l.path;
  if (l.kind === 'export') {
    const real = await ctx.confine.follow(l.localPath, { write: false });
    if (ctx.table.lookup(real)?.kind === 'export') shown = real;
  }
  return { kind: 'name', names: [{ filename: shown, longname: shown, attrs: {} }] };
}

export async function handleReadlink(ctx: Context, path: unknown): Promise<Reply> {
  const l = lookup(ctx, path);
  if (l.kind === 'virtual-dir' || isExportRoot(l)) throw failure('Not a symbolic link');
  const real = await ctx.confine.entry(l.localPath, { write: false });
  const target = await fsp.readlink(real);
  return { kind: 'name', names: [{ filename: target, longname: target, attrs: {} }] };
}

const { O_RDONLY, O_WRONLY } = fs.constants;

/**
 * Through a verified descriptor where possible. A file we may not open (mode 000, not
 * root) can still be chmod'ed by its owner: then path-based, on the confined real path.
 */
export async function handleSetstat(ctx: Context, path: unknown, attrs: Attrs): Promise<Reply> {
  const l = writableLookup(ctx, path);
  const real = await ctx.confine.follow(l.localPath, { write: true });
  const truncating = typeof attrs?.size === 'number';
  let fd: number;
  try {
    fd = await openConfined(ctx, real, truncating ? O_WRONLY : O_RDONLY, 0, true);
  } catch (e) {
    if (truncating || errnoOf(e) !== 'EACCES') throw e;
    if (typeof attrs.mode === 'number') await fsp.chmod(real, attrs.mode & 0o7777);
    if (typeof attrs.uid === 'number' && typeof attrs.gid === 'number') await fsp.chown(real, attrs.uid, attrs.gid);
    if (typeof attrs.atime === 'number' && typeof attrs.mtime === 'number') await fsp.utimes(real, attrs.atime, attrs.mtime);
    return OK;
  }
  try {
    await applyAttrs(fd, attrs ?? {});
  } finally {
    await close(fd).catch(() => undefined);
  }
  return OK;
}

const ST_RDONLY = 1;
const ST_NOSUID = 2;

/**
 * sshfs asks only about its base path, which for us is the virtual root: answer with the
 * filesystem that writes would land on (the first writable export), else the first one.
 */
export async function handleStatvfs(ctx: Context, reqid: number, path: unknown): Promise<Reply> {
  const l = lookup(ctx, path);
  let local: string | undefined;
  let readOnly: boolean;
  if (l.kind === 'export') {
    local = await ctx.confine.follow(l.localPath, { write: false });
    readOnly = !l.writable;
  } else {
    const e = ctx.table.exports.find((x) => x.writable) ?? ctx.table.exports[0];
    local = e?.path;
    readOnly = !e?.writable;
  }
  const flag = (readOnly ? ST_RDONLY : 0) | ST_NOSUID;
  const s = local === undefined ? undefined : await fsp.statfs(local).catch(() => undefined);
  const fields = s
    ? [s.bsize, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.ffree, 0, flag, 255]
    : [4096, 4096, 0, 0, 0, 0, 0, 0, 0, flag, 255];
  return { kind: 'raw', packet: extendedReplyU64(reqid, fields) };
}
