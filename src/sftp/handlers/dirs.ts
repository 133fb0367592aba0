/**
 * OPENDIR and READDIR, for real directories and for the virtual ones leading to exports.
 * A directory handle keeps the directory's descriptor and reads its names lazily, one batch
 * per READDIR, from a stream opened on that descriptor: no copy of all the names per handle
 * (issue 7, class 7), and each name is lstat'ed inside the open directory, never through
 * the handle's path, which the remote may have pointed elsewhere since (class 3).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { nameEntry, statsToAttrs, virtualDirAttrs } from '../attrs.js';
import type { DirEntry } from '../handles.js';
import type { NameEntry } from '../protocol.js';
import { at, reopenFlags, self } from '../resolve/fd-path.js';
import { STATUS, StatusError } from '../status.js';
import { attrsOfPath } from './attrs-of.js';
import { EOF, withPath, type Context, type Reply } from './context.js';
import { innerPath } from '../spaces.js';

const fsp = fs.promises;
const open = promisify(fs.open);
const close = promisify(fs.close);
const fstat = promisify(fs.fstat);
const lstat = promisify(fs.lstat);

/** Entries per NAME reply, as OpenSSH's sftp-server sends. */
const BATCH = 100;
/** sshfs drops replies over 128 KiB; stay far below whatever the names are. */
const BATCH_BYTES = 32 * 1024;
/** Names the stream reads ahead per system call. */
const STREAM_BUFFER = 64;

const join = (dir: string, name: string): string => path.posix.join(dir, name);

/** A virtual dir handle holds no descriptor, but counts as one so the table stays bounded. */
const VIRTUAL_COST = 1;
/** The handle's own descriptor plus the stream's. */
const REAL_COST = 2;

export async function handleOpendir(ctx: Context, p: unknown): Promise<Reply> {
  return withPath(ctx, p, { follow: true }, async (r) => {
    if (r.kind === 'virtual') {
      const me = virtualDirAttrs();
      const head: DirEntry[] = [
        { name: '.', attrs: me },
        { name: '..', attrs: me },
      ];
      for (const child of r.children) {
        // An export root that is missing is left out rather than shown broken.
        const attrs = await attrsOfPath(ctx, join(r.path, child), true).catch(() => undefined);
        if (attrs) head.push({ name: child, attrs });
      }
      ctx.handles.reserve(VIRTUAL_COST);
      return { kind: 'handle', handle: ctx.handles.add({ kind: 'dir', path: r.path, head, eof: true, cost: VIRTUAL_COST }) };
    }
    if (r.name !== null) throw new StatusError(STATUS.NO_SUCH_FILE, 'No such file'); // missing, or not a directory
    ctx.handles.reserve(REAL_COST);
    let fd: number | undefined;
    let stream: fs.Dir | undefined;
    try {
      fd = await open(self(r.dir), reopenFlags());
      const ref = { fd, local: r.dir.local };
      stream = await fsp.opendir(self(ref), { bufferSize: STREAM_BUFFER });
      const me = statsToAttrs(await fstat(fd));
      const parent = (await attrsOfPath(ctx, path.posix.dirname(r.vpath), true).catch(() => undefined)) ?? me;
      const head: DirEntry[] = [
        { name: '.', attrs: me },
        { name: '..', attrs: parent },
      ];
      const h = { kind: 'dir' as const, path: r.vpath, fd, local: r.dir.local, root: r.dir.root, stream, head, eof: false, cost: REAL_COST };
      return { kind: 'handle', handle: ctx.handles.add(h) };
    } catch (e) {
      await stream?.close().catch(() => undefined);
      if (fd !== undefined) await close(fd).catch(() => undefined);
      ctx.handles.unreserve(REAL_COST);
      throw e;
    }
  });
}

export async function handleReaddir(ctx: Context, handle: Buffer): Promise<Reply> {
  const h = ctx.handles.dir(handle);
  const out: NameEntry[] = [];
  let bytes = 0;
  const cost = (name: string): number => 2 * Buffer.byteLength(name) + 128;
  while (h.head.length > 0 && out.length < BATCH) {
    const e = h.head.shift()!;
    out.push(nameEntry(e.name, e.attrs));
    bytes += cost(e.name);
  }
  // One batch of lstats per READDIR, or more while every name read has vanished since.
  while (h.stream && out.length < BATCH && bytes < BATCH_BYTES) {
    const names: string[] = [];
    let planned = bytes;
    while (names.length + out.length < BATCH && planned < BATCH_BYTES) {
      const d = await h.stream.read();
      if (d === null) {
        await h.stream.close().catch(() => undefined);
        h.stream = undefined;
        break;
      }
      names.push(d.name);
      planned += cost(d.name);
    }
    const ref = { fd: h.fd!, local: h.local! };
    const named = await Promise.all(
      names.map(async (name): Promise<NameEntry | undefined> => {
        const child = join(h.path, name);
        // A nested export root shows what it leads to, as LSTAT shows it.
        const space = ctx.spaces.of(child);
        const inner = innerPath(space, child);
        const attrs = inner !== null && space.table.isExportRoot(inner)
          ? await attrsOfPath(ctx, child, true).catch(() => undefined)
          : await lstat(at(ref, name)).then(statsToAttrs, () => undefined); // gone since
        return attrs && nameEntry(name, attrs);
      }),
    );
    for (const n of named) {
      if (!n) continue;
      out.push(n);
      bytes += cost(n.filename);
    }
    if (out.length > 0) break;
  }
  if (!h.stream) h.eof = true;
  return out.length > 0 ? { kind: 'name', names: out } : EOF;
}
