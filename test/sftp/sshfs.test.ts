/**
 * The server under a real `sshfs -o passive` (no SSH: sshfs's stdin/stdout are piped to
 * startSftpServer), exercised through the kernel mount from a child process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { makeFixture, SECRET, type Fixture } from './fixture.js';
import { acceptsNoContainSymlinks, mountSshfs, sshfsUnavailable, type Mount } from './sshfs-mount.js';
import type { OpResult } from './mount-ops-child.js';

const unavailable = await sshfsUnavailable();
const skip = unavailable ? `sshfs cannot run here: ${unavailable}` : false;
const noContain = unavailable ? false : await acceptsNoContainSymlinks();
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let fx: Fixture;
let mntDir: string;
let m: Mount | undefined;
const HUNDRED_MB = 100 * 1024 * 1024;
let hundredHash = '';

/**
 * transform_symlinks: the mount is not at /, so an absolute link must be rewritten relative
 * to the mount to resolve through it (and through our server) rather than on the host.
 */
const baseOptions = ['passive', 'max_read=65536', ...(noContain ? ['no_contain_symlinks'] : [])];

before(async () => {
  if (skip) return;
  fx = await makeFixture();
  const hundred = randomBytes(HUNDRED_MB);
  hundredHash = sha256(hundred);
  await fs.writeFile(`${fx.ro}/hundred.bin`, hundred);
  mntDir = await fs.mkdtemp(path.join(os.tmpdir(), 'gocpu-sftp-mnt-'));
  await fs.mkdir(`${mntDir}/a`);
  await fs.mkdir(`${mntDir}/b`);
  m = await mountSshfs(fx.table, `${mntDir}/a`, [...baseOptions, 'transform_symlinks']);
});

after(async () => {
  if (skip) return;
  try {
    await m?.unmount();
  } finally {
    await fs.rm(mntDir, { recursive: true, force: true });
    await fx.cleanup();
  }
  const bad = m?.logs.filter((l) => /internal error|closing the session|cannot encode/.test(l)) ?? [];
  assert.deepEqual(bad, [], 'the server logged no internal or protocol error');
});

const M = (p: string): string => m!.mnt + p;
function ok(r: OpResult, what = ''): unknown {
  assert.ok(r.ok, `${what}: ${JSON.stringify(r)}`);
  return r.value;
}
function refused(r: OpResult, codes: string[], what: string): void {
  assert.ok(!r.ok && codes.includes(r.code), `${what}: expected ${codes.join('|')}, got ${JSON.stringify(r)}`);
}

test(`sshfs ${noContain ? 'accepts' : 'does not know'} no_contain_symlinks`, { skip }, () => {
  assert.ok(m);
});

test('the mount root shows only the way to the exports', { skip }, async () => {
  const [root, top, ro, secret] = await m!.ops([
    { op: 'readdir', path: M('/') },
    { op: 'readdir', path: M(fx.root) },
    { op: 'readdir', path: M(fx.ro) },
    { op: 'read', path: M(`${fx.secret}/secret.txt`) },
  ]);
  assert.deepEqual(ok(root), [fx.root.split('/')[1]]);
  assert.deepEqual(ok(top), ['ro', 'rw']);
  const names = ok(ro) as string[];
  for (const n of ['hello.txt', 'sub', 'big.bin', 'bin', 'rel-good', 'abs-bad']) assert.ok(names.includes(n), n);
  refused(secret, ['ENOENT'], 'secret');
});

test('files read back byte for byte', { skip }, async () => {
  const [hello, deep, big] = await m!.ops([
    { op: 'read', path: M(`${fx.ro}/hello.txt`) },
    { op: 'read', path: M(`${fx.ro}/sub/deep.txt`) },
    { op: 'sha256', path: M(`${fx.ro}/big.bin`) },
  ]);
  assert.equal(ok(hello), 'hello\n');
  assert.equal(ok(deep), 'deep\n');
  assert.equal(ok(big), sha256(fx.big));
});

