/** Where the repository is, from wherever this file was compiled to (dist/test/e2e/). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'gocpu') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no gocpu package.json above ${start}`);
  }
}

export const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
export const binDir = path.join(repoRoot, 'bin');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');

export function fixtureDir(name: string): string {
  return path.join(fixturesDir, name);
}
