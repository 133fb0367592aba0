/**
 * Runs filesystem operations on the sshfs mount in a separate process. They cannot run in
 * the test process: its SFTP server needs libuv's thread pool to answer sshfs, and a
 * blocking FUSE call holding a pool thread (or the main thread) would deadlock the mount.
 *
 * Usage: node mount-ops-child.js '<JSON array of Op>'; prints a JSON array of OpResult.
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';

export type Op =
  | { op: 'read' | 'readdir' | 'readlink' | 'unlink' | 'rmdir' | 'mkdir' | 'stat' | 'lstat' | 'sha256' | 'statfs'; path: string }
  | { op: 'write' | 'append'; path: string; data: string }
  | { op: 'truncate'; path: string; len: number }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'rename' | 'link'; path: string; to: string }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'throughput'; path: string };

export type OpResult = { ok: true; value: unknown } | { ok: false; code: string };

function run(o: Op): unknown {
  switch (o.op) {
    case 'read':
      return fs.readFileSync(o.path, 'utf8');
    case 'sha256':
      return createHash('sha256').update(fs.readFileSync(o.path)).digest('hex');
    case 'readdir':
      return fs.readdirSync(o.path).sort();
    case 'readlink':
      return fs.readlinkSync(o.path);
    case 'unlink':
      return fs.unlinkSync(o.path);
    case 'rmdir':
      return fs.rmdirSync(o.path);
    case 'mkdir':
      return fs.mkdirSync(o.path);
    case 'stat':
    case 'lstat': {
      const st = o.op === 'stat' ? fs.statSync(o.path) : fs.lstatSync(o.path);
      return { mode: st.mode, size: st.size, file: st.isFile(), dir: st.isDirectory(), link: st.isSymbolicLink() };
    }
    case 'statfs': {
      const s = fs.statfsSync(o.path);
      return { bsize: s.bsize, blocks: s.blocks };
    }
    case 'write':
      return fs.writeFileSync(o.path, o.data);
    case 'append':
      return fs.appendFileSync(o.path, o.data);
    case 'truncate':
      return fs.truncateSync(o.path, o.len);
    case 'chmod':
      return fs.chmodSync(o.path, o.mode);
    case 'rename':
      return fs.renameSync(o.path, o.to);
    case 'link':
      return fs.linkSync(o.path, o.to);
    case 'symlink':
      return fs.symlinkSync(o.target, o.path);
    case 'throughput': {
      const fd = fs.openSync(o.path, 'r');
      const buf = Buffer.allocUnsafe(1 << 20);
      const hash = createHash('sha256');
      let bytes = 0;
      const t0 = process.hrtime.bigint();
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; bytes += n) hash.update(buf.subarray(0, n));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      fs.closeSync(fd);
      return { bytes, ms, sha256: hash.digest('hex') };
    }
  }
}

if (process.argv[2] !== undefined) {
  const ops = JSON.parse(process.argv[2]) as Op[];
  const out: OpResult[] = ops.map((o) => {
    try {
      return { ok: true, value: run(o) ?? null };
    } catch (e) {
      return { ok: false, code: String((e as { code?: unknown }).code ?? e) };
    }
  });
  process.stdout.write(JSON.stringify(out));
}
