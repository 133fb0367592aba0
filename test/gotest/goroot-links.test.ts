import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gorootLinkTargets } from '../../src/gotest/goroot-links.js';
import { debianGoroot } from './fake-goroot.js';
import { tempDirUntilExit } from '../temp-dir.js';

test("Debian's GOROOT: the real targets of its src, api, misc, test and pkg/include links", () => {
  const d = debianGoroot();
  const want = ['api', 'misc', 'pkg/include', 'src', 'test'].map((x) => join(d.share, x));
  assert.deepEqual(gorootLinkTargets(d.goroot), want);
  // Reached through /usr/lib/go -> go-1.19: the installation's own path comes too.
  assert.deepEqual(gorootLinkTargets(d.link), [d.goroot, ...want].sort());
});

test('links that stay inside GOROOT, lead to an ancestor, dangle, or name a file add nothing', () => {
  const d = debianGoroot();
  symlinkSync('bin', join(d.goroot, 'bin2'));
  symlinkSync('/nonexistent/gocpu-goroot', join(d.goroot, 'lib'));
  symlinkSync('..', join(d.goroot, 'up'));
  symlinkSync(d.root, join(d.goroot, 'pkg', 'top'));
  writeFileSync(join(d.share, 'favicon.ico'), '');
  symlinkSync('../../share/go-1.19/favicon.ico', join(d.goroot, 'favicon.ico'));
  assert.deepEqual(gorootLinkTargets(d.goroot), ['api', 'misc', 'pkg/include', 'src', 'test'].map((x) => join(d.share, x)));
});

test('a plain Go root (the upstream tarball) and a missing one have no link targets', () => {
  const root = tempDirUntilExit('gocpu-goroot-');
  for (const x of ['src/runtime', 'pkg/tool', 'bin']) mkdirSync(join(root, 'go', x), { recursive: true });
  assert.deepEqual(gorootLinkTargets(join(root, 'go')), []);
  assert.deepEqual(gorootLinkTargets(join(root, 'nonexistent')), []);
});