test('good symlinks resolve through the mount, bad ones lead nowhere', { skip }, async () => {
  const r = await m!.ops([
    { op: 'read', path: M(`${fx.ro}/rel-good`) },
    { op: 'read', path: M(`${fx.ro}/sub/up`) },
    { op: 'read', path: M(`${fx.ro}/abs-good`) },
    { op: 'read', path: M(`${fx.ro}/abs-bad`) },
    { op: 'read', path: M(`${fx.ro}/rel-bad`) },
    { op: 'readdir', path: M(`${fx.ro}/dir-bad`) },
    { op: 'lstat', path: M(`${fx.ro}/abs-bad`) },
  ]);
  assert.equal(ok(r[0], 'rel-good'), 'deep\n');
  assert.equal(ok(r[1], 'sub/up'), 'hello\n');
  assert.equal(ok(r[2], 'abs-good'), 'data\n');
  // Locally these targets exist: only a server that serves outside data could make them work.
  refused(r[3], ['ENOENT'], 'abs-bad');
  refused(r[4], ['ENOENT'], 'rel-bad');
  refused(r[5], ['ENOENT'], 'dir-bad');
  assert.equal((ok(r[6]) as { link: boolean }).link, true);
});

test('a writable export takes every kind of write', { skip }, async () => {
  const rw = fx.rw;
  await fs.writeFile(`${rw}/old.txt`, 'old');
  const r = await m!.ops([
    { op: 'write', path: M(`${rw}/a.txt`), data: 'one' },
    { op: 'append', path: M(`${rw}/a.txt`), data: 'two' },
    { op: 'truncate', path: M(`${rw}/a.txt`), len: 4 },
    { op: 'rename', path: M(`${rw}/a.txt`), to: M(`${rw}/b.txt`) },
    { op: 'chmod', path: M(`${rw}/b.txt`), mode: 0o600 },
    { op: 'mkdir', path: M(`${rw}/d`) },
    { op: 'symlink', path: M(`${rw}/d/l`), target: '../b.txt' },
    { op: 'readlink', path: M(`${rw}/d/l`) },
    { op: 'read', path: M(`${rw}/d/l`) },
    { op: 'link', path: M(`${rw}/b.txt`), to: M(`${rw}/c.txt`) },
    { op: 'rmdir', path: M(`${rw}/d`) },
    { op: 'unlink', path: M(`${rw}/d/l`) },
    { op: 'rmdir', path: M(`${rw}/d`) },
    { op: 'unlink', path: M(`${rw}/c.txt`) },
    { op: 'rename', path: M(`${rw}/b.txt`), to: M(`${rw}/old.txt`) }, // replaces: posix-rename
    { op: 'write', path: M(`${fx.bin}/tool`), data: '#!/bin/sh\n' },
    { op: 'statfs', path: M('/') },
  ]);
  const names = ['write', 'append', 'truncate', 'rename', 'chmod', 'mkdir', 'symlink', 'readlink', 'read via link', 'link'];
  names.forEach((n, i) => ok(r[i], n));
  assert.equal(r[7].ok && r[7].value, '../b.txt');
  assert.equal(r[8].ok && r[8].value, 'onet');
  refused(r[10], ['ENOTEMPTY', 'EPERM', 'EIO'], 'rmdir of a non-empty dir');
  for (const i of [11, 12, 13, 14, 15, 16]) ok(r[i], `op ${i}`);
  assert.ok((ok(r[16]) as { bsize: number }).bsize > 0, 'statvfs');
  assert.equal(await fs.readFile(`${rw}/old.txt`, 'utf8'), 'onet');
  assert.equal((await fs.stat(`${rw}/old.txt`)).mode & 0o777, 0o600);
  await assert.rejects(fs.stat(`${rw}/d`), { code: 'ENOENT' });
  await assert.rejects(fs.stat(`${rw}/c.txt`), { code: 'ENOENT' });
  assert.equal(await fs.readFile(`${fx.bin}/tool`, 'utf8'), '#!/bin/sh\n');
});

