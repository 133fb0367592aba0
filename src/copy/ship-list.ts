/**
 * What copy mode ships in place of a mount (issue 10): the package directory tree
 * with its testdata, the module's go.mod/go.sum (and the workspace's go.work), the
 * modules a go.work uses or a replace points at (code the binary was built from,
 * which a test finds through runtime.Caller), the trees the config and -export name, and the directories a test writes into (the
 * binary's directory, the output directories) without their files: go's $WORK/bNNN
 * holds compile artifacts the test never reads. The binary itself travels through
 * the binary cache (src/agent/binary-cache.ts) and is bound over its path. Pure.
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { SourceRoot } from '../gotest/module-root.js';
import { isAtOrBelow } from '../sftp/exports.js';

export interface CopyRoot {
  path: string;
  writable: boolean;
  /**
   * 'tree': everything below, files included; 'dirs': the directory tree without
   * its files (written into, not read); 'files': the directory and these files only.
   */
  what: 'tree' | 'dirs' | 'files';
  files?: string[];
}

export interface ShipInput {
  binDir?: string;
  outputDirs: string[];
  cwd: string;
  src: SourceRoot;
  srcWritable: boolean;
  treeWritable: boolean;
  trees: { path: string; writable: boolean }[];
}

const MODULE_FILES = ['go.mod', 'go.sum', 'go.work', 'go.work.sum'];

function moduleFiles(dir: string): CopyRoot | undefined {
  const files = MODULE_FILES.filter((f) => existsSync(join(dir, f)));
  return files.length > 0 ? { path: dir, writable: false, what: 'files', files } : undefined;
}

function nearestModule(start: string, top: string): string | undefined {
  for (let dir = start; dir === top || dir.startsWith(top + sep); dir = dirname(dir)) {
    if (existsSync(join(dir, 'go.mod'))) return dir;
    if (dirname(dir) === dir) break;
  }
  return undefined;
}

export function copyRootsFor(i: ShipInput): CopyRoot[] {
  const roots: CopyRoot[] = [];
  if (i.binDir) roots.push({ path: i.binDir, writable: true, what: 'dirs' });
  for (const d of i.outputDirs) roots.push({ path: d, writable: true, what: 'dirs' });
  if (i.src.kind === 'workspace' || i.src.kind === 'module') {
    const top = moduleFiles(i.src.dir);
    if (top) roots.push({ ...top, writable: i.srcWritable });
    const mod = nearestModule(i.cwd, i.src.dir);
    if (mod && mod !== i.src.dir) {
      const m = moduleFiles(mod);
      if (m) roots.push({ ...m, writable: i.srcWritable });
    }
  }
  roots.push({ path: i.cwd, writable: i.treeWritable || (i.srcWritable && i.src.kind !== 'none'), what: 'tree' });
  for (const t of i.trees) roots.push({ ...t, what: 'tree' });
  return roots;
}

/**
 * What the view binds from the copy: each root, unless one above it already shows it
 * with the same writability; the read-only ones are bound read-only (no server is
 * there to refuse a write).
 */
export function copyView(roots: readonly CopyRoot[]): { exports: string[]; readOnly: string[] } {
  const sorted = [...roots].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const kept: CopyRoot[] = [];
  for (const r of sorted) {
    const prev = kept.find((k) => k.path === r.path);
    if (prev) {
      prev.writable ||= r.writable;
      continue;
    }
    const above = [...kept].reverse().find((k) => isAtOrBelow(r.path, k.path));
    if (above && above.writable === r.writable) continue;
    kept.push({ ...r });
  }
  return { exports: kept.map((k) => k.path), readOnly: kept.filter((k) => !k.writable).map((k) => k.path) };
}
