/**
 * The table of exported local paths and the virtual namespace the remote sees. Pure: no
 * filesystem access (symlinks are resolve/walk.ts's job). A local path is exported at its own
 * absolute path, so the virtual path of a file inside an export equals its local path.
 */
import { GocpuError } from '../errors.js';

export interface Export {
  path: string;
  writable: boolean;
}

export type Lookup =
  | { kind: 'virtual-dir'; path: string; children: string[] }
  | { kind: 'export'; path: string; localPath: string; writable: boolean; export: Export };

/**
 * Resolves `.` and `..` lexically, never climbing above `/`; relative paths (and the empty
 * path, which SFTP clients send for "the default directory") are taken relative to `/`.
 * Returns null for a path no filesystem call could take (a NUL byte).
 */
export function normalizeVirtualPath(p: string): string | null {
  if (typeof p !== 'string' || p.includes('\0')) return null;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** True when `p` is `root` itself or lies below it (both normalized). */
export function isAtOrBelow(p: string, root: string): boolean {
  return root === '/' || p === root || p.startsWith(root + '/');
}

export class ExportTable {
  /** Normalized, deduplicated, longest path first (so the first match is the most specific). */
  readonly exports: readonly Export[];
  private readonly roots: ReadonlySet<string>;

  constructor(exports: Iterable<Export>) {
    const byPath = new Map<string, Export>();
    for (const e of exports) {
      if (typeof e.path !== 'string' || !e.path.startsWith('/')) {
        throw new GocpuError('SFTP_BAD_EXPORT', `export path must be absolute: ${JSON.stringify(e.path)}`, {
          hint: 'pass absolute local paths to the export table',
        });
      }
      const path = normalizeVirtualPath(e.path);
      if (path === null) {
        throw new GocpuError('SFTP_BAD_EXPORT', `export path contains a NUL byte: ${JSON.stringify(e.path)}`);
      }
      // The same path listed twice (say, as a module dir and as the cwd) is writable if
      // any listing says so: a caller that asked for write access must get it.
      const prev = byPath.get(path);
      byPath.set(path, { path, writable: e.writable || (prev?.writable ?? false) });
    }
    this.exports = [...byPath.values()].sort((a, b) => b.path.length - a.path.length);
    this.roots = new Set(byPath.keys());
  }

  /** The most specific export at or above the normalized path `p`, if any. */
  exportFor(p: string): Export | undefined {
    return this.exports.find((e) => isAtOrBelow(p, e.path));
  }

  /** True when `p` (any spelling) is exactly the root of an export. */
  isExportRoot(p: string): boolean {
    const n = normalizeVirtualPath(p);
    return n !== null && this.roots.has(n);
  }

  lookup(virtualPath: string): Lookup | null {
    const p = normalizeVirtualPath(virtualPath);
    if (p === null) return null;
    const e = this.exportFor(p);
    if (e) return { kind: 'export', path: p, localPath: p, writable: e.writable, export: e };
    const children = new Set<string>();
    for (const x of this.exports) {
      if (!isAtOrBelow(x.path, p)) continue;
      const rest = p === '/' ? x.path.slice(1) : x.path.slice(p.length + 1);
      children.add(rest.split('/')[0]);
    }
    // `/` is always listable (an empty table is an empty root, not a refusal).
    if (children.size === 0 && p !== '/') return null;
    return { kind: 'virtual-dir', path: p, children: [...children].sort() };
  }
}
