/**
 * A minimal SFTP v3 client that encodes every packet by hand, so tests can send exactly
 * what a hostile or broken client would: forged handles, bad paths, garbage bytes.
 */
import { Duplex, PassThrough, type Readable, type Writable } from 'node:stream';

export const T = {
  INIT: 1, VERSION: 2, OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, LSTAT: 7, FSTAT: 8, SETSTAT: 9,
  FSETSTAT: 10, OPENDIR: 11, READDIR: 12, REMOVE: 13, MKDIR: 14, RMDIR: 15, REALPATH: 16,
  STAT: 17, RENAME: 18, READLINK: 19, SYMLINK: 20, STATUS: 101, HANDLE: 102, DATA: 103,
  NAME: 104, ATTRS: 105, EXTENDED: 200, EXTENDED_REPLY: 201,
} as const;

export const FX = { OK: 0, EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, OP_UNSUPPORTED: 8 } as const;
export const PF = { READ: 1, WRITE: 2, APPEND: 4, CREAT: 8, TRUNC: 0x10, EXCL: 0x20 } as const;

export interface A {
  size?: number;
  uid?: number;
  gid?: number;
  mode?: number;
  atime?: number;
  mtime?: number;
}

export type Resp =
  | { type: 'status'; id: number; code: number; message: string }
  | { type: 'handle'; id: number; handle: Buffer }
  | { type: 'data'; id: number; data: Buffer }
  | { type: 'name'; id: number; names: { filename: string; longname: string; attrs: A }[] }
  | { type: 'attrs'; id: number; attrs: A }
  | { type: 'extended'; id: number; data: Buffer }
  | { type: 'other'; id: number; raw: Buffer };

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
export const u64 = (n: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
export const str = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([u32(b.length), b]);
};
export function attrs(a: A = {}): Buffer {
  let flags = 0;
  const parts: Buffer[] = [];
  if (a.size !== undefined) (flags |= 1), parts.push(u64(a.size));
  if (a.uid !== undefined) (flags |= 2), parts.push(u32(a.uid), u32(a.gid ?? 0));
  if (a.mode !== undefined) (flags |= 4), parts.push(u32(a.mode));
  if (a.atime !== undefined) (flags |= 8), parts.push(u32(a.atime), u32(a.mtime ?? 0));
  return Buffer.concat([u32(flags), ...parts]);
}
/** A framed packet: length, type, body. */
export const packet = (type: number, ...body: Buffer[]): Buffer => {
  const b = Buffer.concat([Buffer.from([type]), ...body]);
  return Buffer.concat([u32(b.length), b]);
};

class Reader {
  pos = 0;
  constructor(readonly b: Buffer) {}
  u32(): number {
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    const v = Number(this.b.readBigUInt64BE(this.pos));
    this.pos += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  str(): string {
    return this.bytes().toString('utf8');
  }
  attrs(): A {
    const f = this.u32();
    const a: A = {};
    if (f & 1) a.size = this.u64();
    if (f & 2) (a.uid = this.u32()), (a.gid = this.u32());
    if (f & 4) a.mode = this.u32();
    if (f & 8) (a.atime = this.u32()), (a.mtime = this.u32());
    return a;
  }
}

/** Server duplex plus the client's two ends, over in-memory pipes. */
export function pipePair(): { server: Duplex; toServer: Writable; fromServer: Readable } {
  const c2s = new PassThrough();
  const s2c = new PassThrough();
  return { server: Duplex.from({ readable: c2s, writable: s2c }), toServer: c2s, fromServer: s2c };
}

const PATH_EXTENSIONS = ['posix-rename@openssh.com', 'hardlink@openssh.com', 'statvfs@openssh.com'];

export class RawClient {
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private waiting = new Map<number, (r: Resp) => void>();
  private versionWaiter?: (v: { version: number; extensions: Map<string, string> }) => void;
  private chunks: Buffer[] = [];
  /** Every byte the server sent, to check that a secret never went out (joined on demand: a copy per chunk is quadratic). */
  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
  /** Resolves when the server ends its side. */
  readonly ended: Promise<void>;

