/** OPEN, READ, WRITE, CLOSE, FSTAT, FSETSTAT and fsync@openssh.com: everything on a file handle. */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { statsToAttrs, virtualDirAttrs } from '../attrs.js';
import { DATA_HEADER, finishDataPacket, OPEN_MODE, type Attrs } from '../protocol.js';
import { ReadAhead } from '../read-ahead.js';
import { at } from '../resolve/fd-path.js';
import { denied, failure } from '../status.js';
import { closeHandle, EOF, OK, withPath, type Context, type Reply } from './context.js';

const open = promisify(fs.open);
const close = promisify(fs.close);
const read = promisify(fs.read);
const write = promisify(fs.write);
const fstat = promisify(fs.fstat);
const ftruncate = promisify(fs.ftruncate);
const fchmod = promisify(fs.fchmod);
const fchown = promisify(fs.fchown);
const futimes = promisify(fs.futimes);
const fsync = promisify(fs.fsync);

const { O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** Any of these makes an OPEN a write, refused on read-only exports. */
const WRITE_FLAGS = OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC | OPEN_MODE.EXCL;

/**
 * OpenSSH's sftp-server caps reads at 255 KiB. sshfs asks for at most max_read (<= 64 KiB)
 * and drops replies over 128 KiB (MAX_REPLY_LEN in sshfs.c), so the cap never bites it.
 */
export const MAX_READ = 255 * 1024;

function openFlags(pflags: number): number {
  const rw = pflags & (OPEN_MODE.READ | OPEN_MODE.WRITE);
  let flags = rw === (OPEN_MODE.READ | OPEN_MODE.WRITE) ? O_RDWR : rw === OPEN_MODE.WRITE ? O_WRONLY : O_RDONLY;
  if (pflags & OPEN_MODE.APPEND) flags |= O_APPEND;
  if (pflags & OPEN_MODE.CREAT) flags |= O_CREAT;
  if (pflags & OPEN_MODE.EXCL) flags |= O_EXCL;
  return flags;
}

/**
 * The last component is opened relative to its resolved directory with O_NOFOLLOW: a link
 * there was resolved by the walk, so one seen now was swapped in since and is refused.
 * O_CREAT|O_EXCL never follows a link (as open(2)); plain O_CREAT follows one to an
 * existing file but never creates through it (a dangling link fails as missing).
 * O_NONBLOCK: a FIFO must not hang a libuv thread (refused right after as not a regular file).
 */
export async function handleOpen(ctx: Context, path: unknown, pflags: number, attrs: Attrs): Promise<Reply> {
  const forWrite = (pflags & WRITE_FLAGS) !== 0;
  const creat = (pflags & OPEN_MODE.CREAT) !== 0;
  const excl = creat && (pflags & OPEN_MODE.EXCL) !== 0;
  const mode = typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o666;
  return withPath(ctx, path, { follow: !excl, forWrite }, async (r) => {
    if (r.kind === 'virtual') throw forWrite ? denied('Read-only') : failure('Is a directory');
    const writable = r.dir.root.export.writable;
    if (forWrite && !writable) throw denied('Read-only export');
    if (r.name === null) throw failure('Not a regular file');
    let flags = openFlags(pflags);
    if (r.viaLastLink) flags &= ~O_CREAT;
    ctx.handles.reserve(1);
    let fd: number | undefined;
    try {
      // TRUNC is applied once the descriptor is known to be a regular file.
      fd = await open(at(r.dir, r.name), flags | O_NOFOLLOW | O_NONBLOCK, mode);
      if (!(await fstat(fd)).isFile()) throw failure('Not a regular file');
      if (pflags & OPEN_MODE.TRUNC) await ftruncate(fd, 0);
      const handle = ctx.handles.add({ kind: 'file', fd, path: r.vpath, canWrite: forWrite, writableExport: writable, cost: 1 });
      return { kind: 'handle', handle };
    } catch (e) {
      if (fd !== undefined) await close(fd).catch(() => undefined);
      ctx.handles.unreserve(1);
      throw e;
    }
  });
}

function checkOffset(offset: unknown): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw failure('Bad offset');
  return offset;
}

