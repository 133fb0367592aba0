/**
 * One valid request of every type, after a preamble that opens real handles (1: a read-only
 * file, 2: a directory, 3: a writable file), for the truncation sweep: each request is cut at
 * every offset, once with the frame length fixed up (a short packet) and once with the
 * length intact and EOF after the cut (a packet that never completes).
 */
import type { Places } from './fuzz-fields.js';
import { attrs, packet, PF, str, T, u32, u64 } from './raw-client.js';

export interface Canonical {
  name: string;
  preamble: Buffer;
  type: number;
  /** The body after the type byte, request id included. */
  body: Buffer;
}

export function canonicalRequests(pl: Places): Canonical[] {
  const init = packet(T.INIT, u32(3));
  const preamble = Buffer.concat([
    init,
    packet(T.OPEN, u32(1), str(`${pl.ro}/hello.txt`), u32(PF.READ), attrs()),
    packet(T.OPENDIR, u32(2), str(pl.ro)),
    packet(T.OPEN, u32(3), str(`${pl.rw}/data.txt`), u32(PF.READ | PF.WRITE), attrs()),
  ]);
  const h = (n: number): Buffer => str(u32(n));
  const all = { size: 3, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: 0o644, atime: 1_700_000_000, mtime: 1_700_000_000 };
  const id = u32(77);
  const reqs: [string, number, Buffer[]][] = [
    ['OPEN read', T.OPEN, [str(`${pl.ro}/hello.txt`), u32(PF.READ), attrs()]],
    ['OPEN create', T.OPEN, [str(`${pl.rw}/fz-t`), u32(PF.WRITE | PF.CREAT | PF.TRUNC), attrs({ mode: 0o600 })]],
    ['CLOSE', T.CLOSE, [h(1)]],
    ['READ', T.READ, [h(1), u64(0), u32(100)]],
    ['WRITE', T.WRITE, [h(3), u64(0), str('xy')]],
    ['LSTAT', T.LSTAT, [str(`${pl.ro}/rel-bad`)]],
    ['FSTAT', T.FSTAT, [h(1)]],
    ['SETSTAT', T.SETSTAT, [str(`${pl.rw}/data.txt`), attrs({ mode: 0o640, atime: 1, mtime: 2 })]],
    ['FSETSTAT', T.FSETSTAT, [h(3), attrs(all)]],
    ['OPENDIR', T.OPENDIR, [str(pl.ro)]],
    ['READDIR', T.READDIR, [h(2)]],
    ['REMOVE', T.REMOVE, [str(`${pl.rw}/data.txt`)]],
    ['MKDIR', T.MKDIR, [str(`${pl.rw}/fz-d`), attrs({ mode: 0o755 })]],
    ['RMDIR', T.RMDIR, [str(`${pl.rw}/sub`)]],
    ['REALPATH', T.REALPATH, [str(`${pl.ro}/sub/../hello.txt`)]],
    ['STAT', T.STAT, [str(`${pl.ro}/abs-good`)]],
    ['RENAME', T.RENAME, [str(`${pl.rw}/data.txt`), str(`${pl.rw}/fz-r`)]],
    ['READLINK', T.READLINK, [str(`${pl.ro}/abs-bad`)]],
    ['SYMLINK', T.SYMLINK, [str('../canary'), str(`${pl.rw}/fz-l`)]],
    ['posix-rename', T.EXTENDED, [str('posix-rename@openssh.com'), str(`${pl.rw}/data.txt`), str(`${pl.rw}/fz-r`)]],
    ['statvfs', T.EXTENDED, [str('statvfs@openssh.com'), str('/')]],
    ['hardlink', T.EXTENDED, [str('hardlink@openssh.com'), str(`${pl.rw}/data.txt`), str(`${pl.rw}/fz-h`)]],
    ['fsync', T.EXTENDED, [str('fsync@openssh.com'), h(3)]],
    ['unknown extension', T.EXTENDED, [str('copy-data'), h(3), u64(0), u64(0), h(3), u64(0)]],
  ];
  const out: Canonical[] = reqs.map(([name, type, fields]) => ({ name, preamble, type, body: Buffer.concat([id, ...fields]) }));
  out.push({ name: 'INIT with an extension', preamble: Buffer.alloc(0), type: T.INIT, body: Buffer.concat([u32(3), str('x@y'), str('1')]) });
  return out;
}
