/** Write-type requests: what a writable export allows, and what a read-only one refuses. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { constants } from 'node:fs';
import { makeFixture, startSession, type Fixture, type Session } from './fixture.js';
import { code, FX, PF, str, type RawClient } from './raw-client.js';

let fx: Fixture;
let s: Session;
let c: RawClient;

before(async () => {
  fx = await makeFixture();
  s = await startSession(fx.table);
  c = s.client;
});
after(async () => {
  await s.stop();
  await fx.cleanup();
});

/** Every file and its bytes below `dir`, to prove a refused request changed nothing. */
async function snapshot(dir: string): Promise<string> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const p = `${e.parentPath ?? e.path}/${e.name}`;
    const st = await fs.lstat(p);
    const body = e.isFile() ? (await fs.readFile(p)).toString('base64') : e.isSymbolicLink() ? await fs.readlink(p) : '';
    out.push(`${p} ${st.mode.toString(8)} ${st.mtimeMs} ${body}`);
  }
  return out.sort().join('\n');
}

test('a writable export takes create, write, append, truncate, chmod, rename, link, mkdir, rmdir, remove', async () => {
  const f = `${fx.rw}/new.txt`;
  const h = await c.handleOf(c.open(f, PF.WRITE | PF.CREAT | PF.EXCL, { mode: 0o640 }));
  assert.equal(await code(c.write(h, 0, Buffer.from('hello'))), FX.OK);
  assert.equal(await code(c.write(h, 5, Buffer.from(' world'))), FX.OK);
  assert.equal(await code(c.fsetstat(h, { mode: 0o600 })), FX.OK);
  assert.equal(await code(c.extended('fsync@openssh.com', str(h))), FX.OK);
  assert.equal(await code(c.close(h)), FX.OK);
  assert.equal(await fs.readFile(f, 'utf8'), 'hello world');
  assert.equal((await fs.stat(f)).mode & 0o777, 0o600);
  assert.equal(await code(c.open(f, PF.WRITE | PF.CREAT | PF.EXCL)), FX.FAILURE, 'EXCL on an existing file');

  const a = await c.handleOf(c.open(f, PF.WRITE | PF.APPEND));
  assert.equal(await code(c.write(a, 0, Buffer.from('!'))), FX.OK);
  await c.close(a);
  assert.equal(await fs.readFile(f, 'utf8'), 'hello world!');

  assert.equal(await code(c.setstat(f, { size: 5 })), FX.OK);
  assert.equal(await fs.readFile(f, 'utf8'), 'hello');
  assert.equal(await code(c.setstat(f, { mode: 0o644, atime: 1000000000, mtime: 1000000000 })), FX.OK);
  assert.equal((await fs.stat(f)).mtimeMs, 1e12);
  const t = await c.handleOf(c.open(f, PF.WRITE | PF.TRUNC));
  await c.close(t);
  assert.equal((await fs.stat(f)).size, 0, 'TRUNC');

  assert.equal(await code(c.rename(f, `${fx.rw}/data.txt`)), FX.FAILURE, 'plain RENAME does not overwrite');
  assert.equal(await code(c.rename(f, `${fx.rw}/renamed.txt`)), FX.OK);
  assert.equal(await code(c.extended('posix-rename@openssh.com', str(`${fx.rw}/renamed.txt`), str(`${fx.rw}/data.txt`))), FX.OK);
  assert.equal((await fs.stat(`${fx.rw}/data.txt`)).size, 0, 'posix-rename overwrites');
  assert.equal(await code(c.extended('hardlink@openssh.com', str(`${fx.rw}/data.txt`), str(`${fx.rw}/hard.txt`))), FX.OK);
  assert.equal((await fs.stat(`${fx.rw}/hard.txt`)).nlink, 2);

  assert.equal(await code(c.mkdir(`${fx.rw}/d`, { mode: 0o750 })), FX.OK);
  assert.equal((await fs.stat(`${fx.rw}/d`)).mode & 0o777, 0o750);
  assert.equal(await code(c.symlink('../hard.txt', `${fx.rw}/d/link`)), FX.OK);
  assert.equal(await fs.readlink(`${fx.rw}/d/link`), '../hard.txt', 'SYMLINK in OpenSSH argument order');
  const rl = await c.readlink(`${fx.rw}/d/link`);
  assert.equal(rl.type === 'name' && rl.names[0].filename, '../hard.txt');
  assert.equal(await code(c.rmdir(`${fx.rw}/d`)), FX.FAILURE, 'not empty');
  assert.equal(await code(c.remove(`${fx.rw}/d/link`)), FX.OK);
  assert.equal(await code(c.rmdir(`${fx.rw}/d`)), FX.OK);
  assert.equal(await code(c.remove(`${fx.rw}/hard.txt`)), FX.OK);
  await assert.rejects(fs.stat(`${fx.rw}/hard.txt`), { code: 'ENOENT' });
  assert.equal(await code(c.remove(`${fx.rw}/hard.txt`)), FX.NO_SUCH_FILE);
});

