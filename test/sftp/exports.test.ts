import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportTable, normalizeVirtualPath } from '../../src/sftp/exports.js';
import { isGocpuError } from '../../src/errors.js';

const table = new ExportTable([
  { path: '/home/u/go/pkg/mod', writable: false },
  { path: '/home/u/go/pkg/mod/cache/bin', writable: true },
  { path: '/home/u/src/proj/', writable: true },
  { path: '/home/u/src/proj/vendor', writable: false },
  { path: '/tmp/go-build123', writable: true },
]);

test('normalizeVirtualPath resolves . and .. lexically and never climbs above /', () => {
  assert.equal(normalizeVirtualPath('/'), '/');
  assert.equal(normalizeVirtualPath(''), '/');
  assert.equal(normalizeVirtualPath('.'), '/');
  assert.equal(normalizeVirtualPath('/.'), '/'); // what sshfs sends for its root
  assert.equal(normalizeVirtualPath('/a/b/../c/./d/'), '/a/c/d');
  assert.equal(normalizeVirtualPath('//a///b//'), '/a/b');
  assert.equal(normalizeVirtualPath('/../../..'), '/');
  assert.equal(normalizeVirtualPath('/a/../../../etc/passwd'), '/etc/passwd');
  assert.equal(normalizeVirtualPath('a/b'), '/a/b');
  assert.equal(normalizeVirtualPath('../a'), '/a');
  assert.equal(normalizeVirtualPath('/a/\0/b'), null);
});

test('/ and every ancestor of an export are virtual dirs listing only the way to exports', () => {
  assert.deepEqual(table.lookup('/'), { kind: 'virtual-dir', path: '/', children: ['home', 'tmp'] });
  assert.deepEqual(table.lookup('/home/u'), { kind: 'virtual-dir', path: '/home/u', children: ['go', 'src'] });
  assert.deepEqual(table.lookup('/home/u/go/pkg'), { kind: 'virtual-dir', path: '/home/u/go/pkg', children: ['mod'] });
  assert.deepEqual(table.lookup('/home/u/src/'), { kind: 'virtual-dir', path: '/home/u/src', children: ['proj'] });
  assert.equal(table.lookup('/tmp')?.kind, 'virtual-dir');
});

test('paths beside the exports are refused', () => {
  assert.equal(table.lookup('/etc/passwd'), null);
  assert.equal(table.lookup('/home/other'), null);
  assert.equal(table.lookup('/home/u/.ssh/id_ed25519'), null);
  assert.equal(table.lookup('/home/u/src/proj2'), null); // a sibling sharing a prefix
  assert.equal(table.lookup('/tmp/go-build1234'), null);
  assert.equal(table.lookup('/home/u/src/proj/../proj2/x'), null);
  assert.equal(table.lookup('/home/u/src/proj/\0'), null);
});

test('.. tricks resolve on the virtual path before the export check', () => {
  assert.equal(table.lookup('/home/u/go/pkg/mod/../../../.ssh/id_ed25519'), null);
  assert.equal(table.lookup('/tmp/go-build123/../../etc/shadow'), null);
  const l = table.lookup('/../../home/u/src/proj/a/../b');
  assert.equal(l?.kind, 'export');
  assert.equal(l?.kind === 'export' && l.localPath, '/home/u/src/proj/b');
  // climbing above / stays at /
  assert.equal(table.lookup('/../../../')?.kind, 'virtual-dir');
});

test('the longest export wins for writability, both ways', () => {
  const w = (p: string) => {
    const l = table.lookup(p);
    assert.equal(l?.kind, 'export', p);
    return l.kind === 'export' ? l.writable : undefined;
  };
  assert.equal(w('/home/u/go/pkg/mod/x@v1/a.go'), false);
  assert.equal(w('/home/u/go/pkg/mod/cache/bin'), true);
  assert.equal(w('/home/u/go/pkg/mod/cache/bin/tool'), true);
  assert.equal(w('/home/u/go/pkg/mod/cache/binx'), false);
  assert.equal(w('/home/u/src/proj/main.go'), true);
  assert.equal(w('/home/u/src/proj/vendor/x/y.go'), false);
  assert.equal(w('/home/u/src/proj/vendorx'), true);
  const l = table.lookup('/home/u/go/pkg/mod/cache/bin/tool');
  assert.equal(l?.kind === 'export' && l.export.path, '/home/u/go/pkg/mod/cache/bin');
});

test('trailing slashes and export roots', () => {
  const l = table.lookup('/home/u/src/proj/');
  assert.deepEqual(l, {
    kind: 'export',
    path: '/home/u/src/proj',
    localPath: '/home/u/src/proj',
    writable: true,
    export: { path: '/home/u/src/proj', writable: true },
  });
  assert.equal(table.isExportRoot('/home/u/src/proj//'), true);
  assert.equal(table.isExportRoot('/home/u/src/proj/x'), false);
  assert.equal(table.isExportRoot('/home/u/src'), false);
});

test('an export of / covers everything; an empty table is an empty root', () => {
  const all = new ExportTable([{ path: '/', writable: false }]);
  assert.equal(all.lookup('/')?.kind, 'export');
  assert.equal(all.lookup('/etc/passwd')?.kind, 'export');
  const none = new ExportTable([]);
  assert.deepEqual(none.lookup('/'), { kind: 'virtual-dir', path: '/', children: [] });
  assert.equal(none.lookup('/x'), null);
});

test('duplicates merge (writable if any says so); relative export paths are rejected', () => {
  const t = new ExportTable([
    { path: '/a', writable: false },
    { path: '/a/', writable: true },
  ]);
  assert.equal(t.exports.length, 1);
  assert.equal(t.exports[0].writable, true);
  assert.throws(
    () => new ExportTable([{ path: 'rel/dir', writable: false }]),
    (e: unknown) => isGocpuError(e) && e.code === 'SFTP_BAD_EXPORT',
  );
});
