/**
 * Fuzzes the SFTP server with thousands of random, structure-aware and mutated packets,
 * each session a fresh server on in-memory pipes (some on a Unix socket pair). Oracles (see
 * fuzz-session.ts for the per-session ones): the process never throws; every session keeps
 * answering or closes cleanly; nothing outside the writable exports is created, changed or
 * deleted; no reply carries a byte or an attribute from outside the exports; a fresh session
 * still works; fds do not leak.
 *
 * Deterministic: GOCPU_FUZZ_SEED (default below) picks every input, and each session's own
 * stream is derived from (seed, generator, index). GOCPU_FUZZ_ITERATIONS is the number of
 * sessions per generator. A failure names both and saves the session's input bytes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duplex, PassThrough, Transform } from 'node:stream';
import { ExportTable } from '../../src/sftp/exports.js';
import { startSession } from './fixture.js';
import { attrs, packet, PF, str, T, u32, u64 } from './raw-client.js';
import { diffSnapshots, FUZZ_NAME_PREFIX, makeFuzzFixture, type FuzzFixture } from './fuzz-fixture.js';
import { hashName, mixSeed, Rng } from './fuzz-rng.js';
import { runSession, TYPE_NAMES, type SessionSpec } from './fuzz-session.js';
import { checkReplies } from './fuzz-replies.js';
import { chunked, EXTENSIONS, mutateRecorded, randomFrames, REQUEST_TYPES, structured } from './fuzz-generators.js';
import { recordValidSession } from './fuzz-record.js';
import { canonicalRequests } from './fuzz-canonical.js';
import { openSocketPairs, type Pair, type SocketPairs } from './fuzz-socketpair.js';
import { within } from './within.js';

function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${v}: want a non-negative integer (0x... allowed)`);
  return n;
}

const SEED = envInt('GOCPU_FUZZ_SEED', 0x5eed) >>> 0;
const ITERATIONS = envInt('GOCPU_FUZZ_ITERATIONS', 300);
/** Every this many sessions, a brand-new session must still read a file and list a dir. */
const FRESH_PROBE_EVERY = 25;

let fx: FuzzFixture;
let baseline: Map<string, string>;
let statBaseline: Map<string, string>;
let recorded: Buffer[];
let fdStart: number;
let sockets: SocketPairs;
const strayBefore = new Map<string, string[]>();
const crashes: string[] = [];
const onCrash = (e: unknown): void => void crashes.push(String((e as Error)?.stack ?? e));

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const strays = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.startsWith(FUZZ_NAME_PREFIX));

before(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  fx = await makeFuzzFixture();
  sockets = await openSocketPairs();
  recorded = await recordValidSession(fx);
  await fx.resetWritable();
  baseline = await fx.snapshot(true);
  statBaseline = await fx.snapshot(false);
  for (const d of ['/', os.tmpdir(), path.dirname(fx.root)]) strayBefore.set(d, strays(d));
  fdStart = fdCount();
});

after(async () => {
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  await sockets?.close();
  await fx?.cleanup();
});

const oracles = (): Pick<SessionSpec, 'table' | 'probePath' | 'forbidden' | 'forbiddenMtime'> => ({
  table: fx.table,
  probePath: `${fx.ro}/hello.txt`,
  forbidden: fx.forbidden,
  forbiddenMtime: fx.outsideMtime,
});

async function freshSessionWorks(): Promise<void> {
  const s = await startSession(fx.table);
  await within(
    (async () => {
      assert.equal((await s.client.readAll(`${fx.ro}/hello.txt`)).toString(), 'hello\n');
      assert.ok((await s.client.list(fx.ro)).has('hello.txt'));
    })(),
    5000,
    'fresh session',
  );
  await within(s.stop(), 5000, 'fresh session stop');
}

interface Totals {
  sessions: number;
  packets: number;
  bytes: number;
  answered: number;
  closed: number;
  /** Successful replies by request kind, to show how deep the inputs got. */
  served: Map<string, number>;
}

type Input = Pick<SessionSpec, 'chunks' | 'probe' | 'opts'> & { socket?: boolean };

/**
 * Runs `count` rounds one after another; a round is `width` sessions at once on the same
 * exports (two sessions racing each other is what a shared agent will see), session j of
 * round i on the input `make` draws from its own stream of (seed, kind, i) (width 1) or
 * (seed, kind, i * width + j).
 */