test('a writable export nested in a read-only one is writable, and the other way round', async () => {
  const h = await c.handleOf(c.open(`${fx.bin}/tool`, PF.WRITE | PF.CREAT));
  await c.close(h);
  assert.ok((await fs.stat(`${fx.bin}/tool`)).isFile());
  assert.equal(await code(c.open(`${fx.roInside}/x`, PF.WRITE | PF.CREAT)), FX.PERMISSION_DENIED);
  assert.equal(await code(c.remove(`${fx.roInside}/keep.txt`)), FX.PERMISSION_DENIED);
});

test('every write-type request on a read-only export is PERMISSION_DENIED and changes nothing', async () => {
  const before = await snapshot(fx.ro.replace(/\/ro$/, ''));
  const ro = fx.ro;
  const hello = `${ro}/hello.txt`;
  const denied: [string, Promise<number>][] = [
    ['OPEN WRITE', code(c.open(hello, PF.WRITE))],
    ['OPEN READ|WRITE', code(c.open(hello, PF.READ | PF.WRITE))],
    ['OPEN APPEND', code(c.open(hello, PF.APPEND))],
    ['OPEN TRUNC', code(c.open(hello, PF.READ | PF.TRUNC))],
    ['OPEN CREAT', code(c.open(`${ro}/new`, PF.READ | PF.CREAT))],
    ['OPEN CREAT|EXCL', code(c.open(`${ro}/new`, PF.WRITE | PF.CREAT | PF.EXCL))],
    ['SETSTAT mode', code(c.setstat(hello, { mode: 0o777 }))],
    ['SETSTAT size', code(c.setstat(hello, { size: 0 }))],
    ['SETSTAT times', code(c.setstat(hello, { atime: 1, mtime: 1 }))],
    ['REMOVE', code(c.remove(hello))],
    ['REMOVE link', code(c.remove(`${ro}/abs-bad`))],
    ['MKDIR', code(c.mkdir(`${ro}/newdir`))],
    ['RMDIR', code(c.rmdir(`${ro}/sub`))],
    ['RENAME within', code(c.rename(hello, `${ro}/moved`))],
    ['RENAME out of', code(c.rename(hello, `${fx.rw}/stolen`))],
    ['RENAME into', code(c.rename(`${fx.rw}/data.txt`, `${ro}/planted`))],
    ['posix-rename', code(c.extended('posix-rename@openssh.com', str(`${fx.rw}/data.txt`), str(hello)))],
    ['hardlink ro->rw', code(c.extended('hardlink@openssh.com', str(hello), str(`${fx.rw}/alias`)))],
    ['hardlink rw->ro', code(c.extended('hardlink@openssh.com', str(`${fx.rw}/data.txt`), str(`${ro}/alias`)))],
    ['SYMLINK', code(c.symlink('/etc/passwd', `${ro}/newlink`))],
    ['writes through a symlink into ro', code(c.open(`${ro}/sub/up`, PF.WRITE))],
    // the virtual namespace and the export roots themselves
    ['MKDIR at /', code(c.mkdir('/newtop'))],
    ['OPEN CREAT beside the exports', code(c.open(`${fx.root}/new`, PF.WRITE | PF.CREAT))],
    ['OPEN CREAT outside', code(c.open(`${fx.secret}/new`, PF.WRITE | PF.CREAT))],
    ['RMDIR an export root', code(c.rmdir(fx.roInside))],
    ['RENAME an export root', code(c.rename(fx.bin, `${fx.rw}/bin2`))],
    ['REMOVE via ..', code(c.remove(`${fx.rw}/../ro/hello.txt`))],
  ];
  for (const [what, p] of denied) assert.equal(await p, FX.PERMISSION_DENIED, what);

  // Handles opened for reading cannot be written or re-stat'ed.
  const h = await c.handleOf(c.open(hello, PF.READ));
  assert.equal(await code(c.write(h, 0, Buffer.from('x'))), FX.PERMISSION_DENIED);
  assert.equal(await code(c.fsetstat(h, { size: 0 })), FX.PERMISSION_DENIED);
  assert.equal(await code(c.fsetstat(h, { mode: 0o777 })), FX.PERMISSION_DENIED);
  await c.close(h);
  assert.equal(await snapshot(fx.ro.replace(/\/ro$/, '')), before, 'nothing changed on disk');
});