test('a read-only export refuses every kind of write', { skip }, async () => {
  const ro = fx.ro;
  const before = await fs.readdir(ro);
  const ops = [
    { op: 'write', path: M(`${ro}/new.txt`), data: 'x' },
    { op: 'write', path: M(`${ro}/hello.txt`), data: 'x' },
    { op: 'append', path: M(`${ro}/hello.txt`), data: 'x' },
    { op: 'truncate', path: M(`${ro}/hello.txt`), len: 0 },
    { op: 'rename', path: M(`${ro}/hello.txt`), to: M(`${ro}/moved.txt`) },
    { op: 'rename', path: M(`${fx.rw}/data.txt`), to: M(`${ro}/planted.txt`) },
    { op: 'unlink', path: M(`${ro}/hello.txt`) },
    { op: 'mkdir', path: M(`${ro}/newdir`) },
    { op: 'rmdir', path: M(`${ro}/sub`) },
    { op: 'chmod', path: M(`${ro}/hello.txt`), mode: 0o777 },
    { op: 'symlink', path: M(`${ro}/newlink`), target: 'hello.txt' },
    { op: 'link', path: M(`${ro}/hello.txt`), to: M(`${fx.rw}/alias.txt`) },
    { op: 'write', path: M(`${fx.roInside}/x`), data: 'x' },
    { op: 'mkdir', path: M(`${fx.root}/beside`) },
  ] as const;
  const r = await m!.ops([...ops]);
  r.forEach((x, i) => refused(x, ['EACCES', 'EPERM'], `${ops[i].op} ${ops[i].path}`));
  assert.equal(await fs.readFile(`${ro}/hello.txt`, 'utf8'), 'hello\n');
  assert.deepEqual(await fs.readdir(ro), before);
  await assert.rejects(fs.stat(`${fx.rw}/alias.txt`), { code: 'ENOENT' });
});

test('100 MB read throughput (informational)', { skip }, async (t) => {
  const [r] = await m!.ops([{ op: 'throughput', path: M(`${fx.ro}/hundred.bin`) }]);
  const v = ok(r) as { bytes: number; ms: number; sha256: string };
  assert.equal(v.bytes, HUNDRED_MB);
  assert.equal(v.sha256, hundredHash);
  const line = `sshfs read of 100 MB: ${(v.bytes / 1e6 / (v.ms / 1000)).toFixed(0)} MB/s (${v.ms.toFixed(0)} ms)`;
  t.diagnostic(line);
});

test('with follow_symlinks the server follows links itself, and confines them', { skip }, async () => {
  const b = await mountSshfs(fx.table, `${mntDir}/b`, [...baseOptions, 'follow_symlinks']);
  try {
    const B = (p: string): string => b.mnt + p;
    const r = await b.ops([
      { op: 'read', path: B(`${fx.ro}/abs-good`) },
      { op: 'lstat', path: B(`${fx.ro}/abs-good`) },
      { op: 'read', path: B(`${fx.ro}/rel-good`) },
      { op: 'read', path: B(`${fx.ro}/abs-bad`) },
      { op: 'read', path: B(`${fx.ro}/rel-bad`) },
      { op: 'stat', path: B(`${fx.ro}/dir-bad`) },
      { op: 'read', path: B(`${fx.ro}/dir-bad/secret.txt`) },
    ]);
    assert.equal(ok(r[0]), 'data\n');
    assert.equal((ok(r[1]) as { file: boolean }).file, true, 'the link shows as its target');
    assert.equal(ok(r[2]), 'deep\n');
    refused(r[3], ['ENOENT'], 'abs-bad');
    refused(r[4], ['ENOENT'], 'rel-bad');
    refused(r[5], ['ENOENT'], 'dir-bad');
    refused(r[6], ['ENOENT'], 'through dir-bad');
    assert.ok(b.logs.some((l) => l.includes('outside the exports')));
    assert.ok(!JSON.stringify(r).includes(SECRET));
  } finally {
    await b.unmount();
  }
});
