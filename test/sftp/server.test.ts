/**
 * The server through a hand-written client: the namespace, reads, and confinement of paths
 * and symlinks. Writes are in server-writes.test.ts, hostile bytes in server-malformed.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { constants } from 'node:fs';
import { makeFixture, SECRET, startSession, type Fixture, type Session } from './fixture.js';
import { code, FX, PF, str } from './raw-client.js';

let fx: Fixture;
let s: Session;

before(async () => {
  fx = await makeFixture();
  s = await startSession(fx.table);
});
after(async () => {
  await s.stop();
  await fx.cleanup();
  assert.ok(!s.client.received.includes(SECRET), 'the secret never went over the wire');
});

test('VERSION is 3 and advertises the openssh extensions we implement', async () => {
  const { client, stop } = await startSession(fx.table, {}, false);
  const v = await client.init();
  assert.equal(v.version, 3);
  assert.deepEqual(Object.fromEntries(v.extensions), {
    'posix-rename@openssh.com': '1',
    'statvfs@openssh.com': '2',
    'hardlink@openssh.com': '1',
    'fsync@openssh.com': '1',
  });
  await stop();
});

test('the root shows only the way to the exports', async () => {
  const first = fx.root.split('/')[1];
  assert.deepEqual([...(await s.client.list('/')).keys()].sort(), ['.', '..', first].sort());
  const atRoot = await s.client.list(fx.root);
  assert.deepEqual([...atRoot.keys()].sort(), ['.', '..', 'ro', 'rw']);
  assert.equal((atRoot.get('ro')!.mode! & constants.S_IFMT), constants.S_IFDIR);
  for (const p of ['/', '/.', '', fx.root]) {
    const r = await s.client.stat(p);
    assert.equal(r.type, 'attrs', p);
    assert.equal(r.type === 'attrs' && r.attrs.mode! & constants.S_IFMT, constants.S_IFDIR);
  }
  const rp = await s.client.realpath('.');
  assert.equal(rp.type === 'name' && rp.names[0].filename, '/');
  const rp2 = await s.client.realpath(`${fx.ro}/sub/../../../..`);
  assert.equal(rp2.type === 'name' && rp2.names[0].filename, path.dirname(path.dirname(fx.root)));
});

test('files, dirs and attributes are served from the export', async () => {
  assert.equal((await s.client.readAll(`${fx.ro}/hello.txt`)).toString(), 'hello\n');
  assert.ok((await s.client.readAll(`${fx.ro}/big.bin`)).equals(fx.big));
  const names = await s.client.list(fx.ro);
  for (const n of ['hello.txt', 'sub', 'big.bin', 'bin', 'rel-good', 'abs-bad']) assert.ok(names.has(n), n);
  const hello = names.get('hello.txt')!;
  assert.equal(hello.size, 6);
  assert.equal(hello.mode! & constants.S_IFMT, constants.S_IFREG);
  assert.equal(typeof hello.mtime, 'number');
  assert.equal(names.get('abs-bad')!.mode! & constants.S_IFMT, constants.S_IFLNK, 'readdir does not follow');
  const st = await s.client.stat(`${fx.ro}/big.bin`);
  assert.equal(st.type === 'attrs' && st.attrs.size, fx.big.length);
});

test('one READ of 64 KiB is answered with one DATA of 64 KiB; huge lengths are capped', async () => {
  const h = await s.client.handleOf(s.client.open(`${fx.ro}/big.bin`, PF.READ));
  const r = await s.client.read(h, 1000, 65536);
  assert.equal(r.type, 'data');
  assert.ok(r.type === 'data' && r.data.equals(fx.big.subarray(1000, 1000 + 65536)));
  const huge = await s.client.read(h, 0, 0xffffffff);
  assert.equal(huge.type, 'data');
  assert.ok(huge.type === 'data' && huge.data.length <= 255 * 1024 && huge.data.length > 65536);
  assert.equal(await code(s.client.read(h, fx.big.length, 10)), FX.EOF);
  assert.equal(await code(s.client.read(h, 2 ** 62, 10)), FX.FAILURE, 'an offset beyond 2^53 is refused, not rounded');
  const fst = await s.client.fstat(h);
  assert.equal(fst.type === 'attrs' && fst.attrs.size, fx.big.length);
  assert.equal(await code(s.client.close(h)), FX.OK);
});

test('paths outside the exports do not exist, however they are spelled', async () => {
  const outside = [
    `${fx.secret}/secret.txt`,
    `${fx.ro}/../secret/secret.txt`,
    `${fx.ro}/sub/../../secret/secret.txt`,
    `/../../..${fx.secret}/secret.txt`,
    `${fx.root.slice(1)}/secret/secret.txt`, // relative to /
    '/etc/passwd',
    `${fx.ro}/../../../../../../etc/passwd`,
    `${fx.ro}/hello.txt\0/../../secret/secret.txt`,
  ];
  for (const p of outside) {
    assert.equal(await code(s.client.open(p, PF.READ)), FX.NO_SUCH_FILE, `OPEN ${p}`);
    assert.equal(await code(s.client.stat(p)), FX.NO_SUCH_FILE, `STAT ${p}`);
    assert.equal(await code(s.client.lstat(p)), FX.NO_SUCH_FILE, `LSTAT ${p}`);
    assert.notEqual(await code(s.client.opendir(path.dirname(p))), FX.OK, `OPENDIR ${p}`);
    assert.equal(await code(s.client.readlink(p)), FX.NO_SUCH_FILE, `READLINK ${p}`);
    assert.equal(await code(s.client.realpath(p)), FX.NO_SUCH_FILE, `REALPATH ${p}`);
  }
  assert.equal(await code(s.client.opendir(fx.secret)), FX.NO_SUCH_FILE);
  assert.equal(await code(s.client.opendir('/etc')), FX.NO_SUCH_FILE);
});

test('symlinks inside the exports are followed, relative, with .., absolute, across exports', async () => {
  assert.equal((await s.client.readAll(`${fx.ro}/rel-good`)).toString(), 'deep\n');
  assert.equal((await s.client.readAll(`${fx.ro}/sub/up`)).toString(), 'hello\n');
  assert.equal((await s.client.readAll(`${fx.ro}/abs-good`)).toString(), 'data\n');
  const st = await s.client.stat(`${fx.ro}/abs-good`);
  assert.equal(st.type === 'attrs' && st.attrs.mode! & constants.S_IFMT, constants.S_IFREG);
  const rp = await s.client.realpath(`${fx.ro}/abs-good`);
  assert.equal(rp.type === 'name' && rp.names[0].filename, `${fx.rw}/data.txt`);
});

test('symlinks out of the exports lead nowhere: the same answer as a missing path (issue 7, class 4)', async () => {
  for (const l of ['abs-bad', 'rel-bad']) {
    const p = `${fx.ro}/${l}`;
    assert.equal(await code(s.client.open(p, PF.READ)), FX.NO_SUCH_FILE, `OPEN ${l}`);
    assert.equal(await code(s.client.stat(p)), FX.NO_SUCH_FILE, `STAT ${l}`);
    assert.equal(await code(s.client.realpath(p)), FX.NO_SUCH_FILE, `REALPATH ${l}`);
    // The link itself is in the export: LSTAT and READLINK describe it without following.
    const lst = await s.client.lstat(p);
    assert.equal(lst.type === 'attrs' && lst.attrs.mode! & constants.S_IFMT, constants.S_IFLNK);
  }
  const rl = await s.client.readlink(`${fx.ro}/abs-bad`);
  assert.equal(rl.type === 'name' && rl.names[0].filename, '/etc/passwd');
  // A directory symlink out of the export, then a path through it.
  assert.equal(await code(s.client.opendir(`${fx.ro}/dir-bad`)), FX.NO_SUCH_FILE);
  assert.equal(await code(s.client.open(`${fx.ro}/dir-bad/secret.txt`, PF.READ)), FX.NO_SUCH_FILE);
  assert.equal(await code(s.client.stat(`${fx.ro}/dir-bad/secret.txt`)), FX.NO_SUCH_FILE);
  assert.equal(await code(s.client.lstat(`${fx.ro}/dir-bad/secret.txt`)), FX.NO_SUCH_FILE);
  assert.equal(await code(s.client.readlink(`${fx.ro}/dir-bad/secret.txt`)), FX.NO_SUCH_FILE);
  assert.ok(s.logs.some((l) => l.includes('outside the exports')), 'refusals are logged');
});

test('statvfs answers with an EXTENDED_REPLY of eleven uint64s', async () => {
  const r = await s.client.extended('statvfs@openssh.com', str('/'));
  assert.equal(r.type, 'extended');
  assert.equal(r.type === 'extended' && r.data.length, 8 * 11);
  const ro = await s.client.extended('statvfs@openssh.com', str(fx.ro));
  assert.ok(ro.type === 'extended');
  assert.equal(ro.data.readBigUInt64BE(8 * 9) & 1n, 1n, 'ST_RDONLY on a read-only export');
  assert.ok(ro.data.readBigUInt64BE(0) > 0n, 'f_bsize');
  assert.equal(await code(s.client.extended('statvfs@openssh.com', str(`${fx.ro}/abs-bad`))), FX.NO_SUCH_FILE);
});

test('unknown extensions get OP_UNSUPPORTED and the session goes on', async () => {
  assert.equal(await code(s.client.extended('nope@example.com', str('x'))), FX.OP_UNSUPPORTED);
  assert.equal(await code(s.client.extended('limits@openssh.com')), FX.OP_UNSUPPORTED);
  assert.equal((await s.client.stat(fx.ro)).type, 'attrs');
});

test('pipelined requests execute in order (OPEN+CREAT then LSTAT, as sshfs sends them)', async () => {
  const p = `${fx.rw}/pipelined-${Date.now()}`;
  // Both packets in one write: the server sees them in one chunk.
  const c = s.client;
  const open = c.open(p, PF.WRITE | PF.CREAT);
  const lstat = c.lstat(p);
  const [o, l] = await Promise.all([open, lstat]);
  assert.equal(o.type, 'handle');
  assert.equal(l.type, 'attrs');
  assert.equal(await code(c.close((o as { handle: Buffer }).handle)), FX.OK);
  // Many reads in flight at once, then a close: every read is answered before the close.
  const h = await c.handleOf(c.open(`${fx.ro}/big.bin`, PF.READ));
  const reads = Array.from({ length: 40 }, (_, i) => c.read(h, i * 65536, 65536));
  const closed = c.close(h);
  const after = c.read(h, 0, 10);
  const got = await Promise.all(reads);
  got.forEach((r, i) => assert.ok(r.type === 'data' && r.data.equals(fx.big.subarray(i * 65536, (i + 1) * 65536)), `read ${i}`));
  assert.equal(await code(closed), FX.OK);
  assert.equal(await code(after), FX.FAILURE, 'a read queued after CLOSE sees the handle gone');
});
