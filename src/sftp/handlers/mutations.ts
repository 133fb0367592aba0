/**
 * REMOVE, MKDIR, RMDIR, RENAME, SYMLINK, posix-rename@openssh.com and hardlink@openssh.com:
 * requests that change a directory entry. They act on the entry itself (never through a
 * symlink in the last component), need a writable export, and never touch an export root.
 */
import * as fs from 'node:fs';
import { failure, errnoOf, denied } from '../status.js';
import type { Attrs } from '../protocol.js';
import { isExportRoot, OK, writableLookup, type Context, type Reply } from './context.js';

const fsp = fs.promises;

/** The real path of a directory entry the request may create, remove or rename. */
async function writableEntry(ctx: Context, path: unknown): Promise<string> {
  const l = writableLookup(ctx, path);
  if (isExportRoot(l)) throw denied('Cannot modify an export root');
  return ctx.confine.entry(l.localPath, { write: true });
}

export async function handleRemove(ctx: Context, path: unknown): Promise<Reply> {
  await fsp.unlink(await writableEntry(ctx, path));
  return OK;
}

export async function handleMkdir(ctx: Context, path: unknown, attrs: Attrs): Promise<Reply> {
  const mode = typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o777;
  await fsp.mkdir(await writableEntry(ctx, path), mode);
  return OK;
}

export async function handleRmdir(ctx: Context, path: unknown): Promise<Reply> {
  await fsp.rmdir(await writableEntry(ctx, path));
  return OK;
}

/**
 * Plain SFTP v3 RENAME must not replace an existing target (OpenSSH checks first, as we
 * do; the check races with a concurrent create). posix-rename@openssh.com is rename(2).
 */
export async function handleRename(ctx: Context, from: unknown, to: unknown, overwrite: boolean): Promise<Reply> {
  const src = await writableEntry(ctx, from);
  const dst = await writableEntry(ctx, to);
  if (!overwrite) {
    const exists = await fsp.lstat(dst).then(
      () => true,
      (e) => (errnoOf(e) === 'ENOENT' ? false : Promise.reject(e)),
    );
    if (exists) throw failure('File exists');
  }
  await fsp.rename(src, dst);
  return OK;
}

/**
 * The link's text is stored as given: it grants nothing, since every operation that
 * follows it is confined again.
 */
export async function handleSymlink(ctx: Context, linkPath: unknown, target: unknown): Promise<Reply> {
  if (typeof target !== 'string') throw failure('Malformed symlink request');
  await fsp.symlink(target, await writableEntry(ctx, linkPath));
  return OK;
}

/**
 * Both ends must be writable: a hard link from a writable export to a read-only file
 * would make that file writable. link(2) does not follow a symlink in `from`.
 */
export async function handleHardlink(ctx: Context, from: unknown, to: unknown): Promise<Reply> {
  const src = await writableEntry(ctx, from);
  const dst = await writableEntry(ctx, to);
  await fsp.link(src, dst);
  return OK;
}
