import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { Confiner } from '../../src/sftp/confine.js';
import { ExportTable } from '../../src/sftp/exports.js';
import { STATUS, StatusError } from '../../src/sftp/status.js';
import { makeFixture, startSession, type Fixture } from './fixture.js';
import { FX, PF, code } from './raw-client.js';

let fx: Fixture;
let c: Confiner;

before(async () => {
  fx = await makeFixture();
  c = new Confiner(fx.table);
});
after(() => fx.cleanup());

const isDenied = (e: unknown): boolean => e instanceof StatusError && e.status === STATUS.PERMISSION_DENIED;

test('follow resolves links and confines the result', async () => {
  assert.equal(await c.follow(`${fx.ro}/abs-good`, { write: false }), `${fx.rw}/data.txt`);
  assert.equal(await c.follow(`${fx.ro}/abs-good`, { write: true }), `${fx.rw}/data.txt`, 'the target is writable');
  await assert.rejects(c.follow(`${fx.ro}/hello.txt`, { write: true }), isDenied);
  await assert.rejects(c.follow(`${fx.ro}/abs-bad`, { write: false }), isDenied);
  await assert.rejects(c.follow(`${fx.ro}/rel-bad`, { write: false }), isDenied);
  await assert.rejects(c.follow(`${fx.ro}/nope`, { write: false }), { code: 'ENOENT' });
  assert.equal(await c.follow(`${fx.rw}/new`, { write: true, mayNotExist: true }), `${fx.rw}/new`);
  await fs.symlink('/nonexistent-gocpu-target', `${fx.rw}/dangling`);
  await assert.rejects(c.follow(`${fx.rw}/dangling`, { write: true, mayNotExist: true }), isDenied);
});

test('entry confines the parent only and protects export roots', async () => {
  assert.equal(await c.entry(`${fx.ro}/abs-bad`, { write: false }), `${fx.ro}/abs-bad`);
  await assert.rejects(c.entry(`${fx.ro}/abs-bad`, { write: true }), isDenied);
  await assert.rejects(c.entry(`${fx.ro}/dir-bad/secret.txt`, { write: false }), isDenied);
  assert.equal(await c.entry(`${fx.rw}/x`, { write: true }), `${fx.rw}/x`);
  await assert.rejects(c.entry(fx.roInside, { write: true }), isDenied);
});

test('verifyFd checks where an open descriptor really is', async () => {
  const inside = await fs.open(`${fx.rw}/data.txt`, 'r');
  const outside = await fs.open(`${fx.secret}/secret.txt`, 'r');
  try {
    await c.verifyFd(inside.fd, true);
    await assert.rejects(c.verifyFd(outside.fd, false), isDenied);
  } finally {
    await inside.close();
    await outside.close();
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

test('a symlinked export root inside another export lists as a directory there too', async () => {
  await fs.symlink(fx.ro, `${fx.rw}/golink`);
  const table = new ExportTable([
    { path: fx.rw, writable: true },
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