test('a symlink planted in a writable export cannot reach a read-only or outside file', async () => {
  assert.equal(await code(c.symlink(`${fx.ro}/hello.txt`, `${fx.rw}/to-ro`)), FX.OK);
  assert.equal(await code(c.symlink(`${fx.secret}/secret.txt`, `${fx.rw}/to-secret`)), FX.OK);
  assert.equal(await code(c.symlink(`${fx.secret}/planted.txt`, `${fx.rw}/dangling`)), FX.OK);
  assert.equal(await code(c.open(`${fx.rw}/to-ro`, PF.WRITE)), FX.PERMISSION_DENIED);
  assert.equal(await code(c.open(`${fx.rw}/to-ro`, PF.WRITE | PF.TRUNC)), FX.PERMISSION_DENIED);
  assert.equal(await code(c.setstat(`${fx.rw}/to-ro`, { mode: 0o777 })), FX.PERMISSION_DENIED);
  assert.equal(await code(c.open(`${fx.rw}/to-secret`, PF.READ)), FX.NO_SUCH_FILE);
  assert.equal(await code(c.setstat(`${fx.rw}/to-secret`, { size: 0 })), FX.NO_SUCH_FILE);
  assert.equal(await code(c.open(`${fx.rw}/dangling`, PF.WRITE | PF.CREAT)), FX.NO_SUCH_FILE);
  await assert.rejects(fs.stat(`${fx.secret}/planted.txt`), { code: 'ENOENT' });
  // The read-only target still reads fine through the link (following for reading is allowed).
  assert.equal((await c.readAll(`${fx.rw}/to-ro`)).toString(), 'hello\n');
  assert.equal(await fs.readFile(`${fx.ro}/hello.txt`, 'utf8'), 'hello\n');
  // The link itself can be removed: REMOVE acts on the entry, not its target.
  assert.equal(await code(c.remove(`${fx.rw}/to-secret`)), FX.OK);
  assert.ok((await fs.stat(`${fx.secret}/secret.txt`)).isFile());
});

test('OPEN refuses what is not a regular file', async () => {
  assert.equal(await code(c.open(fx.ro, PF.READ)), FX.FAILURE);
  assert.equal(await code(c.open('/', PF.READ)), FX.FAILURE);
  const st = await c.lstat(`${fx.ro}/sub`);
  assert.equal(st.type === 'attrs' && st.attrs.mode! & constants.S_IFMT, constants.S_IFDIR);
});
