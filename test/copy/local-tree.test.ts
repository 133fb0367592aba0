// src/copy/local-tree.ts: which entries of the roots are shipped, and which are writable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listTree } from '../../src/copy/local-tree.js';
import type { CopyRoot } from '../../src/copy/ship-list.js';

function tree(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-local-tree-'));
  fs.mkdirSync(path.join(dir, 'pkg', 'testdata'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pkg', 'a.go'), 'package a\n');
  fs.writeFileSync(path.join(dir, 'pkg', 'testdata', 'in.txt'), 'x\n');
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const writable = async (roots: CopyRoot[], p: string) => (await listTree(roots)).find((e) => e.path === p)?.writable;

test('the most specific root decides; the same root listed twice is writable if either listing says so, in any order', async () => {
  const t = tree();
  try {
    const pkg = path.join(t.dir, 'pkg');
    const ro: CopyRoot = { path: pkg, writable: false, what: 'tree' };
    const rw: CopyRoot = { path: pkg, writable: true, what: 'files', files: ['a.go'] };
    assert.equal(await writable([ro, rw], path.join(pkg, 'a.go')), true);
    assert.equal(await writable([rw, ro], path.join(pkg, 'a.go')), true);
    assert.equal(await writable([rw, ro], path.join(pkg, 'testdata', 'in.txt')), true, 'below the root too');
    // A read-only root below a writable one is read-only, whatever the order.
    const data: CopyRoot = { path: path.join(pkg, 'testdata'), writable: false, what: 'tree' };
    assert.equal(await writable([rw, data], path.join(pkg, 'testdata', 'in.txt')), false);
    assert.equal(await writable([data, rw], path.join(pkg, 'testdata', 'in.txt')), false);
    assert.equal(await writable([ro], path.join(pkg, 'a.go')), false);
  } finally {
    t.cleanup();
  }
});
