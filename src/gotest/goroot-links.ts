/**
 * Where a Go installation's files really are. Debian's /usr/lib/go-1.19 keeps only
 * bin/, pkg/ and VERSION of its own: src, api, misc, test (and pkg/include) are
 * symlinks into /usr/share/go-1.19, and /usr/lib/go is a link to go-1.19. The SFTP
 * server refuses a link that leaves the exports (issue 10), so a test reading
 * `runtime.GOROOT()+"/src/..."` (go/build, go/importer, anything that parses the
 * standard library) failed remotely, and `go test strings` ran in a directory only
 * its go.mod happened to export. Exporting the links' targets lets the server follow
 * them, and the remote kernel resolves the links to the same paths as ours.
 *
 * Only GOROOT's own top level and pkg/ are looked at (a readdir each, per test
 * binary): that is where distributions put their links; walking src/ would cost
 * thousands of stats per run.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** The levels of a Go root whose entries may be links out of it. */
const SCANNED = ['', 'pkg'];

function realDir(p: string): string | undefined {
  try {
    const real = realpathSync(p);
    return statSync(real).isDirectory() ? real : undefined;
  } catch {
    return undefined; // dangling, or not ours to read: nothing to export
  }
}

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + sep);

/**
 * The directories outside `goroot` that it leads to: its own real path when it is
 * reached through a link, then the real targets of the links among its top-level
 * and pkg/ entries (directories only: the view mounts directories). Sorted, unique.
 */
export function gorootLinkTargets(goroot: string): string[] {
  const root = realDir(goroot);
  if (root === undefined) return [];
  const out = new Set<string>();
  if (root !== goroot) out.add(root);
  for (const level of SCANNED) {
    let entries;
    try {
      entries = readdirSync(join(root, level), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isSymbolicLink()) continue;
      const target = realDir(join(root, level, e.name));
      // A link back into the root, or to one of its ancestors (a loop), adds nothing.
      if (target !== undefined && !inside(target, root) && !inside(root, target)) out.add(target);
    }
  }
  return [...out].sort();
}
