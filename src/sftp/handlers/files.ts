/** OPEN, READ, WRITE, CLOSE, FSTAT, FSETSTAT and fsync@openssh.com: everything on a file handle. */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { statsToAttrs, virtualDirAttrs } from '../attrs.js';
import { allocDataPacket, DATA_HEADER, finishDataPacket, OPEN_MODE, type Attrs } from '../protocol.js';
import { denied, failure } from '../status.js';
import { EOF, lookup, OK, type Context, type Reply } from './context.js';

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

/**
 * Opens the already-confined real path `real`. O_NOFOLLOW: realpath resolved every link,
 * so a link here means someone swapped it in since. O_NONBLOCK: a FIFO must not hang a
 * libuv thread (it is refused as not a regular file right after).
 */
export async function openConfined(ctx: Context, real: string, flags: number, mode: number, forWrite: boolean): Promise<number> {
  const fd = await open(real, flags | O_NOFOLLOW | O_NONBLOCK, mode);
  try {
    await ctx.confine.verifyFd(fd, forWrite);
    return fd;
  } catch (e) {
    await close(fd).catch(() => undefined);
    throw e;
  }
}

export async function handleOpen(ctx: Context, path: unknown, pflags: number, attrs: Attrs): Promise<Reply> {
  const forWrite = (pflags & WRITE_FLAGS) !== 0;
  const l = lookup(ctx, path, forWrite);
  if (l.kind === 'virtual-dir') throw forWrite ? denied('Read-only') : failure('Is a directory');
  if (forWrite && !l.writable) throw denied('Read-only export');
  const creat = (pflags & OPEN_MODE.CREAT) !== 0;
  const real = await ctx.confine.follow(l.localPath, { write: forWrite, mayNotExist: creat });

  const rw = pflags & (OPEN_MODE.READ | OPEN_MODE.WRITE);
  let flags = rw === (OPEN_MODE.READ | OPEN_MODE.WRITE) ? O_RDWR : rw === OPEN_MODE.WRITE ? O_WRONLY : O_RDONLY;
  if (pflags & OPEN_MODE.APPEND) flags |= O_APPEND;
  if (creat) flags |= O_CREAT;
  if (pflags & OPEN_MODE.EXCL) flags |= O_EXCL;
  // TRUNC is applied after the descriptor is verified, never by open(2) itself.
  const mode = typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o666;

  const fd = await openConfined(ctx, real, flags, mode, forWrite);
  try {
    if (!(await fstat(fd)).isFile()) throw failure('Not a regular file');
    if (pflags & OPEN_MODE.TRUNC) await ftruncate(fd, 0);
    const writableExport = l.writable && (await ctx.confine.ownerOf(real))?.writable === true;
    const handle = ctx.handles.add({ kind: 'file', fd, path: l.path, canWrite: forWrite, writableExport });
    return { kind: 'handle', handle };
  } catch (e) {
    await close(fd).catch(() => undefined);
    throw e;
  }
}

function checkOffset(offset: unknown): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw failure('Bad offset');
  return offset;
}

/** The hot path: no path resolution, one pread straight into the reply packet. */
export async function handleRead(ctx: Context, reqid: number, handle: Buffer, offset: number, len: number): Promise<Reply> {
  const h = ctx.handles.file(handle);
  const pos = checkOffset(offset);
  const n = Math.min(len >>> 0, MAX_READ);
  const pkt = allocDataPacket(n);
  const { bytesRead } = await read(h.fd, pkt, DATA_HEADER, n, pos);
  if (bytesRead === 0) return EOF;
  return { kind: 'raw', packet: finishDataPacket(pkt, reqid, bytesRead) };
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
  const h = ctx.handles.remove(handle);
  if (h.kind === 'file') await close(h.fd);
  return OK;
}

export async function handleFstat(ctx: Context, handle: Buffer): Promise<Reply> {
  const h = ctx.handles.get(handle);
  if (!h) throw failure('Invalid handle');
  if (h.kind === 'file') return { kind: 'attrs', attrs: statsToAttrs(await fstat(h.fd)) };
  return { kind: 'attrs', attrs: h.real ? statsToAttrs(await fs.promises.stat(h.real)) : virtualDirAttrs() };
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
  await applyAttrs(h.fd, attrs);
  return OK;
}

export async function handleFsync(ctx: Context, handle: Buffer | undefined): Promise<Reply> {
  if (!handle) throw failure('Malformed fsync request');
  await fsync(ctx.handles.file(handle).fd);
  return OK;
}

/** Closes every descriptor still open when the session ends. */
export async function closeAll(ctx: Context): Promise<void> {
  for (const h of ctx.handles.drain()) {
    if (h.kind === 'file') await close(h.fd).catch(() => undefined);
  }
}
