/**
 * src/sftp/protocol.ts builds on ssh2's private server-side SFTP class (a deep import
 * of ssh2/lib/protocol/SFTP.js), checked against ssh2 1.17 and pinned to `~1.17.0`.
 * This test fails when that class changes shape in a way protocol.ts and server.ts
 * rely on: the module path and export, the constructor reading
 * `client._protocol._remoteIdentRaw` (OpenSSH ident => SYMLINK arguments swapped back),
 * sending through `_protocol.channelData` synchronously when the window is infinite,
 * `_protocol.channelClose` on destroy, the fixed VERSION reply we swap for ours, the
 * request events and their argument order, the reply methods, OP_UNSUPPORTED for
 * requests nobody listens to, 'error' on a fatal packet and 'end' on push(null).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { newServerSession, SSH2_VERSION_PACKET, type SftpServerSession } from '../../src/sftp/protocol.js';
import { attrs, FX, packet, str, T, u32, u64 } from './raw-client.js';
import { repoRoot } from '../e2e/repo.js';

const require = createRequire(import.meta.url);

function session(): { s: SftpServerSession; sent: Buffer[]; closes: number[] } {
  const sent: Buffer[] = [];
  const closes: number[] = [];
  const s = newServerSession((b) => sent.push(Buffer.from(b)), () => closes.push(1));
  return { s, sent, closes };
}

/** A session past INIT, with `sent` emptied. */
function ready(): ReturnType<typeof session> {
  const x = session();
  x.s.push(packet(T.INIT, u32(3)));
  x.sent.length = 0;
  return x;
}

/** Everything `sent` holds, as one buffer. */
const all = (sent: Buffer[]): Buffer => Buffer.concat(sent);

