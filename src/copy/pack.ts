/**
 * The tar copy.sh extracts in the run dir: first the contents the host's file cache
 * lacks (new/NAME), then the tree under mnt/ at its absolute paths, a read-only
 * file as a hard link to its cache name (c/NAME: the cache itself, or the new/ entry
 * the same tar just wrote), a writable one with its bytes (the test may change it,
 * and the cache must not change with it); last new/.end, which says the stream was
 * whole (the shell cannot see the exit status of a pipe's first command).
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import * as tar from 'tar-stream';
import type { LocalEntry } from './local-tree.js';

/**
 * A cache file is one content with one mode and one mtime (whole seconds, as tar keeps
 * them): the hard links all share its inode, so each keeps what the local file has.
 */
export function cacheName(sha: string, mode: number, mtime: Date): string {
  return `${sha}.${(mode & 0o777).toString(8)}.${Math.floor(mtime.getTime() / 1000)}`;
}

/** Read-only regular files go through the cache; the binary's placeholder and writable files do not. */
export function cached(e: LocalEntry): boolean {
  return e.type === 'file' && !e.writable && !e.placeholder;
}

// A file entry given no bytes stays open until ended: an empty one gets an empty buffer.
const EMPTY = Buffer.alloc(0);
const inMnt = (p: string) => `mnt${p}`;

async function addFile(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, file: string, size: number): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    const sink = pack.entry({ ...header, size, type: 'file' }, (err) => (err ? reject(err) : resolve()));
    (async () => {
      if (size > 0) {
        for await (const chunk of createReadStream(file, { start: 0, end: size - 1 })) {
          if (!sink.write(chunk as Buffer)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
        }
      }
      sink.end(undefined as unknown as Buffer);
    })().catch((err: Error) => {
      sink.destroy(err);
      reject(new Error(`cannot read ${file}: ${err.message}`));
    });
  });
  await done;
}

export interface PackStats { files: number; sentFiles: number; sentBytes: number }

/** names: the cache name of each cached entry; missing: those the host lacks. */
export function packTree(entries: readonly LocalEntry[], names: Map<string, string>, missing: ReadonlySet<string>, stats: PackStats): tar.Pack {
  const pack = tar.pack();
  (async () => {
    const sent = new Set<string>();
    for (const e of entries) {
      const name = names.get(e.path);
      if (name === undefined || !missing.has(name) || sent.has(name)) continue;
      sent.add(name);
      await addFile(pack, { name: `new/${name}`, mode: e.mode & 0o777, mtime: e.mtime }, e.path, e.size);
      stats.sentFiles++;
      stats.sentBytes += e.size;
    }
    for (const e of entries) {
      const base = { name: inMnt(e.path), mode: e.mode, mtime: e.mtime };
      if (e.type === 'dir') {
        pack.entry({ ...base, type: 'directory' });
      } else if (e.type === 'symlink') {
        pack.entry({ ...base, type: 'symlink', linkname: e.linkname ?? '' });
      } else if (e.placeholder) {
        pack.entry({ ...base, mode: 0o500, type: 'file' }, EMPTY);
      } else if (names.has(e.path)) {
        const name = names.get(e.path)!;
        pack.entry({ ...base, type: 'link', linkname: missing.has(name) ? `new/${name}` : `c/${name}` });
        stats.files++;
      } else {
        await addFile(pack, base, e.path, e.size);
        stats.files++;
        stats.sentFiles++;
        stats.sentBytes += e.size;
      }
    }
    pack.entry({ name: 'new/.end', type: 'file', mode: 0o600 }, EMPTY);
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  return pack;
}
