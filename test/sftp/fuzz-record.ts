/**
 * Records a valid session, packet by packet, the raw material of the mutation fuzzer: the
 * requests sshfs makes while a test binary runs (realpath, listings, reads, a file created,
 * written, synced, renamed, linked and removed, a statvfs) plus a few refused ones.
 * Every reply is checked, so the recording is known to be valid against a fresh writable tree.
 */
import { Writable } from 'node:stream';
import { startSftpServer } from '../../src/sftp/server.js';
import type { FuzzFixture } from './fuzz-fixture.js';
import { code, FX, pipePair, PF, RawClient, str, type Resp } from './raw-client.js';

export async function recordValidSession(fx: FuzzFixture): Promise<Buffer[]> {
  await fx.resetWritable();
  const { server: duplex, toServer, fromServer } = pipePair();
  const server = startSftpServer(duplex, fx.table);
  const packets: Buffer[] = [];
  const tee = new Writable({
    write(chunk: Buffer, _enc, cb) {
      packets.push(Buffer.from(chunk));
      toServer.write(chunk, cb);
    },
  });
  const c = new RawClient(tee, fromServer);
  const ok = async (r: Promise<Resp>, what: string): Promise<void> => {
    const got = await code(r);
    if (got !== FX.OK) throw new Error(`recording: ${what} answered ${got}`);
  };
  const kind = async (r: Promise<Resp>, want: Resp['type'], what: string): Promise<Resp> => {
    const x = await r;
    if (x.type !== want) throw new Error(`recording: ${what} answered ${JSON.stringify(x).slice(0, 200)}`);
    return x;
  };
  const refused = async (r: Promise<Resp>, what: string): Promise<void> => {
    const got = await code(r);
    if (got !== FX.PERMISSION_DENIED && got !== FX.NO_SUCH_FILE) throw new Error(`recording: ${what} answered ${got}`);
  };

  await c.init();
  await kind(c.realpath('.'), 'name', 'REALPATH .');
  await kind(c.stat('/'), 'attrs', 'STAT /');
  await kind(c.lstat(fx.ro), 'attrs', 'LSTAT ro');
  await c.list(fx.root);
  await c.list(fx.ro);
  await c.list(fx.rw);
  await c.list(`${fx.rw}/sub/up`); // through a link to an export root
  await c.list(`${fx.bin}/up`);
  await c.readAll(`${fx.ro}/hello.txt`);
  await kind(c.readlink(`${fx.ro}/rel-good`), 'name', 'READLINK');
  const big = await c.handleOf(c.open(`${fx.ro}/big.bin`, PF.READ));
  await kind(c.fstat(big), 'attrs', 'FSTAT');
  await kind(c.read(big, 65536, 65536), 'data', 'READ big');
  await kind(c.read(big, 3 * 1024 * 1024, 65536), 'data', 'READ big tail');
  await ok(c.close(big), 'CLOSE big');

  const f = `${fx.rw}/fz-rec`;
  const h = await c.handleOf(c.open(f, PF.WRITE | PF.CREAT | PF.TRUNC, { mode: 0o644 }));
  await kind(c.lstat(f), 'attrs', 'LSTAT after create');
  await ok(c.write(h, 0, Buffer.from('hello from the remote\n')), 'WRITE');
  await ok(c.write(h, 4096, Buffer.from('sparse\n')), 'WRITE at 4096');
  await ok(c.fsetstat(h, { mode: 0o600 }), 'FSETSTAT');
  await ok(c.extended('fsync@openssh.com', str(h)), 'fsync');
  await ok(c.close(h), 'CLOSE');
  await ok(c.setstat(f, { atime: 1_700_000_000, mtime: 1_700_000_000 }), 'SETSTAT times');
  await ok(c.setstat(f, { size: 10 }), 'SETSTAT size');
  await ok(c.rename(f, `${fx.rw}/fz-rec2`), 'RENAME');
  await ok(c.extended('posix-rename@openssh.com', str(`${fx.rw}/fz-rec2`), str(`${fx.rw}/fz-rec3`)), 'posix-rename');
  await ok(c.extended('hardlink@openssh.com', str(`${fx.rw}/fz-rec3`), str(`${fx.rw}/fz-rec4`)), 'hardlink');
  await ok(c.symlink('fz-rec3', `${fx.rw}/fz-rec5`), 'SYMLINK');
  await kind(c.readlink(`${fx.rw}/fz-rec5`), 'name', 'READLINK new link');
  await ok(c.mkdir(`${fx.rw}/fz-recdir`, { mode: 0o755 }), 'MKDIR');
  await ok(c.rmdir(`${fx.rw}/fz-recdir`), 'RMDIR');
  await ok(c.remove(`${fx.rw}/fz-rec4`), 'REMOVE');
  await kind(c.extended('statvfs@openssh.com', str('/')), 'extended', 'statvfs');
  await refused(c.open(`${fx.ro}/rel-bad`, PF.READ), 'OPEN rel-bad');
  await refused(c.open(`${fx.rw}/out-dangling`, PF.WRITE | PF.CREAT), 'OPEN through a dangling link');
  await refused(c.opendir(`${fx.rw}/out-dir`), 'OPENDIR out-dir');
  await refused(c.remove(`${fx.ro}/hello.txt`), 'REMOVE in ro');
  await refused(c.setstat(`${fx.rw}/to-ro-file`, { mode: 0o777 }), 'SETSTAT through a link into ro-inside');

  toServer.end();
  await server.done;
  return packets;
}
