/**
 * Input generators for the SFTP fuzz test. Each returns the bytes a client writes, already
 * cut into the chunks it writes them in:
 *  - randomFrames: random bytes in random-length frames (after a valid INIT, mostly);
 *  - structured: a request of every type with fields from fuzz-fields.ts, each request
 *    possibly mutated (lying string lengths, truncation, trailing junk, lying frame length,
 *    swapped type, bit flips);
 *  - mutateRecorded: bit flips, splices, duplicated, dropped and reordered packets of a
 *    recorded valid session.
 */
import { Rng } from './fuzz-rng.js';
import { genAttrs, genHandle, genLinkTarget, genOpen, genPath, genU64, type Places } from './fuzz-fields.js';
import { packet, str, T, u32 } from './raw-client.js';
import { PROBE_ID } from './fuzz-session.js';

/** One field of a request body; strings are kept apart so their length prefix can lie. */
export type Field = { s: Buffer } | { raw: Buffer };

export interface Req {
  type: number;
  fields: Field[];
}

export const EXTENSIONS = ['posix-rename@openssh.com', 'statvfs@openssh.com', 'hardlink@openssh.com', 'fsync@openssh.com'];
const OTHER_EXTENSIONS = ['limits@openssh.com', 'expand-path@openssh.com', 'copy-data', 'home-directory', 'lsetstat@openssh.com', 'fstatvfs@openssh.com', 'users-groups-by-id@openssh.com', ''];

export const REQUEST_TYPES = [
  T.OPEN, T.CLOSE, T.READ, T.WRITE, T.LSTAT, T.FSTAT, T.SETSTAT, T.FSETSTAT, T.OPENDIR, T.READDIR, T.REMOVE, T.MKDIR,
  T.RMDIR, T.REALPATH, T.STAT, T.RENAME, T.READLINK, T.SYMLINK, T.EXTENDED,
] as const;

/** Request ids: mostly counters like a real client's, sometimes edge values; never the probe's. */
export function genId(rng: Rng, n: number): number {
  const id = rng.chance(0.9) ? 1000 + n : rng.pick([0, 1, 0x7fffffff, 0xffffffff, rng.u32()]);
  return id === PROBE_ID ? 0 : id;
}

export interface GenState {
  /** OPEN/OPENDIR requests sent so far: an upper bound on the handles issued. */
  issued: number;
  n: number;
}

export function genRequest(rng: Rng, pl: Places, st: GenState, type: number = rng.pick(REQUEST_TYPES)): Req {
  const id: Field = { raw: u32(genId(rng, st.n++)) };
  const p = (): Field => ({ s: genPath(rng, pl) });
  const h = (): Field => ({ s: genHandle(rng, st.issued) });
  const a = (): Field => ({ raw: genAttrs(rng) });
  const f = (...fields: Field[]): Req => ({ type, fields: [id, ...fields] });
  switch (type) {
    case T.OPEN: {
      st.issued++;
      const o = genOpen(rng, pl);
      return f({ s: o.path }, { raw: u32(o.pflags) }, a());
    }
    case T.OPENDIR:
      st.issued++;
      return f(p());
    case T.CLOSE:
    case T.FSTAT:
    case T.READDIR:
      return f(h());
    case T.READ:
      return f(h(), { raw: genU64(rng) }, { raw: u32(rng.chance(0.8) ? rng.pick([0, 1, 4096, 32768, 65536]) : rng.interestingU32()) });
    case T.WRITE:
      return f(h(), { raw: genU64(rng) }, { s: rng.bytes(rng.chance(0.9) ? rng.int(600) : rng.int(70_000)) });
    case T.SETSTAT:
    case T.MKDIR:
      return f(p(), a());
    case T.FSETSTAT:
      return f(h(), a());
    case T.RENAME:
      return f(p(), p());
    case T.SYMLINK:
      // OpenSSH order, as sshfs sends it: target, then the link's path.
      return f({ s: genLinkTarget(rng, pl) }, p());
    case T.EXTENDED: {
      const name = rng.chance(0.85) ? rng.pick(EXTENSIONS) : rng.chance(0.8) ? rng.pick(OTHER_EXTENSIONS) : rng.bytes(rng.int(20)).toString('latin1');
      const ext: Field = { s: Buffer.from(name, rng.chance(0.5) ? 'utf8' : 'latin1') };
      switch (name) {
        case 'posix-rename@openssh.com':
        case 'hardlink@openssh.com':
          return f(ext, p(), ...(rng.chance(0.9) ? [p()] : []));
        case 'statvfs@openssh.com':
          return f(ext, ...(rng.chance(0.9) ? [p()] : []));
        case 'fsync@openssh.com':
          return f(ext, ...(rng.chance(0.9) ? [h()] : []));
        default:
          return f(ext, ...(rng.chance(0.5) ? [p()] : [{ raw: rng.bytes(rng.int(16)) }]));
      }
    }
    default: // LSTAT, STAT, REMOVE, RMDIR, REALPATH, READLINK
      return f(p());
  }
}

