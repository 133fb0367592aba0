/**
 * Keeps every filesystem operation inside the exports, symlinks included. The export table
 * says which *virtual* paths exist; this module checks where they really lead:
 *  - `follow()` for operations that follow symlinks (open, stat, opendir, setstat, realpath):
 *    fs.realpath of the target must lie inside some export, and inside a writable one for a
 *    write. An absolute symlink from one export into another is fine; one to /etc is not.
 *  - `entry()` for operations on a directory entry itself (lstat, readlink, remove, rename,
 *    mkdir, symlink): only the parent directory is resolved and confined.
 *  - `verifyFd()` re-checks an opened descriptor through /proc/self/fd, closing the race
 *    between the check and the open for everything but the open's own side effects.
 *
 * Remaining races (documented, accepted): a local process (or the remote, through rename and
 * symlink in a writable export) that swaps a directory for a symlink between our realpath
 * and the syscall can make a path-based operation (stat, chmod fallback, mkdir, unlink,
 * rename, readdir) act outside the exports, and an O_CREAT open create an empty file there.
 * Opened files are verified before any byte is served or truncated. Closing this fully needs
 * openat2(RESOLVE_BENEATH), which Node does not expose.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { isAtOrBelow, type Export, type ExportTable } from './exports.js';
import { denied, errnoOf } from './status.js';

interface RealRoot {
  real: string;
  export: Export;
}

export class Confiner {
  private readonly table: ExportTable;
  /** Export path -> its real path, for the roots that resolved. */
  private readonly resolved = new Map<string, string>();
  private roots: RealRoot[] | undefined;

  constructor(table: ExportTable) {
    this.table = table;
  }

  /**
   * Export roots with symlinks resolved (Debian's /usr/lib/go is a link to go-1.19, macOS's
   * /tmp to /private/tmp). A root that does not exist yet is compared literally and
   * resolved again next time; the list is cached once every root has resolved.
   */
  private async realRoots(): Promise<RealRoot[]> {
    if (this.roots) return this.roots;
    const roots = await Promise.all(
      this.table.exports.map(async (e) => {
        let real = this.resolved.get(e.path);
        if (real === undefined) {
          real = await fs.realpath(e.path).catch(() => undefined);
          if (real !== undefined) this.resolved.set(e.path, real);
        }
        return { real: real ?? e.path, export: e };
      }),
    );
    // Longest first; for two exports with the same real root, the read-only one wins.
    roots.sort((a, b) => b.real.length - a.real.length || Number(a.export.writable) - Number(b.export.writable));
    if (this.resolved.size === this.table.exports.length) this.roots = roots;
    return roots;
  }

  /** The most specific export whose real root holds the real path `real`. */
  async ownerOf(real: string): Promise<Export | undefined> {
    return (await this.realRoots()).find((r) => isAtOrBelow(real, r.real))?.export;
  }

  private async check(real: string, write: boolean): Promise<void> {
    const owner = await this.ownerOf(real);
    if (!owner) throw denied('Path leads outside the exports');
    if (write && !owner.writable) throw denied('Read-only export');
  }

  /**
   * Resolves `localPath` following every symlink and returns the real path. With
   * `mayNotExist` (O_CREAT) a missing last component is allowed, unless it is a dangling
   * symlink: creating through it would create the link's target, wherever that points.
   */
  async follow(localPath: string, opts: { write: boolean; mayNotExist?: boolean }): Promise<string> {
    let real: string;
    try {
      real = await fs.realpath(localPath);
    } catch (e) {
      if (!opts.mayNotExist || errnoOf(e) !== 'ENOENT') throw e;
      real = path.join(await fs.realpath(path.dirname(localPath)), path.basename(localPath));
      let dangling = true;
      try {
        await fs.lstat(real);
      } catch (e2) {
        if (errnoOf(e2) !== 'ENOENT') throw e2;
        dangling = false;
      }
      if (dangling) throw denied('Refusing to create through a dangling symlink');
    }
    await this.check(real, opts.write);
    return real;
  }

  /**
   * Resolves the parent of `localPath` and returns the real path of the entry itself,
   * without following it. For a write (the entry is created, removed or renamed) the parent
   * must be writable and the entry must not be an export root.
   */
  async entry(localPath: string, opts: { write: boolean }): Promise<string> {
    const parent = await fs.realpath(path.dirname(localPath));
    const real = path.join(parent, path.basename(localPath));
    await this.check(parent, opts.write);
    if (opts.write && (await this.realRoots()).some((r) => r.real === real)) {
      throw denied('Cannot modify an export root');
    }
    return real;
  }

  /**
   * Checks where an open descriptor really is. Without /proc (not Linux) the check before
   * the open is all there is.
   */
  async verifyFd(fd: number, write: boolean): Promise<void> {
    let real: string;
    try {
      real = await fs.readlink(`/proc/self/fd/${fd}`);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return;
      throw e;
    }
    await this.check(real, write);
  }
}