/**
 * The hot path: no path resolution; the bytes come from the handle's read-ahead blocks
 * when it reads sequentially (read-ahead.ts), else from one pread straight into the reply.
 */
export async function handleRead(ctx: Context, reqid: number, handle: Buffer, offset: number, len: number): Promise<Reply> {
  const h = ctx.handles.file(handle);
  const pos = checkOffset(offset);
  const n = Math.min(len >>> 0, MAX_READ);
  const fd = h.fd;
  h.readAhead ??= new ReadAhead(async (buf, at) => (await read(fd, buf, 0, buf.length, at)).bytesRead, ctx.readAhead);
  const pkt = ctx.packets.take(DATA_HEADER + n);
  let bytesRead = 0;
  try {
    bytesRead = (await h.readAhead.read(pos, n, pkt, DATA_HEADER)) ?? (await read(fd, pkt, DATA_HEADER, n, pos)).bytesRead;
  } finally {
    if (bytesRead === 0) ctx.packets.give(pkt);
  }
  if (bytesRead === 0) return EOF;
  return { kind: 'raw', packet: finishDataPacket(pkt, reqid, bytesRead), taken: () => ctx.packets.give(pkt) };
}

export async function handleWrite(ctx: Context, handle: Buffer, offset: number, data: Buffer): Promise<Reply> {
  const h = ctx.handles.file(handle);
  if (!h.canWrite) throw denied('Handle not open for writing');
  let pos = checkOffset(offset);
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await write(h.fd, data, done, data.length - done, pos);
    if (bytesWritten <= 0) throw failure('Short write');
    done += bytesWritten;
    pos += bytesWritten;
  }
  return OK;
}

export async function handleClose(ctx: Context, handle: Buffer): Promise<Reply> {
  await closeHandle(ctx, ctx.handles.remove(handle));
  return OK;
}

/** Every handle stats its own descriptor, never a path (class 2). */
export async function handleFstat(ctx: Context, handle: Buffer): Promise<Reply> {
  const h = ctx.handles.get(handle);
  if (!h) throw failure('Invalid handle');
  if (h.kind === 'dir' && h.fd === undefined) return { kind: 'attrs', attrs: virtualDirAttrs() };
  return { kind: 'attrs', attrs: statsToAttrs(await fstat(h.fd!)) };
}

/** Applies SETSTAT/FSETSTAT attributes to an open descriptor, size first like OpenSSH. */
export async function applyAttrs(fd: number, a: Attrs): Promise<void> {
  if (typeof a.size === 'number') await ftruncate(fd, a.size);
  if (typeof a.mode === 'number') await fchmod(fd, a.mode & 0o7777);
  if (typeof a.uid === 'number' && typeof a.gid === 'number') await fchown(fd, a.uid, a.gid);
  if (typeof a.atime === 'number' && typeof a.mtime === 'number') await futimes(fd, a.atime, a.mtime);
}

export async function handleFsetstat(ctx: Context, handle: Buffer, attrs: Attrs): Promise<Reply> {
  const h = ctx.handles.file(handle);
  if (!h.writableExport) throw denied('Read-only export');
  await applyAttrs(h.fd, attrs ?? {});
  return OK;
}

export async function handleFsync(ctx: Context, handle: Buffer | undefined): Promise<Reply> {
  if (!handle) throw failure('Malformed fsync request');
  await fsync(ctx.handles.file(handle).fd);
  return OK;
}

/** Closes every descriptor still open when the session ends. */
export async function closeAll(ctx: Context): Promise<void> {
  for (const h of ctx.handles.drain()) await closeHandle(ctx, h).catch(() => undefined);
}