export function encodeFields(fields: Field[], lieAt = -1, lie = 0): Buffer {
  return Buffer.concat(
    fields.map((fl, i) => ('s' in fl ? Buffer.concat([u32(i === lieAt ? lie : fl.s.length), fl.s]) : fl.raw)),
  );
}

export function encodeReq(r: Req): Buffer {
  return packet(r.type, encodeFields(r.fields));
}

function frame(type: number, body: Buffer, len = body.length + 1): Buffer {
  return Buffer.concat([u32(len), Buffer.from([type & 0xff]), body]);
}

/** One request, mutated with probability `p` in one of the ways a broken client would. */
export function mutateReq(rng: Rng, r: Req, p: number): Buffer {
  if (!rng.chance(p)) return encodeReq(r);
  const strings = r.fields.flatMap((fl, i) => ('s' in fl ? [i] : []));
  switch (rng.int(7)) {
    case 0: {
      if (strings.length === 0) break;
      const at = rng.pick(strings);
      const real = (r.fields[at] as { s: Buffer }).s.length;
      const lie = rng.chance(0.5) ? rng.interestingU32() : Math.max(0, real + rng.pick([-2, -1, 1, 2, 4]));
      return frame(r.type, encodeFields(r.fields, at, lie));
    }
    case 1: {
      const body = encodeFields(r.fields);
      return frame(r.type, body.subarray(0, rng.int(body.length + 1)));
    }
    case 2:
      return frame(r.type, Buffer.concat([encodeFields(r.fields), rng.bytes(rng.range(1, 16))]));
    case 3: {
      const body = encodeFields(r.fields);
      const len = rng.chance(0.5) ? rng.interestingU32() : Math.max(0, body.length + 1 + rng.pick([-3, -1, 1, 2, 7]));
      return frame(r.type, body, len);
    }
    case 4:
      return frame(rng.chance(0.5) ? rng.int(256) : rng.pick(REQUEST_TYPES), encodeFields(r.fields));
    case 5: {
      const b = encodeReq(r);
      for (let i = rng.range(1, 4); i > 0; i--) b[4 + rng.int(b.length - 4)] ^= 1 << rng.int(8);
      return b;
    }
    case 6:
      if (r.fields.length > 1) {
        const fields = [...r.fields];
        if (rng.chance(0.5)) fields.splice(1 + rng.int(fields.length - 1), 1);
        else fields.push(fields[1 + rng.int(fields.length - 1)]);
        return frame(r.type, encodeFields(fields));
      }
  }
  return encodeReq(r);
}

export function genInit(rng: Rng): Buffer {
  if (rng.chance(0.95)) return packet(T.INIT, u32(3));
  return rng.pick([
    packet(T.INIT, u32(rng.pick([0, 1, 2, 4, 6, 0xffffffff]))),
    packet(T.INIT, u32(3), str('posix-rename@openssh.com'), str('1')),
    packet(T.INIT, u32(3), str('dangling-extension-name')),
    packet(T.INIT),
    packet(T.INIT, Buffer.from([0, 0])),
  ]);
}

