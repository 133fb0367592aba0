/** The resolver by construction (src/sftp/resolve/): what a walk returns, and symlinked export roots. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { ExportTable } from '../../src/sftp/exports.js';
import { Roots } from '../../src/sftp/resolve/roots.js';
import { OutsideError, release, walk, type Resolved } from '../../src/sftp/resolve/walk.js';
import { STATUS, toStatus } from '../../src/sftp/status.js';
import { makeFixture, startSession, type Fixture } from './fixture.js';
import { FX, PF, code } from './raw-client.js';

let fx: Fixture;
let roots: Roots;

before(async () => {
  fx = await makeFixture();
  roots = await Roots.open(fx.table, () => undefined);
});
after(async () => {
  await roots.close();
  await fx.cleanup();
});

const isOutside = (e: unknown): boolean => e instanceof OutsideError && e.status === STATUS.NO_SUCH_FILE && e.message === 'No such file';

async function resolved(p: string, follow: boolean): Promise<{ export: string; name: string | null; vpath: string }> {
  const r: Resolved = await walk(fx.table, roots, p, { follow });
  try {
    assert.equal(r.kind, 'entry');
    if (r.kind !== 'entry') throw new Error('unreachable');
    return { export: r.dir.root.export.path, name: r.name, vpath: r.vpath };
  } finally {
    await release(r);
  }
}

test('a walk follows links inside the exports itself and lands in the right export', async () => {
  assert.deepEqual(await resolved(`${fx.ro}/abs-good`, true), { export: fx.rw, name: 'data.txt', vpath: `${fx.rw}/data.txt` });
  assert.deepEqual(await resolved(`${fx.ro}/sub/up`, true), { export: fx.ro, name: 'hello.txt', vpath: `${fx.ro}/hello.txt` });
  assert.deepEqual(await resolved(`${fx.ro}/abs-good`, false), { export: fx.ro, name: 'abs-good', vpath: `${fx.ro}/abs-good` });
  assert.deepEqual(await resolved(`${fx.ro}/sub`, true), { export: fx.ro, name: null, vpath: `${fx.ro}/sub` });
  assert.deepEqual(await resolved(fx.roInside, false), { export: fx.roInside, name: null, vpath: fx.roInside });
  assert.deepEqual(await resolved(`${fx.rw}/new`, true), { export: fx.rw, name: 'new', vpath: `${fx.rw}/new` }, 'a missing last name');
  await assert.rejects(walk(fx.table, roots, `${fx.rw}/nodir/new`, { follow: true }), (e) => toStatus(e).code === STATUS.NO_SUCH_FILE);
});

test('every way out of the exports is the same "No such file"', async () => {
  for (const p of [`${fx.ro}/abs-bad`, `${fx.ro}/rel-bad`, `${fx.ro}/dir-bad`, `${fx.ro}/dir-bad/secret.txt`, `${fx.ro}/dir-bad/nope/x`]) {
    await assert.rejects(walk(fx.table, roots, p, { follow: true }), isOutside, p);
  }
  await assert.rejects(walk(fx.table, roots, `${fx.ro}/dir-bad/secret.txt`, { follow: false }), isOutside);
});

test('a directory reached by a renamed path is still in the export whose root it is', async () => {
  const table = new ExportTable([
    { path: fx.rw, writable: true },
    { path: `${fx.rw}/a/b/ro`, writable: false },
  ]);
  await fs.mkdir(`${fx.rw}/a/b/ro`, { recursive: true });
  const r2 = await Roots.open(table, () => undefined);
  try {
    await fs.rename(`${fx.rw}/a`, `${fx.rw}/z`);
    const r = await walk(table, r2, `${fx.rw}/z/b/ro/keep`, { follow: true });
    assert.ok(r.kind === 'entry' && r.dir.root.export.path === `${fx.rw}/a/b/ro` && !r.dir.root.export.writable);
    await release(r);
  } finally {
    await r2.close();
    await fs.rm(`${fx.rw}/z`, { recursive: true });
  }
});

test('an export root that is a symlink (Debian /usr/lib/go -> go-1.19) shows as a directory', async () => {
  await fs.symlink('ro', `${fx.root}/alias`);
  const table = new ExportTable([{ path: `${fx.root}/alias`, writable: false }]);
  const s = await startSession(table);
  try {
    const st = await s.client.lstat(`${fx.root}/alias`);
    assert.equal(st.type === 'attrs' && (st.attrs.mode! & 0o170000) === 0o040000, true);
    assert.equal((await s.client.readAll(`${fx.root}/alias/sub/up`)).toString(), 'hello\n');
    assert.ok((await s.client.list(`${fx.root}/alias`)).has('hello.txt'));
    const rp = await s.client.realpath(`${fx.root}/alias/sub`);
    assert.equal(rp.type === 'name' && rp.names[0].filename, `${fx.root}/alias/sub`, 'the virtual path, not ro/sub');
    // Only the alias is exported: the link target's own path is not.
    assert.equal(await code(s.client.open(`${fx.ro}/hello.txt`, PF.READ)), FX.NO_SUCH_FILE);
    assert.equal(await code(s.client.readlink(`${fx.root}/alias`)), FX.FAILURE);
  } finally {
    await s.stop();
  }
});

test('a symlinked export root inside a read-only export lists as a directory there too', async () => {
  await fs.symlink(fx.ro, `${fx.rw}/golink`);
  const table = new ExportTable([
    { path: fx.rw, writable: false },
    { path: `${fx.rw}/golink`, writable: false },
  ]);
  const s = await startSession(table);
  try {
    const listed = (await s.client.list(fx.rw)).get('golink');
    assert.equal((listed!.mode! & 0o170000) === 0o040000, true, 'READDIR agrees with LSTAT');
    assert.equal((await s.client.readAll(`${fx.rw}/golink/hello.txt`)).toString(), 'hello\n');
    assert.equal(await code(s.client.remove(`${fx.rw}/golink`)), FX.PERMISSION_DENIED, 'an export root stays');
    assert.equal(await code(s.client.open(`${fx.rw}/golink/new`, PF.WRITE | PF.CREAT)), FX.PERMISSION_DENIED);
  } finally {
    await s.stop();
    await fs.unlink(`${fx.rw}/golink`);
  }
});

test('a root below a writable export is never reached through a symlink, even one planted before the session', async () => {
  await fs.symlink(fx.ro, `${fx.rw}/planted`);
  const table = new ExportTable([
    { path: fx.rw, writable: true },
    { path: `${fx.rw}/planted`, writable: true },
  ]);
  const s = await startSession(table);
  try {
    assert.equal(await code(s.client.stat(`${fx.rw}/planted/hello.txt`)), FX.NO_SUCH_FILE);
    assert.equal(await code(s.client.open(`${fx.rw}/planted/new`, PF.WRITE | PF.CREAT)), FX.NO_SUCH_FILE);
    assert.ok(s.logs.some((l) => l.includes(`export ${fx.rw}/planted is refused`)), s.logs.join('; '));
  } finally {
    await s.stop();
    await fs.unlink(`${fx.rw}/planted`);
  }
  await assert.rejects(fs.stat(`${fx.ro}/new`), { code: 'ENOENT' });
});
