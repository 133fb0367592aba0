/**
 * Runs one fuzz session against a fresh server and checks the per-session oracles:
 *  - the session ends or keeps answering: after the input (padded so that a pending partial
 *    packet completes) a STAT probe is either answered or the server has closed its side and
 *    logged why; a packet ssh2's framing rejects must close it;
 *  - when it keeps answering, every request got exactly one reply (request ids as a multiset);
 *  - every reply is a well-formed SFTP v3 packet, nothing sent contains a forbidden byte
 *    string (secret, canary, unlisted names, /etc/passwd), and no ATTRS or NAME reply carries
 *    the mtime that only entries outside the exports have;
 *  - the server finishes (done resolves) once the client ends its side.
 * Framing is simulated with ssh2 1.17's rules (SFTP.js push(): 256 KiB max, zero length
 * fatal, unknown or client-only types fatal, INIT first and only once).
 */
import { startSftpServer, type SftpServerOptions } from '../../src/sftp/server.js';
import type { ExportTable } from '../../src/sftp/exports.js';
import { packet, pipePair, str, T, u32 } from './raw-client.js';
import { checkReplies } from './fuzz-replies.js';
import type { Pair } from './fuzz-socketpair.js';
import { within } from './within.js';

const MAX_PKT = 256 * 1024;
const SERVER_TYPES = new Set([1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 200]);
/** A request id the generators never produce on purpose. */
export const PROBE_ID = 0x5eed_c0de;
const DEFAULT_TIMEOUT_MS = 15_000;

export interface Framing {
  /** Request ids of the complete, acceptable frames (INIT excluded). */
  ids: number[];
  /** What each of them is: its type's name, or the extension's name. */
  kinds: string[];
  end: 'aligned' | 'partial' | 'fatal';
  /** Bytes missing to complete the last frame (end = partial). */
  need: number;
  reason?: string;
}

export function simulateFraming(bytes: Buffer): Framing {
  let p = 0;
  let inited = false;
  const ids: number[] = [];
  const kinds: string[] = [];
  const fatal = (reason: string): Framing => ({ ids, kinds, end: 'fatal', need: 0, reason });
  while (p < bytes.length) {
    const left = bytes.length - p;
    if (left < 4) return { ids, kinds, end: 'partial', need: 4 - left };
    // ssh2 reads lengths >= 2^31 as negative and throws on the next byte; both are fatal.
    const len = bytes.readUInt32BE(p);
    if (len === 0) return fatal('zero length');
    if (len > MAX_PKT) return fatal(`length ${len}`);
    if (left - 4 < len) return { ids, kinds, end: 'partial', need: len - (left - 4) };
    const type = bytes[p + 4];
    if (!SERVER_TYPES.has(type)) return fatal(`type ${type}`);
    if (!inited && type !== T.INIT) return fatal('request before INIT');
    if (inited && type === T.INIT) return fatal('second INIT');
    if (type === T.INIT) inited = true;
    else {
      ids.push(len >= 5 ? bytes.readUInt32BE(p + 5) : -1);
      kinds.push(kindOf(bytes.subarray(p + 4, p + 4 + len)));
    }
    p += 4 + len;
  }
  return { ids, kinds, end: 'aligned', need: 0 };
}

export const TYPE_NAMES = new Map(Object.entries(T).map(([k, v]) => [v as number, k]));

function kindOf(frame: Buffer): string {
  if (frame[0] !== T.EXTENDED) return TYPE_NAMES.get(frame[0]) ?? `type ${frame[0]}`;
  const n = frame.length >= 9 ? frame.readUInt32BE(5) : -1;
  return n >= 0 && n <= 64 && 9 + n <= frame.length ? frame.subarray(9, 9 + n).toString('latin1') : 'EXTENDED?';
}

export interface SessionSpec {
  table: ExportTable;
  /** What the client writes, chunk by chunk (chunk boundaries are part of the input). */
  chunks: Buffer[];
  /** Path whose STAT must answer with ATTRS while the session is alive. */
  probePath: string;
  forbidden: Buffer[];
  /** An mtime only entries outside the exports have: seeing it in attributes is a leak. */
  forbiddenMtime?: number;
  opts?: SftpServerOptions;
  /** Per-step bound (default 15 s of the process's own running time, within.ts): a step that takes longer is a hang. */
  timeoutMs?: number;
  /** false: end the input right after the chunks (EOF mid-packet) instead of probing. */
  probe?: boolean;
  /** The streams to use (a socket pair); in-memory pipes by default. */
  pair?: Pair;
}

export interface SessionResult {
  outcome: 'answered' | 'closed';
  /** Requests that succeeded (a non-STATUS reply, OK or EOF), by kind: how deep the input got. */
  served: Map<string, number>;
  framing: Framing;
  received: Buffer;
  logs: string[];
}

