/**
 * The parts of ssh2's server-side SFTP class we use, and the few packets we encode ourselves.
 * ssh2 1.17 does not export the class publicly, so it is a deep import of
 * ssh2/lib/protocol/SFTP.js (no "exports" map in ssh2's package.json, so Node allows it).
 */
import type { EventEmitter } from 'node:events';
// An import, not createRequire: the bundle (hack/bundle.mjs) then holds one copy of ssh2,
// where a require() at run time loaded SFTP.js and its dependencies a second time.
import sftpModule from 'ssh2/lib/protocol/SFTP.js';

export const OPEN_MODE = {
  READ: 0x01,
  WRITE: 0x02,
  APPEND: 0x04,
  CREAT: 0x08,
  TRUNC: 0x10,
  EXCL: 0x20,
} as const;

/**
 * An ATTRS field as ssh2 parses and encodes it; every field is optional on the wire, uid
 * goes with gid and atime with mtime (seconds).
 */
export interface Attrs {
  size?: number;
  uid?: number;
  gid?: number;
  mode?: number;
  atime?: number;
  mtime?: number;
}

export interface NameEntry {
  filename: string;
  longname: string;
  attrs: Attrs;
}

/** The channel-shaped object ssh2's SFTP sends through. */
export interface SftpShim {
  _protocol: {
    _remoteIdentRaw: string;
    channelData(id: number, data: Buffer): void;
    channelClose(id: number): void;
  };
}

export interface SftpServerSession extends EventEmitter {
  push(data: Buffer | null): void;
  destroy(): void;
  status(reqid: number, code: number, message?: string): void;
  handle(reqid: number, handle: Buffer): void;
  data(reqid: number, data: Buffer): void;
  name(reqid: number, names: NameEntry[]): void;
  attrs(reqid: number, attrs: Attrs): void;
}

interface ChanInfo {
  type: string;
  incoming: { id: number; window: number; packetSize: number; state: string };
  outgoing: { id: number; window: number; packetSize: number; state: string };
}

type SftpCtor = new (client: SftpShim, chanInfo: ChanInfo, cfg: { server: true; debug?: (s: string) => void }) => SftpServerSession;

const { SFTP } = sftpModule as { SFTP: SftpCtor };

/**
 * An OpenSSH ident makes ssh2 swap SYMLINK's arguments back: OpenSSH's sftp-server takes
 * the target before the link path, against the draft, so clients (sshfs included, see
 * sshfs_symlink) send them in that order.
 */
const OPENSSH_IDENT = 'SSH-2.0-OpenSSH_9.2';

/**
 * Builds a server session that writes through `send`. The window and packet size are
 * infinite so ssh2 never buffers: every reply reaches `send` synchronously and in order,
 * which is what lets us interleave packets we encode ourselves.
 */
export function newServerSession(send: (buf: Buffer) => void, onClose: () => void): SftpServerSession {
  const shim: SftpShim = {
    _protocol: {
      _remoteIdentRaw: OPENSSH_IDENT,
      channelData: (_id, data) => send(data),
      channelClose: () => onClose(),
    },
  };
  const side = { id: 0, window: Infinity, packetSize: Infinity, state: 'open' };
  return new SFTP(shim, { type: 'sftp', incoming: { ...side }, outgoing: side }, { server: true });
}

// ---- packets ssh2's server class cannot send ----

const RESPONSE_VERSION = 2;
const RESPONSE_DATA = 103;
const RESPONSE_EXTENDED_REPLY = 201;

/** ssh2 1.17's VERSION reply, byte for byte: version 3, no extensions. */
export const SSH2_VERSION_PACKET = Buffer.from([0, 0, 0, 5, RESPONSE_VERSION, 0, 0, 0, 3]);

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

export function versionPacket(extensions: [string, string][]): Buffer {
  const body = Buffer.concat([
    Buffer.from([RESPONSE_VERSION, 0, 0, 0, 3]),
    ...extensions.flatMap(([k, v]) => [str(k), str(v)]),
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** SSH_FXP_EXTENDED_REPLY carrying `fields` as uint64s (the statvfs@openssh.com layout). */
export function extendedReplyU64(reqid: number, fields: number[]): Buffer {
  const buf = Buffer.alloc(9 + 8 * fields.length);
  buf.writeUInt32BE(buf.length - 4, 0);
  buf[4] = RESPONSE_EXTENDED_REPLY;
  buf.writeUInt32BE(reqid, 5);
  fields.forEach((v, i) => buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(v))), 9 + 8 * i));
  return buf;
}

/** Header size of SSH_FXP_DATA: length, type, request id, data length. */
export const DATA_HEADER = 13;

/**
 * Makes a DATA packet of a buffer holding `n` file bytes at DATA_HEADER (read there
 * straight from the file or the read-ahead), saving the copy ssh2's data() makes.
 */
export function finishDataPacket(buf: Buffer, reqid: number, n: number): Buffer {
  buf.writeUInt32BE(DATA_HEADER - 4 + n, 0);
  buf[4] = RESPONSE_DATA;
  buf.writeUInt32BE(reqid, 5);
  buf.writeUInt32BE(n, 9);
  return buf.subarray(0, DATA_HEADER + n);
}

/** Reads the SSH strings and uint64s of an EXTENDED request's payload; undefined if short. */
export class PayloadReader {
  private pos = 0;
  constructor(private readonly buf: Buffer | undefined) {}

  bytes(): Buffer | undefined {
    const b = this.buf;
    if (!b || this.pos + 4 > b.length) return undefined;
    const len = b.readUInt32BE(this.pos);
    if (this.pos + 4 + len > b.length) return undefined;
    const out = b.subarray(this.pos + 4, this.pos + 4 + len);
    this.pos += 4 + len;
    return out;
  }

  string(): string | undefined {
    return this.bytes()?.toString('utf8');
  }
}
