import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sourceRoot } from '../../src/gotest/module-root.js';
import { goPaths } from '../../src/gotest/go-paths.js';
import { tempDirUntilExit } from '../temp-dir.js';

function tree(files: string[]): string {
  const root = tempDirUntilExit('gocpu-root-');
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  return root;
}

test('module mode: the nearest go.mod above the package', () => {
  const r = tree(['m/go.mod', 'm/a/b/x.go']);
  assert.deepEqual(sourceRoot(join(r, 'm/a/b'), [], {}), { kind: 'module', dir: join(r, 'm') });
});

test('workspace mode: go.work above the module wins, unless GOWORK=off', () => {
  const r = tree(['w/go.work', 'w/m/go.mod', 'w/m/p/x.go']);
  assert.deepEqual(sourceRoot(join(r, 'w/m/p'), [], {}), { kind: 'workspace', dir: join(r, 'w') });
  assert.deepEqual(sourceRoot(join(r, 'w/m/p'), [], { GOWORK: 'off' }), { kind: 'module', dir: join(r, 'w/m') });
  assert.deepEqual(sourceRoot(join(r, 'w/m/p'), [], { GOWORK: join(r, 'w/go.work') }), { kind: 'workspace', dir: join(r, 'w') });
});

test('GOPATH mode: no go.mod, the package sits in $GOPATH/src', () => {
  const r = tree(['gp/src/example.com/p/x.go']);
  const gopath = [join(r, 'other'), join(r, 'gp')];
  assert.deepEqual(sourceRoot(join(r, 'gp/src/example.com/p'), gopath, {}), { kind: 'gopath', dir: join(r, 'gp/src') });
  assert.deepEqual(sourceRoot(join(r, 'gp/elsewhere'), gopath, {}), { kind: 'none', dir: join(r, 'gp/elsewhere') });
});

test('go paths: GOROOT from the PATH go put first, GOMODCACHE from GOPATH, go env -w file honoured', () => {
  const r = tree(['goroot/bin/go', 'goroot/src/runtime/extern.go', 'goroot/VERSION', 'cfg/go/env']);
  chmodSync(join(r, 'goroot/bin/go'), 0o755);
  writeFileSync(join(r, 'cfg/go/env'), `GOPATH=${join(r, 'gp')}\n`);
  const p = goPaths({ PATH: `${join(r, 'goroot/bin')}:/usr/bin`, HOME: r, XDG_CONFIG_HOME: join(r, 'cfg') });
  assert.equal(p.goroot, join(r, 'goroot'));
  assert.deepEqual(p.gopath, [join(r, 'gp')]);
  assert.equal(p.gomodcache, join(r, 'gp/pkg/mod'));
  assert.equal(goPaths({ PATH: '/nonexistent', HOME: r, GOMODCACHE: '/mc', GOROOT: '/gr' }).gomodcache, '/mc');
});
