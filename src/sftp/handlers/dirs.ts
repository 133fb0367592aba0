/** OPENDIR and READDIR, for real directories and for the virtual ones leading to exports. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nameEntry, statsToAttrs, virtualDirAttrs } from '../attrs.js';
import type { DirEntry } from '../handles.js';
import type { Attrs, NameEntry } from '../protocol.js';
import { EOF, lookup, type Context, type Reply } from './context.js';

const fsp = fs.promises;

/** Entries per NAME reply, as OpenSSH's sftp-server sends. */
const BATCH = 100;
/** sshfs drops replies over 128 KiB; stay far below whatever the names are. */
const BATCH_BYTES = 32 * 1024;

async function attrsOf(ctx: Context, virtualPath: string): Promise<Attrs | undefined> {
  const l = ctx.table.lookup(virtualPath);
  if (!l) return undefined;
  if (l.kind === 'virtual-dir') return virtualDirAttrs();
  try {
    // Export roots show what they lead to; so does any dir, as STAT shows it.
    return statsToAttrs(await fsp.stat(await ctx.confine.follow(l.localPath, { write: false })));
  } catch {
    return undefined;
  }
}

/**
 * A snapshot of the names, taken now (sshfs reads a directory to the end right away);
 * attributes are lstat'ed batch by batch as READDIR asks.
 */
export async function handleOpendir(ctx: Context, p: unknown): Promise<Reply> {
  const l = lookup(ctx, p);
  if (l.kind === 'virtual-dir') {
    const self = virtualDirAttrs();
    const entries: DirEntry[] = [
      { name: '.', attrs: self },
      { name: '..', attrs: self },
    ];
    for (const child of l.children) {
      // An export root that does not exist (yet) is left out rather than shown broken.
      const attrs = await attrsOf(ctx, path.posix.join(l.path, child));
      if (attrs) entries.push({ name: child, attrs });
    }
    return { kind: 'handle', handle: ctx.handles.add({ kind: 'dir', path: l.path, entries, pos: 0 }) };
  }
  const real = await ctx.confine.follow(l.localPath, { write: false });
  const names = await fsp.readdir(real);
  const self = statsToAttrs(await fsp.stat(real));
  // A link to an export root (sub/up -> ..) leads to a dir whose real parent is outside the
  // exports: show the parent the client named instead of stat'ing that one.
  const realParent = path.dirname(real);
  const parent =
    l.path === l.export.path || !(await ctx.confine.ownerOf(realParent))
      ? ((await attrsOf(ctx, path.posix.dirname(l.path))) ?? self)
      : statsToAttrs(await fsp.stat(realParent));
  const entries: DirEntry[] = [
    { name: '.', attrs: self },
    { name: '..', attrs: parent },
    ...names.map((name) => ({ name })),
  ];
  return { kind: 'handle', handle: ctx.handles.add({ kind: 'dir', path: l.path, real, entries, pos: 0 }) };
}

export async function handleReaddir(ctx: Context, handle: Buffer): Promise<Reply> {
  const h = ctx.handles.dir(handle);
  while (h.pos < h.entries.length) {
    const batch: DirEntry[] = [];
    let bytes = 0;
    while (h.pos < h.entries.length && batch.length < BATCH && bytes < BATCH_BYTES) {
      const e = h.entries[h.pos++];
      batch.push(e);
      bytes += 2 * Buffer.byteLength(e.name) + 128;
    }
    const real = h.real;
    const named = await Promise.all(
      batch.map(async (e): Promise<NameEntry | undefined> => {
        if (e.attrs) return nameEntry(e.name, e.attrs);
        if (real === undefined) return undefined;
        const child = path.posix.join(h.path, e.name);
        // A nested export root shows what it leads to, as LSTAT shows it.
        const attrs = ctx.table.isExportRoot(child)
          ? await attrsOf(ctx, child)
          : await fsp.lstat(path.join(real, e.name)).then(statsToAttrs, () => undefined); // gone since OPENDIR
        return attrs && nameEntry(e.name, attrs);
      }),
    );
    const names = named.filter((n): n is NameEntry => n !== undefined);
    if (names.length > 0) return { kind: 'name', names };
  }
  return EOF;
}
