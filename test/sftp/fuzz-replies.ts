/**
 * A strict parser for what the server sends: VERSION first, then replies that each parse
 * to exactly their frame's end. Anything else (a stray byte, an unknown type, a string that
 * overruns its packet) is a problem the fuzz test reports: sshfs would choke on it.
 */
import { T } from './raw-client.js';

const MAX_READ = 255 * 1024;

class Cursor {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  need(n: number, what: string): void {
    if (this.pos + n > this.b.length) throw new Error(`${what} overruns the packet`);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
  bytes(what: string): Buffer {
    const n = this.u32(`${what} length`);
    this.need(n, what);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** Returns the mtime, if the attributes carry one. */
  attrs(): number | undefined {
    const flags = this.u32('attr flags');
    if (flags & ~0xf) throw new Error(`attr flags ${flags.toString(16)} has unknown bits`);
    if (flags & 1) this.skip(8, 'size');
    if (flags & 2) this.skip(8, 'uid/gid');
    if (flags & 4) this.skip(4, 'mode');
    if (!(flags & 8)) return undefined;
    this.skip(4, 'atime');
    return this.u32('mtime');
  }
  atEnd(what: string): void {
    if (this.pos !== this.b.length) throw new Error(`${what}: ${this.b.length - this.pos} stray bytes`);
  }
}

export interface Reply {
  id: number;
  type: number;
  /** The status code of a STATUS reply. */
  code?: number;
  /** Every mtime in its attributes (ATTRS, NAME), to spot metadata from outside the exports. */
  mtimes: number[];
}

function checkReply(frame: Buffer): Reply {
  const c = new Cursor(frame);
  c.skip(1, 'type');
  const id = c.u32('request id');
  let code: number | undefined;
  const mtimes: number[] = [];
  const attrs = (): void => {
    const m = c.attrs();
    if (m !== undefined) mtimes.push(m);
  };
  switch (frame[0]) {
    case T.STATUS: {
      code = c.u32('status code');
      if (code > 8) throw new Error(`status code ${code}`);
      c.bytes('message');
      c.bytes('language tag');
      break;
    }
    case T.HANDLE:
      if (c.bytes('handle').length !== 4) throw new Error('handle is not 4 bytes');
      break;
    case T.DATA:
      if (c.bytes('data').length > MAX_READ) throw new Error('DATA over 255 KiB');
      break;
    case T.NAME: {
      const n = c.u32('name count');
      if (n > 10_000) throw new Error(`name count ${n}`);
      for (let i = 0; i < n; i++) {
        c.bytes('filename');
        c.bytes('longname');
        attrs();
      }
      break;
    }
    case T.ATTRS:
      attrs();
      break;
    case T.EXTENDED_REPLY:
      // The only one we send: statvfs@openssh.com, 11 uint64s.
      c.skip(88, 'statvfs reply');
      break;
    default:
      throw new Error(`reply type ${frame[0]}`);
  }
  c.atEnd(`reply type ${frame[0]}`);
  return { id, type: frame[0], code, mtimes };
}

export interface ReplyCheck {
  /** The replies (VERSION excluded), in order. */
  replies: Reply[];
  problems: string[];
}

/** With `partialOk`, a trailing incomplete frame (more is on its way) is not a problem. */
export function checkReplies(buf: Buffer, opts: { partialOk: boolean }): ReplyCheck {
  const replies: Reply[] = [];
  const problems: string[] = [];
  let p = 0;
  let first = true;
  while (p < buf.length && problems.length === 0) {
    if (buf.length - p < 4 || buf.length - p - 4 < buf.readUInt32BE(p)) {
      if (!opts.partialOk) problems.push(`${buf.length - p} trailing bytes of an incomplete frame`);
      break;
    }
    const len = buf.readUInt32BE(p);
    const frame = buf.subarray(p + 4, p + 4 + len);
    p += 4 + len;
    try {
      if (len === 0) throw new Error('empty frame');
      if (first) {
        if (frame[0] !== T.VERSION) throw new Error(`first packet is type ${frame[0]}, not VERSION`);
        const c = new Cursor(frame);
        c.skip(1, 'type');
        if (c.u32('version') !== 3) throw new Error('VERSION is not 3');
        while (c.pos < frame.length) (c.bytes('extension name'), c.bytes('extension data'));
      } else {
        replies.push(checkReply(frame));
      }
    } catch (e) {
      problems.push(`packet ${replies.length + (first ? 0 : 1)}: ${(e as Error).message} (${frame.subarray(0, 32).toString('hex')})`);
    }
    first = false;
  }
  return { replies, problems };
}