  constructor(readonly out: Writable, inp: Readable) {
    inp.on('data', (d: Buffer) => this.onData(d));
    this.ended = new Promise((resolve) => {
      inp.on('end', resolve);
      inp.on('close', resolve);
    });
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) return;
      const p = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      this.dispatch(p);
    }
  }

  private dispatch(p: Buffer): void {
    const r = new Reader(p);
    r.pos = 1;
    if (p[0] === T.VERSION) {
      const version = r.u32();
      const extensions = new Map<string, string>();
      while (r.pos < p.length) extensions.set(r.str(), r.str());
      this.versionWaiter?.({ version, extensions });
      return;
    }
    const id = r.u32();
    let resp: Resp;
    switch (p[0]) {
      case T.STATUS:
        resp = { type: 'status', id, code: r.u32(), message: r.str() };
        break;
      case T.HANDLE:
        resp = { type: 'handle', id, handle: Buffer.from(r.bytes()) };
        break;
      case T.DATA:
        resp = { type: 'data', id, data: Buffer.from(r.bytes()) };
        break;
      case T.NAME: {
        const n = r.u32();
        const names = [];
        for (let i = 0; i < n; i++) names.push({ filename: r.str(), longname: r.str(), attrs: r.attrs() });
        resp = { type: 'name', id, names };
        break;
      }
      case T.ATTRS:
        resp = { type: 'attrs', id, attrs: r.attrs() };
        break;
      case T.EXTENDED_REPLY:
        resp = { type: 'extended', id, data: Buffer.from(p.subarray(5)) };
        break;
      default:
        resp = { type: 'other', id, raw: Buffer.from(p) };
    }
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    w?.(resp);
  }

  raw(bytes: Buffer): void {
    this.out.write(bytes);
  }

  init(): Promise<{ version: number; extensions: Map<string, string> }> {
    const p = new Promise<{ version: number; extensions: Map<string, string> }>((resolve) => (this.versionWaiter = resolve));
    this.raw(packet(T.INIT, u32(3)));
    return p;
  }

  /** Sends a request and waits for the reply with its id (rejects if the server ends first). */
  request(type: number, ...body: Buffer[]): Promise<Resp> {
    const id = this.nextId++;
    const p = new Promise<Resp>((resolve, reject) => {
      this.waiting.set(id, resolve);
      void this.ended.then(() => reject(new Error(`server ended before answering request ${id}`)));
    });
    this.raw(packet(type, u32(id), ...body));
    return p;
  }

  /**
   * Put before every path we send (not symlink targets, which are the remote's text):
   * a run's subtree on a shared session (src/sftp/spaces.ts). REALPATH answers lose it again.
   */
  prefix = '';
  private p = (path: string): Buffer => str(this.prefix === '' ? path : `${this.prefix}/${path.replace(/^\/+/, '')}`);

  open = (path: string, pflags: number, a: A = {}) => this.request(T.OPEN, this.p(path), u32(pflags), attrs(a));
  close = (h: Buffer) => this.request(T.CLOSE, str(h));
  read = (h: Buffer, off: number, len: number) => this.request(T.READ, str(h), u64(off), u32(len));
  write = (h: Buffer, off: number, data: Buffer) => this.request(T.WRITE, str(h), u64(off), str(data));
  lstat = (p: string) => this.request(T.LSTAT, this.p(p));
  stat = (p: string) => this.request(T.STAT, this.p(p));
  fstat = (h: Buffer) => this.request(T.FSTAT, str(h));
  setstat = (p: string, a: A) => this.request(T.SETSTAT, this.p(p), attrs(a));
  fsetstat = (h: Buffer, a: A) => this.request(T.FSETSTAT, str(h), attrs(a));
  opendir = (p: string) => this.request(T.OPENDIR, this.p(p));
  readdir = (h: Buffer) => this.request(T.READDIR, str(h));
  remove = (p: string) => this.request(T.REMOVE, this.p(p));
  mkdir = (p: string, a: A = {}) => this.request(T.MKDIR, this.p(p), attrs(a));
  rmdir = (p: string) => this.request(T.RMDIR, this.p(p));
  realpath = async (p: string): Promise<Resp> => {
    const r = await this.request(T.REALPATH, this.p(p));
    if (r.type !== 'name' || this.prefix === '') return r;
    const strip = (f: string) => (f === this.prefix ? '/' : f.startsWith(this.prefix + '/') ? f.slice(this.prefix.length) : `NOT-IN-RUN:${f}`);
    return { ...r, names: r.names.map((n) => ({ ...n, filename: strip(n.filename) })) };
  };
  rename = (from: string, to: string) => this.request(T.RENAME, this.p(from), this.p(to));
  readlink = (p: string) => this.request(T.READLINK, this.p(p));
  /** OpenSSH argument order, as sshfs sends it: target first, then the link's path. */
  symlink = (target: string, linkPath: string) => this.request(T.SYMLINK, str(target), this.p(linkPath));
  extended = (name: string, ...body: Buffer[]) => this.request(T.EXTENDED, str(name), ...(PATH_EXTENSIONS.includes(name) ? body.map(this.prefixed) : body));
  /** A well-formed string argument of a path-taking extension, with our prefix. */
  private prefixed = (b: Buffer): Buffer => (b.length >= 4 && b.readUInt32BE(0) === b.length - 4 ? this.p(b.subarray(4).toString()) : b);

  // ---- conveniences that assert the expected reply type ----

  async handleOf(r: Promise<Resp>): Promise<Buffer> {
    const x = await r;
    if (x.type !== 'handle') throw new Error(`expected a handle, got ${JSON.stringify(x)}`);
    return x.handle;
  }

  async readAll(path: string): Promise<Buffer> {
    const h = await this.handleOf(this.open(path, PF.READ));
    const parts: Buffer[] = [];
    let off = 0;
    for (;;) {
      const r = await this.read(h, off, 65536);
      if (r.type === 'status' && r.code === FX.EOF) break;
      if (r.type !== 'data') throw new Error(`read ${path}: ${JSON.stringify(r)}`);
      parts.push(r.data);
      off += r.data.length;
    }
    await this.close(h);
    return Buffer.concat(parts);
  }

  async list(path: string): Promise<Map<string, A>> {
    const h = await this.handleOf(this.opendir(path));
    const out = new Map<string, A>();
    for (;;) {
      const r = await this.readdir(h);
      if (r.type === 'status' && r.code === FX.EOF) break;
      if (r.type !== 'name') throw new Error(`readdir ${path}: ${JSON.stringify(r)}`);
      for (const n of r.names) out.set(n.filename, n.attrs);
    }
    await this.close(h);
    return out;
  }
}

/** The status code of a reply, or -1 for a non-status reply (for compact assertions). */
export async function code(r: Promise<Resp>): Promise<number> {
  const x = await r;
  return x.type === 'status' ? x.code : -1;
}
