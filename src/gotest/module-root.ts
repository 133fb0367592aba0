/**
 * The tree a package's tests may read beyond their own directory: `../testdata`,
 * embedded files, a sibling package's fixtures. In module mode that is the
 * workspace (go.work) or module (go.mod) root above the package; in GOPATH mode the
 * $GOPATH/src tree the package sits in.
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

export type SourceRoot =
  | { kind: 'workspace' | 'module'; dir: string }
  | { kind: 'gopath'; dir: string }
  | { kind: 'none'; dir: string };

/** The nearest directory at or above start that holds file. */
export function findUp(start: string, file: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, file))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export function sourceRoot(pkgDir: string, gopath: readonly string[], env: NodeJS.ProcessEnv): SourceRoot {
  const mod = findUp(pkgDir, 'go.mod');
  if (mod) {
    const gowork = env.GOWORK;
    if (gowork !== 'off') {
      const work = gowork ? dirname(gowork) : findUp(pkgDir, 'go.work');
      if (work && (mod === work || mod.startsWith(work + sep))) return { kind: 'workspace', dir: work };
    }
    return { kind: 'module', dir: mod };
  }
  for (const p of gopath) {
    const src = join(p, 'src');
    if (pkgDir === src || pkgDir.startsWith(src + sep)) return { kind: 'gopath', dir: src };
  }
  return { kind: 'none', dir: pkgDir };
}
