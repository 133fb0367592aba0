import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirUntilExit } from '../temp-dir.js';

/**
 * Debian's layout under a fresh root: usr/lib/go-1.19 with bin/, pkg/tool and VERSION
 * of its own, src/api/misc/test and pkg/include linked into usr/share/go-1.19, and
 * usr/lib/go -> go-1.19.
 */
export function debianGoroot(): { root: string; goroot: string; link: string; share: string } {
  const root = tempDirUntilExit('gocpu-goroot-');
  const goroot = join(root, 'usr', 'lib', 'go-1.19');
  const share = join(root, 'usr', 'share', 'go-1.19');
  for (const d of ['bin', 'pkg/tool/linux_amd64', 'pkg/linux_amd64']) mkdirSync(join(goroot, d), { recursive: true });
  for (const d of ['src/runtime', 'src/strings', 'api', 'misc', 'test', 'pkg/include']) mkdirSync(join(share, d), { recursive: true });
  writeFileSync(join(goroot, 'VERSION'), 'go1.19.8');
  writeFileSync(join(share, 'src', 'go.mod'), 'module std\n');
  writeFileSync(join(share, 'src', 'strings', 'strings.go'), 'package strings\n');
  for (const d of ['src', 'api', 'misc', 'test']) symlinkSync(`../../share/go-1.19/${d}`, join(goroot, d));
  symlinkSync('../../../share/go-1.19/pkg/include', join(goroot, 'pkg', 'include'));
  const link = join(root, 'usr', 'lib', 'go');
  symlinkSync('go-1.19', link);
  return { root, goroot, link, share };
}