async function fuzz(kind: string, count: number, make: (rng: Rng, i: number) => Input, width = 1): Promise<Totals> {
  const totals: Totals = { sessions: 0, packets: 0, bytes: 0, answered: 0, closed: 0, served: new Map() };
  for (let i = 0; i < count; i++) {
    const inputs = Array.from({ length: width }, (_, j) => make(new Rng(mixSeed(SEED, hashName(kind), width === 1 ? i : i * width + j)), i));
    try {
      await fx.resetWritable();
      const results = await Promise.all(
        inputs.map(async (input) => {
          const pair = input.socket ? await sockets.pair() : undefined;
          return runSession({ ...oracles(), pair, ...input });
        }),
      );
      results.forEach((r, j) => {
        totals.sessions++;
        totals.packets += r.framing.ids.length + 1;
        totals.bytes += inputs[j].chunks.reduce((n, c) => n + c.length, 0);
        totals[r.outcome]++;
        for (const [k, n] of r.served) totals.served.set(k, (totals.served.get(k) ?? 0) + n);
      });
      if (crashes.length) throw new Error(`uncaught in the process: ${crashes[0]}`);
      const diff = diffSnapshots(statBaseline, await fx.snapshot(false));
      if (diff.length) throw new Error(`changed outside the writable exports:\n  ${diff.slice(0, 8).join('\n  ')}`);
      if (i % FRESH_PROBE_EVERY === FRESH_PROBE_EVERY - 1) await freshSessionWorks();
    } catch (e) {
      const files = inputs.map((input, j) => {
        const file = path.join(os.tmpdir(), `gocpu-fuzz-${kind}-seed${SEED}-${i}${width > 1 ? `-${j}` : ''}.bin`);
        fs.writeFileSync(file, Buffer.concat(input.chunks));
        return `input (${input.chunks.length} chunks) saved to ${file}`;
      });
      throw new Error(
        `SFTP fuzz failure: GOCPU_FUZZ_SEED=${SEED} generator=${kind} session=${i}${width > 1 ? ` (${width} at once)` : ''}\n` +
          `  ${files.join('\n  ')}\n  ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  return totals;
}

/** In-memory pipes with a filter that drops whole client packets (by index) before the server. */
function droppingPair(drop: (index: number) => boolean): Pair {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  let buf = Buffer.alloc(0);
  let index = 0;
  const filter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const n = 4 + buf.readUInt32BE(0);
        if (!drop(index++)) this.push(buf.subarray(0, n));
        buf = buf.subarray(n);
      }
      cb();
    },
  });
  return { server: Duplex.from({ readable: toServer.pipe(filter), writable: fromServer }), toServer, fromServer };
}

const report = (t: { diagnostic(s: string): void }, x: Totals, started: number): void =>
  t.diagnostic(
    `seed=${SEED} sessions=${x.sessions} framed packets=${x.packets} bytes=${x.bytes} ` +
      `answered=${x.answered} closed=${x.closed} in ${Date.now() - started} ms; served: ` +
      [...x.served].sort().map(([k, n]) => `${k}=${n}`).join(' '),
  );

test('the oracles can fail: a leak, a change outside, a lost reply, a hang, a malformed reply', async () => {
  // The same requests against a table that (wrongly) exports the secret must be caught.
  const leaky = new ExportTable([...fx.exports, { path: fx.secret, writable: false }]);
  const read = Buffer.concat([
    packet(T.INIT, u32(3)),
    packet(T.OPEN, u32(1), str(`${fx.secret}/secret.txt`), u32(PF.READ), attrs()),
    packet(T.READ, u32(2), str(u32(1)), u64(0), u32(100)),
  ]);
  await assert.rejects(runSession({ ...oracles(), table: leaky, chunks: [read] }), /forbidden bytes/);
  await assert.doesNotReject(runSession({ ...oracles(), chunks: [read] }));
  const stat = (id: number, p = `${fx.ro}/hello.txt`): Buffer => packet(T.STAT, u32(id), str(p));
  const statSecret = [packet(T.INIT, u32(3)), stat(1, `${fx.secret}/secret.txt`)];
  await assert.rejects(runSession({ ...oracles(), table: leaky, chunks: statSecret }), /attributes of an entry outside/);
  await assert.doesNotReject(runSession({ ...oracles(), chunks: statSecret }));

  const other = await makeFuzzFixture();
  try {
    const before = await other.snapshot(false);
    fs.utimesSync(path.join(other.canary, 'canary.txt'), 1, 1);
    assert.notDeepEqual(diffSnapshots(before, await other.snapshot(false)), []);
  } finally {
    await other.cleanup();
  }

  // A server that never sees one request (dropped on the way in) leaves it unanswered; one
  // that sees nothing after INIT leaves the probe hanging.
  const chunks = [packet(T.INIT, u32(3)), stat(10), stat(11), stat(12)];
  await assert.doesNotReject(runSession({ ...oracles(), chunks, pair: droppingPair(() => false) }));
  await assert.rejects(runSession({ ...oracles(), chunks, pair: droppingPair((i) => i === 2) }), /not exactly one reply per request/);
  await assert.rejects(runSession({ ...oracles(), chunks, pair: droppingPair((i) => i > 0), timeoutMs: 300 }), /hang/);

  const version = packet(T.VERSION, u32(3));
  assert.deepEqual(checkReplies(Buffer.concat([version, packet(T.STATUS, u32(1), u32(0), str('ok'), str(''))]), { partialOk: false }).problems, []);
  assert.equal(checkReplies(Buffer.concat([version, packet(T.STATUS, u32(1), u32(0), str('ok'))]), { partialOk: false }).problems.length, 1);
  assert.equal(checkReplies(Buffer.concat([version, packet(T.HANDLE, u32(1), str('12345'))]), { partialOk: false }).problems.length, 1);
  assert.equal(checkReplies(Buffer.concat([version, packet(T.ATTRS, u32(1), u32(0)), Buffer.from([0, 0])]), { partialOk: false }).problems.length, 1);
});

test('(a) random bytes in random-length frames', async (t) => {
  const started = Date.now();
  report(t, await fuzz('random', ITERATIONS, (rng) => ({ chunks: chunked(rng, randomFrames(rng)) })), started);
});

test('(b) structure-aware requests of every type, mutated fields', async (t) => {
  const started = Date.now();
  const x = await fuzz('structured', ITERATIONS, (rng) => ({
    chunks: chunked(rng, structured(rng, fx)),
    opts: rng.chance(0.1) ? { maxHandles: rng.pick([1, 2, 4]) } : undefined,
  }));
  report(t, x, started);
});

test('(b) every request type truncated at every offset', async (t) => {
  const started = Date.now();
  const cuts: Input[] = [];
  for (const c of canonicalRequests(fx)) {
    const full = packet(c.type, c.body);
    // The frame length says the packet ends at the cut...
    for (let k = 0; k < c.body.length; k++) cuts.push({ chunks: [c.preamble, packet(c.type, c.body.subarray(0, k))] });
    // ...or the packet never completes: EOF mid-packet.
    for (let k = 1; k < full.length; k++) cuts.push({ chunks: [c.preamble, full.subarray(0, k)], probe: false });
  }
  report(t, await fuzz('truncated', cuts.length, (_rng, i) => cuts[i]), started);
});

test('(c) mutations of a recorded valid session', async (t) => {
  const started = Date.now();
  // The recording itself replays cleanly: every request answered.
  const replay = await runSession({ ...oracles(), chunks: recorded });
  assert.equal(replay.outcome, 'answered');
  const x = await fuzz('recorded', ITERATIONS, (rng) => ({ chunks: chunked(rng, mutateRecorded(rng, recorded, fx)) }));
  report(t, x, started);
  // Mutants must still get past the parser into every handler, or the fuzz proves little.
  if (ITERATIONS >= 100) {
    const kinds = [...REQUEST_TYPES.filter((k) => k !== T.EXTENDED).map((k) => TYPE_NAMES.get(k)!), ...EXTENSIONS];
    assert.deepEqual(kinds.filter((k) => !x.served.has(k)), [], 'request kinds never served');
  }
});

test('(b) and (c) over a real Unix socket pair', async (t) => {
  const started = Date.now();
  const x = await fuzz('socket', Math.ceil(ITERATIONS / 8), (rng) => ({
    chunks: chunked(rng, rng.chance(0.5) ? structured(rng, fx) : mutateRecorded(rng, recorded, fx)),
    socket: true,
  }));
  report(t, x, started);
});

test('(d) two concurrent sessions sharing the writable exports', async (t) => {
  const started = Date.now();
  const x = await fuzz(
    'concurrent',
    Math.ceil(ITERATIONS / 6),
    (rng) => ({ chunks: chunked(rng, rng.chance(0.5) ? structured(rng, fx) : mutateRecorded(rng, recorded, fx)) }),
    2,
  );
  report(t, x, started);
});

test('afterwards: nothing outside changed, no stray files, no fd leak, a fresh session works', async () => {
  await fx.resetWritable();
  assert.deepEqual(crashes, [], `seed ${SEED}: uncaught errors`);
  assert.deepEqual(diffSnapshots(baseline, await fx.snapshot(true)), [], `seed ${SEED}: read-only exports, canary or secret changed`);
  for (const [dir, names] of strayBefore) assert.deepEqual(strays(dir), names, `seed ${SEED}: stray files in ${dir}`);
  await freshSessionWorks();
  // Every session has ended; what is left open is the fixture's and node's own.
  const fds = fdCount();
  assert.ok(fds <= fdStart + 8, `seed ${SEED}: ${fds} fds open, ${fdStart} before the sessions`);
});
