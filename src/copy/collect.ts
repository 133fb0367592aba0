/**
 * What a copy-mode test wrote (copy.sh's tar of the writable roots, names relative to
 * /) put in place locally. The remote chose these names and may be hostile: each goes
 * through the SFTP server's resolver (src/sftp/resolve/walk.ts), as a write to a mount
 * would, so a `../` name, an absolute link, or a symlink followed by a file through it
 * lands in a writable root or nowhere. Only directories, files and symlinks are
 * taken; a file is written through a descriptor opened with O_NOFOLLOW in its
 * already-resolved directory.
 */
import * as fs from 'node:fs';
import { once } from 'node:events';
import * as tar from 'tar-stream';
import { ExportTable } from '../sftp/exports.js';
import { at } from '../sftp/resolve/fd-path.js';
import { Roots } from '../sftp/resolve/roots.js';
import { release, walk } from '../sftp/resolve/walk.js';

const fsp = fs.promises;
const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = fs.constants;

export interface CollectSink {
  write(d: Buffer): void;
  end(): void;
  done: Promise<void>;
}

async function place(table: ExportTable, roots: Roots, header: tar.Header, body: AsyncIterable<Buffer>, binary: string | undefined): Promise<string | undefined> {
  const p = `/${header.name.replace(/\/+$/, '')}`;
  if (p === binary) return 'the test binary';
  const kind = header.type;
  if (kind !== 'directory' && kind !== 'file' && kind !== 'symlink') return `a ${kind}`;
  let r;
  try {
    r = await walk(table, roots, p, { follow: false, forWrite: true });
  } catch {
    return 'outside the writable exports';
  }
  try {
    if (r.kind !== 'entry' || !r.dir.root.export.writable) return 'outside the writable exports';
    if (r.name === null) return kind === 'directory' ? undefined : 'an export root';
    const target = at(r.dir, r.name);
    if (kind === 'directory') {
      await fsp.mkdir(target, { mode: header.mode & 0o7777 }).catch((e) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)));
      return undefined;
    }
    if (kind === 'symlink') {
      await fsp.symlink(header.linkname, target).catch((e) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)));
      return undefined;
    }
    const fh = await fsp.open(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, header.mode & 0o777);
    try {
      const st = await fh.stat();
      if (!st.isFile()) return 'not a regular file here';
      for await (const chunk of body) await fh.write(chunk);
      await fh.chmod(header.mode & 0o777);
      await fh.utimes(header.mtime, header.mtime);
    } finally {
      await fh.close();
    }
    return undefined;
  } finally {
    await release(r);
  }
}

/** A writable stream of copy.sh's tar; `done` settles when every entry is in place. */
export function collectInto(writable: readonly string[], binary: string | undefined, stderr: NodeJS.WritableStream): CollectSink {
  const table = new ExportTable(writable.map((path) => ({ path, writable: true })));
  const extract = tar.extract();
  const roots = Roots.open(table, () => {});
  const refused: string[] = [];
  extract.on('entry', (header, stream, next) => {
    (async () => {
      const why = await place(table, await roots, header, stream as unknown as AsyncIterable<Buffer>, binary);
      if (why) refused.push(`${header.name} (${why})`);
      stream.resume();
      next();
    })().catch((e: Error) => next(e));
  });
  const done = (async () => {
    await once(extract as unknown as NodeJS.EventEmitter, 'finish');
    if (refused.length > 0) {
      stderr.write(`gocpu: remote: warning: ignored ${refused.length} file(s) the test wrote outside its outputs: ${refused.slice(0, 3).join(', ')}\n`);
    }
  })();
  return {
    write: (d) => extract.write(d),
    end: () => extract.end(undefined as unknown as Buffer),
    done,
  };
}