/** Throws an Error describing the first broken oracle. */
export async function runSession(spec: SessionSpec): Promise<SessionResult> {
  const { server: duplex, toServer, fromServer } = spec.pair ?? pipePair();
  const timeout = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const logs: string[] = [];
  const server = startSftpServer(duplex, spec.table, { log: (l) => logs.push(l), ...spec.opts });
  const chunks: Buffer[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let versionSeen = false;
  let probeReply: Buffer | undefined;
  let onProbe!: () => void;
  const probed = new Promise<'answered'>((resolve) => (onProbe = () => resolve('answered')));
  const ended = new Promise<'closed'>((resolve) => {
    fromServer.on('end', () => resolve('closed'));
    fromServer.on('close', () => resolve('closed'));
  });
  fromServer.on('data', (d: Buffer) => {
    chunks.push(d);
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      const frame = pending.subarray(4, 4 + pending.readUInt32BE(0));
      pending = pending.subarray(4 + frame.length);
      if (!versionSeen) versionSeen = true;
      else if (frame.length >= 5 && frame.readUInt32BE(1) === PROBE_ID && !probeReply) {
        probeReply = Buffer.from(frame);
        onProbe();
      }
    }
  });
  const fail = (msg: string): never => {
    if (!toServer.writableEnded) toServer.end();
    throw new Error(`${msg}\n  server log: ${logs.slice(-5).join(' | ') || '(empty)'}`);
  };

  const input = Buffer.concat(spec.chunks);
  for (const c of spec.chunks) toServer.write(c);
  let framing = simulateFraming(input);
  let outcome: 'answered' | 'closed';
  // Where a hang stopped: the first request (in the order sent) without its reply, and the server's counts.
  const progress = (): string => {
    const answered = new Set(checkReplies(Buffer.concat(chunks), { partialOk: true }).replies.map((r) => r.id));
    const k = framing.ids.findIndex((id) => !answered.has(id));
    const first = k < 0 ? 'none (the probe itself)' : `#${k} ${framing.kinds[k]} (id ${framing.ids[k]})`;
    return `${answered.size} of ${framing.ids.length} requests answered, the first unanswered: ${first}; server ${JSON.stringify(server.stats())}`;
  };
  const closedWithReason = (): boolean => logs.some((l) => l.includes('closing the session'));
  const expectOneReplyEach = (ids: number[], extra: number[]): void => {
    const { replies, problems } = checkReplies(Buffer.concat(chunks), { partialOk: true });
    if (problems.length) fail(`malformed reply: ${problems[0]}`);
    const got = replies.map((r) => r.id);
    const want = [...ids, ...extra].sort((a, b) => a - b).join(',');
    if (want !== got.sort((a, b) => a - b).join(',')) {
      fail(`not exactly one reply per request: want ids [${want.slice(0, 120)}], got [${got.join(',').slice(0, 120)}]`);
    }
  };
  if (spec.probe === false) {
    // EOF right after the input: the server answers what it accepted, then finishes.
    toServer.end();
    await within(server.done, timeout, 'server.done after EOF').catch((e: Error) => fail(e.message));
    await within(ended, timeout, 'the server ending its side after EOF').catch((e: Error) => fail(e.message));
    outcome = 'closed';
    if (!closedWithReason()) expectOneReplyEach(framing.ids, []);
  } else {
    // Complete a pending partial frame with zeros so that the probe starts on a frame boundary.
    let padded = input;
    while (framing.end === 'partial') {
      const pad = Buffer.alloc(framing.need);
      toServer.write(pad);
      padded = Buffer.concat([padded, pad]);
      framing = simulateFraming(padded);
    }
    // Sent even after a fatal frame: a length >= 2^31 only trips ssh2 when more bytes arrive.
    toServer.write(packet(T.STAT, u32(PROBE_ID), str(spec.probePath)));
    outcome = await within(Promise.race([probed, ended]), timeout, 'hang: the probe was neither answered nor the session closed').catch(
      (e: Error) => fail(`${e.message}; ${progress()}`),
    );
    if (framing.end === 'fatal' && outcome !== 'closed') fail(`framing says fatal (${framing.reason}) but the probe was answered`);
    if (outcome === 'answered') {
      if (probeReply![0] !== T.ATTRS) fail(`probe answered with type ${probeReply![0]}, not ATTRS`);
      expectOneReplyEach(framing.ids, [PROBE_ID]);
    } else if (!closedWithReason()) {
      fail('the server closed its side without saying why');
    }
  }

  if (!toServer.writableEnded) toServer.end();
  await within(server.done, timeout, 'server.done after the client ended').catch((e: Error) => fail(e.message));
  await within(ended, timeout, 'the server ending its side').catch((e: Error) => fail(e.message));
  const received = Buffer.concat(chunks);
  const { replies, problems } = checkReplies(received, { partialOk: false });
  if (problems.length) fail(`malformed reply: ${problems[0]}`);
  const served = new Map<string, number>();
  const kindById = new Map<number, string>();
  framing.ids.forEach((id, i) => kindById.set(id, kindById.has(id) ? '?' : framing.kinds[i]));
  for (const r of replies) {
    if (spec.forbiddenMtime !== undefined && r.mtimes.includes(spec.forbiddenMtime)) {
      fail(`reply to request ${r.id} carries the attributes of an entry outside the exports (mtime ${spec.forbiddenMtime})`);
    }
    const kind = kindById.get(r.id);
    if (kind && kind !== '?' && (r.code === undefined || r.code <= 1)) served.set(kind, (served.get(kind) ?? 0) + 1);
  }
  for (const f of spec.forbidden) {
    if (received.includes(f)) fail(`a reply contains forbidden bytes ${JSON.stringify(f.toString().slice(0, 40))}`);
  }
  return { outcome, served, framing, received, logs };
}