describe("ssh2's private SFTP class, as protocol.ts uses it", () => {
  it('the installed ssh2 is the minor version protocol.ts was checked against, and package.json pins it', () => {
    const installed = (require('ssh2/package.json') as { version: string }).version;
    assert.match(installed, /^1\.17\./, `ssh2 ${installed} is installed; protocol.ts was checked against 1.17 (re-check the private SFTP class before moving the pin)`);
    const pkg = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { dependencies: Record<string, string> };
    assert.equal(pkg.dependencies.ssh2, '~1.17.0');
  });

  it('ssh2/lib/protocol/SFTP.js exports an SFTP class with the reply methods', () => {
    const { SFTP } = require('ssh2/lib/protocol/SFTP.js') as { SFTP: { prototype: Record<string, unknown> } };
    assert.equal(typeof SFTP, 'function');
    for (const m of ['push', 'destroy', 'status', 'handle', 'data', 'name', 'attrs', 'on', 'emit']) {
      assert.equal(typeof SFTP.prototype[m], 'function', `SFTP.prototype.${m}`);
    }
  });

  it('answers INIT at once, through channelData, with the fixed VERSION packet server.ts replaces', () => {
    const { s, sent } = session();
    s.push(packet(T.INIT, u32(3)));
    assert.deepEqual(sent, [SSH2_VERSION_PACKET]);
  });

  it('emits requests with the argument order server.ts listens for', () => {
    const { s } = ready();
    const got: unknown[][] = [];
    const events = ['OPEN', 'READ', 'WRITE', 'CLOSE', 'FSTAT', 'FSETSTAT', 'OPENDIR', 'READDIR', 'STAT', 'LSTAT', 'REALPATH', 'READLINK',
      'SETSTAT', 'REMOVE', 'MKDIR', 'RMDIR', 'RENAME', 'EXTENDED'];
    for (const ev of events) {
      s.on(ev, (...args: unknown[]) => got.push([ev, ...args.map(plain)]));
    }
    const h = Buffer.from([1, 2, 3]);
    s.push(Buffer.concat([
      packet(T.OPEN, u32(1), str('/a'), u32(0x1a), attrs({ mode: 0o644 })),
      packet(T.READ, u32(2), str(h), u64(4096), u32(100)),
      packet(T.WRITE, u32(3), str(h), u64(7), str('xyz')),
      packet(T.CLOSE, u32(4), str(h)),
      packet(T.FSTAT, u32(20), str(h)),
      packet(T.FSETSTAT, u32(21), str(h), attrs({ mode: 0o600 })),
      packet(T.OPENDIR, u32(22), str('/dir')),
      packet(T.READDIR, u32(23), str(h)),
      packet(T.STAT, u32(24), str('/s')),
      packet(T.LSTAT, u32(5), str('/b')),
      packet(T.REALPATH, u32(25), str('.')),
      packet(T.READLINK, u32(26), str('/l')),
      packet(T.SETSTAT, u32(7), str('/c'), attrs({ uid: 1, gid: 2, atime: 3, mtime: 4, size: 5 })),
      packet(T.REMOVE, u32(27), str('/r')),
      packet(T.MKDIR, u32(28), str('/m'), attrs({ mode: 0o755 })),
      packet(T.RMDIR, u32(29), str('/m')),
      packet(T.RENAME, u32(6), str('/from'), str('/to')),
      packet(T.EXTENDED, u32(8), str('statvfs@openssh.com'), str('/d')),
    ]));
    assert.deepEqual(got, [
      ['OPEN', 1, '/a', 0x1a, { mode: 0o644 }],
      ['READ', 2, h, 4096, 100],
      ['WRITE', 3, h, 7, Buffer.from('xyz')],
      ['CLOSE', 4, h],
      ['FSTAT', 20, h],
      ['FSETSTAT', 21, h, { mode: 0o600 }],
      ['OPENDIR', 22, '/dir'],
      ['READDIR', 23, h],
      ['STAT', 24, '/s'],
      ['LSTAT', 5, '/b'],
      ['REALPATH', 25, '.'],
      ['READLINK', 26, '/l'],
      ['SETSTAT', 7, '/c', { size: 5, uid: 1, gid: 2, atime: 3, mtime: 4 }],
      ['REMOVE', 27, '/r'],
      ['MKDIR', 28, '/m', { mode: 0o755 }],
      ['RMDIR', 29, '/m'],
      ['RENAME', 6, '/from', '/to'],
      ['EXTENDED', 8, 'statvfs@openssh.com', str('/d')],
    ]);
  });

  it('takes the OpenSSH ident from client._protocol._remoteIdentRaw: SYMLINK (target, link) on the wire arrives as (link, target)', () => {
    const { s } = ready();
    const got: unknown[] = [];
    s.on('SYMLINK', (...args: unknown[]) => got.push(args));
    s.push(packet(T.SYMLINK, u32(9), str('the-target'), str('/the/link')));
    assert.deepEqual(got, [[9, '/the/link', 'the-target']]);
  });

  it('encodes status, handle, name, attrs and data replies at once', () => {
    const { s, sent } = ready();
    s.status(1, FX.NO_SUCH_FILE, 'No such file');
    s.handle(2, Buffer.from('hh'));
    s.name(3, [{ filename: 'f', longname: 'l', attrs: { mode: 0o100644, size: 2 } }]);
    s.attrs(4, { size: 9 });
    s.data(5, Buffer.from('dd'));
    assert.deepEqual(all(sent), Buffer.concat([
      packet(T.STATUS, u32(1), u32(FX.NO_SUCH_FILE), str('No such file'), str('')),
      packet(T.HANDLE, u32(2), str('hh')),
      packet(T.NAME, u32(3), u32(1), str('f'), str('l'), attrs({ size: 2, mode: 0o100644 })),
      packet(T.ATTRS, u32(4), attrs({ size: 9 })),
      packet(T.DATA, u32(5), str('dd')),
    ]));
  });

  it('answers a request nobody listens to with OP_UNSUPPORTED', () => {
    const { s, sent } = ready();
    s.push(packet(T.READLINK, u32(11), str('/x')));
    const st = all(sent);
    assert.equal(st[4], T.STATUS);
    assert.equal(st.readUInt32BE(5), 11);
    assert.equal(st.readUInt32BE(9), FX.OP_UNSUPPORTED);
  });

  it("a packet over 256 KiB is an 'error' and closes the channel through channelClose; push(null) is 'end'", () => {
    const { s, closes } = ready();
    const errors: Error[] = [];
    s.on('error', (e: Error) => errors.push(e));
    s.push(u32(256 * 1024 + 1));
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /exceeds max length/);
    assert.equal(closes.length, 1);

    const b = ready();
    let ended = 0;
    b.s.on('end', () => ended++);
    b.s.push(null);
    assert.equal(ended, 1);
    b.s.destroy();
    assert.equal(b.closes.length, 1);
  });
});

/** ssh2 parses ATTRS into a Stats object whose absent fields are undefined: keep the present ones. */
function plain(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
}
