/**
 * Issue 7, classes 1 to 5: a hostile remote driving the real server with raw packets on real
 * temp dirs. Each of these was a way out of (or into) an export on the realpath-then-check
 * resolver; the resolver by construction must refuse every one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { ExportTable } from '../../src/sftp/exports.js';
import { startSession } from './fixture.js';
import { code, FX, PF, str, type Resp } from './raw-client.js';
import { makeHostileTree, OUTSIDE_MTIME, type HostileTree } from './hostile-fixture.js';

let t: HostileTree;

before(async () => {
  t = await makeHostileTree();
});
after(() => t.cleanup());

test('class 1: renaming an ancestor of a read-only export does not make its files writable', async () => {
  const ro = `${t.w}/a/b/ro`;
  await fs.mkdir(ro, { recursive: true });
  await fs.writeFile(`${ro}/keep`, 'keep\n');
  const s = await startSession(
    new ExportTable([
      { path: t.w, writable: true },
      { path: ro, writable: false },
    ]),
  );
  const c = s.client;
  try {
    assert.equal(await code(c.rename(`${t.w}/a`, `${t.w}/z`)), FX.OK, 'the ancestor itself is the writable export\'s');
    const moved = `${t.w}/z/b/ro`;
    assert.equal(await code(c.open(`${moved}/keep`, PF.WRITE)), FX.PERMISSION_DENIED, 'OPEN WRITE');
    assert.equal(await code(c.open(`${moved}/keep`, PF.READ | PF.TRUNC)), FX.PERMISSION_DENIED, 'OPEN TRUNC');
    assert.equal(await code(c.open(`${moved}/new`, PF.WRITE | PF.CREAT)), FX.PERMISSION_DENIED, 'OPEN CREAT');
    assert.equal(await code(c.setstat(`${moved}/keep`, { mode: 0o777 })), FX.PERMISSION_DENIED, 'SETSTAT');
    assert.equal(await code(c.remove(`${moved}/keep`)), FX.PERMISSION_DENIED, 'REMOVE');
    assert.equal(await code(c.mkdir(`${moved}/d`)), FX.PERMISSION_DENIED, 'MKDIR');
    assert.equal(await code(c.symlink('x', `${moved}/l`)), FX.PERMISSION_DENIED, 'SYMLINK');
    assert.equal(await code(c.rename(`${moved}/keep`, `${t.w}/stolen`)), FX.PERMISSION_DENIED, 'RENAME out');
    assert.equal(await code(c.rename(moved, `${t.w}/ro-moved`)), FX.PERMISSION_DENIED, 'RENAME the root itself');
    assert.equal(await code(c.rmdir(moved)), FX.PERMISSION_DENIED, 'RMDIR the root itself');
    const ext = (name: string, a: string, b: string): Promise<Resp> => c.extended(name, str(a), str(b));
    assert.equal(await code(ext('hardlink@openssh.com', `${moved}/keep`, `${t.w}/alias`)), FX.PERMISSION_DENIED, 'hardlink out');
    assert.equal(await code(ext('posix-rename@openssh.com', `${t.w}/z/b`, `${t.w}/b2`)), FX.OK, 'moving it again is still allowed');
    assert.equal(await code(c.open(`${t.w}/b2/ro/keep`, PF.WRITE)), FX.PERMISSION_DENIED, 'and it stays read-only');
    assert.equal((await c.readAll(`${t.w}/b2/ro/keep`)).toString(), 'keep\n', 'reading is fine');
  } finally {
    await s.stop();
  }
  assert.equal(await fs.readFile(`${t.w}/b2/ro/keep`, 'utf8'), 'keep\n');
  assert.equal((await fs.stat(`${t.w}/b2/ro/keep`)).mode & 0o777, 0o644 & ~process.umask());
});

test('class 2: FSTAT on a directory handle stats the open directory, not what is at its path now', async () => {
  await fs.mkdir(`${t.w}/d2`);
  const s = await startSession(new ExportTable([{ path: t.w, writable: true }]));
  const c = s.client;
  try {
    const h = await c.handleOf(c.opendir(`${t.w}/d2`));
    assert.equal(await code(c.rmdir(`${t.w}/d2`)), FX.OK);
    assert.equal(await code(c.symlink(`${t.outside}/shadow`, `${t.w}/d2`)), FX.OK);
    const st = await c.fstat(h);
    assert.equal(st.type, 'attrs');
    if (st.type !== 'attrs') return;
    assert.notEqual(st.attrs.mtime, OUTSIDE_MTIME, 'the outside file\'s attributes');
    assert.equal(st.attrs.mode! & 0o170000, 0o040000, 'still the (removed) directory');
    await c.close(h);
  } finally {
    await s.stop();
  }
});

test('class 3: READDIR lstat\'s names inside the open directory, not through its path', async () => {
  const d = `${t.w}/d3`;
  await fs.mkdir(d);
  for (const n of ['victim', 'shadow', 'sub']) await fs.writeFile(`${d}/${n}`, 'inside');
  const s = await startSession(new ExportTable([{ path: t.w, writable: true }]));
  const c = s.client;
  try {
    const h = await c.handleOf(c.opendir(d));
    assert.equal(await code(c.rename(d, `${t.w}/d3-away`)), FX.OK);
    assert.equal(await code(c.symlink(t.outside, d)), FX.OK);
    const seen = new Map<string, number | undefined>();
    for (;;) {
      const r = await c.readdir(h);
      if (r.type !== 'name') break;
      for (const n of r.names) seen.set(n.filename, n.attrs.mtime);
    }
    for (const n of ['victim', 'shadow', 'sub']) {
      assert.ok(seen.has(n), n);
      assert.notEqual(seen.get(n), OUTSIDE_MTIME, `${n}: attributes from outside`);
    }
    assert.ok(!seen.has('outside-only'));
    await c.close(h);
  } finally {
    await s.stop();
  }
});

test('class 4: whatever lies outside, existing or not, readable or not, answers exactly like a missing path', async () => {
  const s = await startSession(new ExportTable([{ path: t.w, writable: true }]));
  const c = s.client;
  const reply = async (r: Promise<Resp>): Promise<string> => {
    const x = await r;
    return x.type === 'status' ? `status ${x.code} ${x.message}` : x.type;
  };
  try {
    assert.equal(await code(c.symlink('/', `${t.w}/r`)), FX.OK);
    assert.equal(await code(c.symlink(`${t.outside}/planted`, `${t.w}/dangling-out`)), FX.OK);
    assert.equal(await code(c.symlink(`${t.outside}/nodir/planted`, `${t.w}/dangling-nowhere`)), FX.OK);
    const o = `${t.w}/r${t.outside}`;
    const ops: [string, (p: string) => Promise<Resp>][] = [
      ['STAT', (p) => c.stat(p)],
      ['LSTAT', (p) => c.lstat(p)],
      ['OPEN READ', (p) => c.open(p, PF.READ)],
      ['OPEN CREAT', (p) => c.open(p, PF.WRITE | PF.CREAT)],
      ['OPENDIR', (p) => c.opendir(p)],
      ['REALPATH', (p) => c.realpath(p)],
      ['READLINK', (p) => c.readlink(p)],
      ['SETSTAT', (p) => c.setstat(p, { mode: 0o600 })],
      ['REMOVE', (p) => c.remove(p)],
      ['MKDIR', (p) => c.mkdir(p)],
    ];
    const probes = [`${o}/victim`, `${o}/sub`, `${o}/locked/x`, `${o}/nothing`, `${o}/nodir/x`, `${t.w}/r/etc/passwd`, `${t.w}/r/root/.ssh/id_ed25519`];
    for (const [what, op] of ops) {
      const missing = await reply(op(`${t.w}/nodir/x`));
      assert.match(missing, /^status 2 /, `${what} of a missing path`);
      for (const p of probes) assert.equal(await reply(op(p)), missing, `${what} ${p}`);
    }
    // Creating through a dangling link to outside, wherever it points, is "nothing there".
    const creat = await reply(c.open(`${t.w}/nodir/x`, PF.WRITE | PF.CREAT));
    assert.equal(await reply(c.open(`${t.w}/dangling-out`, PF.WRITE | PF.CREAT)), creat);
    assert.equal(await reply(c.open(`${t.w}/dangling-nowhere`, PF.WRITE | PF.CREAT)), creat);
    assert.equal(await reply(c.stat(`${t.w}/dangling-out`)), await reply(c.stat(`${t.w}/nodir/x`)));
  } finally {
    await s.stop();
  }
  await assert.rejects(fs.lstat(`${t.outside}/planted`), { code: 'ENOENT' });
});

test('class 5: an export root missing at the start is refused, never resolved through what the remote puts there', async () => {
  await fs.mkdir(`${t.outside}/sub5`);
  await fs.writeFile(`${t.outside}/sub5/secret5`, 'secret5');
  const before = await t.snapshotOutside();
  const later = `${t.w}/later`;
  const s = await startSession(
    new ExportTable([
      { path: t.w, writable: true },
      { path: `${later}/sub5`, writable: true },
    ]),
  );
  const c = s.client;
  try {
    assert.equal(await code(c.symlink(t.outside, later)), FX.OK, 'the remote plants a link where the root will be');
    assert.equal(await code(c.open(`${later}/sub5/secret5`, PF.READ)), FX.NO_SUCH_FILE);
    assert.equal(await code(c.stat(`${later}/sub5`)), FX.NO_SUCH_FILE);
    assert.equal(await code(c.opendir(`${later}/sub5`)), FX.NO_SUCH_FILE);
    assert.equal(await code(c.open(`${later}/sub5/created`, PF.WRITE | PF.CREAT)), FX.NO_SUCH_FILE);
    assert.equal(await code(c.mkdir(`${later}/sub5/dir`)), FX.NO_SUCH_FILE);
    assert.equal(await code(c.setstat(`${later}/sub5/secret5`, { mode: 0o777 })), FX.NO_SUCH_FILE);
    // A real directory made there later is not the export either.
    assert.equal(await code(c.remove(later)), FX.OK);
    assert.equal(await code(c.mkdir(later)), FX.OK);
    assert.notEqual(await code(c.mkdir(`${later}/sub5`)), FX.OK, 'the root\'s own path is not the remote\'s to create');
    assert.ok(!(await c.list(t.w)).has('sub5'));
  } finally {
    await s.stop();
  }
  assert.equal(await t.snapshotOutside(), before, 'nothing outside read-modified, created or changed');
});
