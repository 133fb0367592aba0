/**
 * The export roots of one session, opened once when it starts. A root is found by its local
 * path then (gocpu chose it; a root that is a local symlink, like Debian's /usr/lib/go ->
 * go-1.19, is followed that once) and from then on only through its descriptor: a root that
 * does not exist at that moment is refused for the whole session, never resolved later
 * through whatever the remote has put at its path (issue 7, class 5).
 *
 * Roots are also known by device and inode: a directory reached by any path is in the
 * export whose root it is or lies below, so renaming an ancestor of a read-only export
 * inside a writable one leaves its files read-only (issue 7, class 1).
 */
import * as fs from 'node:fs';
import { isAtOrBelow, type Export, type ExportTable } from '../exports.js';
import { at, DIR_FLAGS, type DirRef } from './fd-path.js';

export interface Root extends DirRef {
  export: Export;
  /** `${dev}:${ino}` of the root directory. */
  id: string;
}

export const idOf = (st: { dev: bigint | number; ino: bigint | number }): string => `${st.dev}:${st.ino}`;

export class Roots {
  private constructor(
    private readonly byPath: Map<string, Root>,
    private readonly byIdMap: Map<string, Root>,
  ) {}

  /**
   * Synchronous on purpose: a handful of local calls per export, once per session, and a
   * fuzz run starts thousands of sessions.
   */
  static async open(table: ExportTable, log: (line: string) => void): Promise<Roots> {
    const byPath = new Map<string, Root>();
    const byId = new Map<string, Root>();
    // Outer roots first: an inner one below a writable export is opened from the outer's descriptor.
    const outerFirst = [...table.exports].sort((a, b) => a.path.length - b.path.length);
    for (const e of outerFirst) {
      let fd: number | undefined;
      try {
        const outer = table.exports.filter((x) => x !== e && isAtOrBelow(e.path, x.path));
        const parent = outer.some((x) => x.writable) ? byPath.get(outer[0].path) : undefined;
        if (outer.some((x) => x.writable) && !parent) throw Object.assign(new Error('outer export missing'), { code: 'ENOENT' });
        const local = parent ? `${parent.local}/${e.path.slice(parent.export.path.length + 1)}` : fs.realpathSync(e.path);
        fd = parent ? openBelow(parent, e.path.slice(parent.export.path.length + 1).split('/')) : fs.openSync(local, DIR_FLAGS);
        const st = fs.fstatSync(fd, { bigint: true });
        const root: Root = { export: e, fd, local, id: idOf(st) };
        byPath.set(e.path, root);
        // The same directory exported twice (a module dir that is also a symlinked root):
        // read-only wins, as a path prefix check would have had it.
        const prev = byId.get(root.id);
        if (!prev || (prev.export.writable && !e.writable)) byId.set(root.id, root);
      } catch (err) {
        if (fd !== undefined) fs.closeSync(fd);
        log(`sftp: export ${e.path} is refused for this session: ${(err as { code?: string }).code ?? String(err)}`);
      }
    }
    return new Roots(byPath, byId);
  }

  /** The open root of an export, undefined when it was missing at the start. */
  root(e: Export): Root | undefined {
    return this.byPath.get(e.path);
  }

  /** The export whose root directory has this identity, if any. */
  byId(id: string): Root | undefined {
    return this.byIdMap.get(id);
  }

  get all(): Root[] {
    return [...this.byPath.values()];
  }

  async close(): Promise<void> {
    for (const r of this.byPath.values()) {
      try {
        fs.closeSync(r.fd);
      } catch {
        // already gone: nothing to give back
      }
    }
    this.byPath.clear();
  }
}

/**
 * A root below a writable export is reached from that export's descriptor, component by
 * component, following no symlink: the remote could have planted one there in an earlier
 * run. (Roots elsewhere are local configuration: a symlink among them is followed.)
 */
function openBelow(parent: Root, parts: string[]): number {
  let dir: DirRef = parent;
  try {
    for (const name of parts) {
      const fd = fs.openSync(at(dir, name), DIR_FLAGS);
      if (dir !== parent) fs.closeSync(dir.fd);
      dir = { fd, local: `${dir.local}/${name}` };
    }
    return dir.fd;
  } catch (e) {
    if (dir !== parent) fs.closeSync(dir.fd);
    throw e;
  }
}