/** Cuts `bytes` into the chunks the client writes: whole, a few pieces, or single bytes. */
export function chunked(rng: Rng, bytes: Buffer): Buffer[] {
  if (bytes.length < 2 || rng.chance(0.4)) return [bytes];
  if (bytes.length < 400 && rng.chance(0.1)) return [...bytes].map((b) => Buffer.from([b]));
  const cuts = new Set<number>();
  for (let i = rng.range(1, 8); i > 0; i--) cuts.add(1 + rng.int(bytes.length - 1));
  const sorted = [...cuts].sort((a, b) => a - b);
  return [0, ...sorted].map((c, i) => bytes.subarray(c, sorted[i] ?? bytes.length));
}

/** (a) random bytes in random-length frames. */
export function randomFrames(rng: Rng): Buffer {
  const parts: Buffer[] = rng.chance(0.85) ? [packet(T.INIT, u32(3))] : [];
  for (let i = rng.range(1, 40); i > 0; i--) {
    const roll = rng.int(10);
    if (roll < 4) {
      parts.push(frame(rng.chance(0.5) ? rng.int(256) : rng.pick(REQUEST_TYPES), rng.bytes(rng.int(300))));
    } else if (roll < 7) {
      const body = rng.chance(0.5) ? rng.sparseBytes(rng.int(64)) : rng.bytes(rng.int(64));
      parts.push(frame(rng.pick(REQUEST_TYPES), Buffer.concat([u32(genId(rng, i)), body])));
    } else if (roll < 9) {
      parts.push(frame(rng.int(256), rng.bytes(rng.int(300)), rng.interestingU32()));
    } else {
      parts.push(rng.bytes(rng.int(32)));
    }
  }
  return Buffer.concat(parts);
}

/** (b) structure-aware requests of every type, some mutated. */
export function structured(rng: Rng, pl: Places): Buffer {
  const st: GenState = { issued: 0, n: 0 };
  const parts = [genInit(rng)];
  const mutateP = rng.pick([0, 0, 0.02, 0.05, 0.15, 0.4]);
  for (let i = rng.range(1, 30); i > 0; i--) parts.push(mutateReq(rng, genRequest(rng, pl, st), mutateP));
  return Buffer.concat(parts);
}

/** (c) a recorded valid session (one buffer per packet), mutated 1-4 times. */
export function mutateRecorded(rng: Rng, recorded: Buffer[], pl: Places): Buffer {
  let pkts = [...recorded];
  const st: GenState = { issued: 6, n: 5000 };
  for (let m = rng.range(1, 4); m > 0; m--) {
    const i = 1 + rng.int(pkts.length - 1); // mostly leave INIT alone; byte mutations may still hit it
    switch (pkts.length < 2 ? 7 : rng.int(8)) {
      case 0:
        pkts.splice(i, 0, pkts[rng.int(pkts.length)]);
        break;
      case 1: {
        const j = 1 + rng.int(pkts.length - 1);
        [pkts[i], pkts[j]] = [pkts[j], pkts[i]];
        break;
      }
      case 2:
        pkts.splice(i, 1);
        break;
      case 3:
        pkts.splice(i, 0, mutateReq(rng, genRequest(rng, pl, st), 0.3));
        break;
      default: {
        // Byte level on the whole stream: flips, interesting bytes, a splice, a cut.
        const b = Buffer.from(Buffer.concat(pkts));
        const kind = rng.int(4);
        if (kind === 0) for (let k = rng.range(1, 8); k > 0; k--) b[rng.int(b.length)] ^= 1 << rng.int(8);
        if (kind === 1) for (let k = rng.range(1, 4); k > 0; k--) b[rng.int(b.length)] = rng.pick([0, 0xff, 0x7f, 0x80, 1]);
        if (kind === 2) {
          const from = rng.int(b.length);
          const len = rng.int(Math.min(64, b.length - from));
          const piece = Buffer.from(b.subarray(from, from + len));
          const at = rng.int(b.length);
          pkts = [b.subarray(0, at), piece, b.subarray(rng.chance(0.5) ? at : Math.min(b.length, at + len))];
          break;
        }
        pkts = kind === 3 ? [b.subarray(0, rng.int(b.length))] : [b];
      }
    }
  }
  return Buffer.concat(pkts);
}
