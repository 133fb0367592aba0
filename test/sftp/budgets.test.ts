/**
 * Issue 7, class 7: memory and descriptors. Small configured budgets stand in for the
 * gigabytes of the original report: a session over its descriptor quota, or finding the
 * process cap used up by another session, gets FAILURE and the process goes on; directory
 * handles hold no copy of the names; queued replies stay within the output budget however
 * many requests one write carries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { ProcessBudget } from '../../src/sftp/budget.js';
import { ExportTable } from '../../src/sftp/exports.js';
import { startSftpServer } from '../../src/sftp/server.js';
import { startSession } from './fixture.js';
import { code, FX, packet, PF, RawClient, str, T, u32 } from './raw-client.js';
import { makeHostileTree, type HostileTree } from './hostile-fixture.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const ENTRIES = 2000;
let t: HostileTree;
let table: ExportTable;
let big: string;

before(async () => {
  t = await makeHostileTree();
  table = new ExportTable([{ path: t.w, writable: true }]);
  big = path.join(t.w, 'big');
  await fs.mkdir(big);
  // Long names, as in the report (255 there): every copy of a listing costs.
  for (let i = 0; i < ENTRIES; i++) await fs.writeFile(path.join(big, `${String(i).padStart(5, '0')}-${'n'.repeat(200)}`), '');
  await fs.writeFile(path.join(t.w, 'f'), 'f');
});
after(() => t.cleanup());

test('descriptors: a quota per session under a cap per process; over either is FAILURE, never a crash', async () => {
  const pool = new ProcessBudget({ descriptors: 10, replyBytes: 1 << 20 });
  const a = await startSession(table, { maxHandles: 6, processBudget: pool });
  const b = await startSession(table, { maxHandles: 6, processBudget: pool });
  try {
    const open = (s: typeof a): Promise<number> => code(s.client.open(`${t.w}/f`, PF.READ));
    const ha: Buffer[] = [];
    for (let i = 0; i < 6; i++) ha.push(await a.client.handleOf(a.client.open(`${t.w}/f`, PF.READ)));
    assert.equal(await open(a), FX.FAILURE, 'over the session quota');
    for (let i = 0; i < 4; i++) assert.equal(await open(b), -1, `b's handle ${i}`);
    assert.equal(await open(b), FX.FAILURE, 'the process cap is used up by a and b');
    assert.equal(await code(b.client.opendir(t.w)), FX.FAILURE, 'a directory handle too');
    assert.equal((await b.client.stat(`${t.w}/f`)).type, 'attrs', 'b still serves what needs no handle');
    await a.client.close(ha.pop()!);
    await a.client.close(ha.pop()!);
    assert.equal(await code(b.client.opendir(t.w)), -1, 'room again once a closes two');
    assert.equal(pool.descriptors, 10);
  } finally {
    await a.stop();
    await b.stop();
  }
  assert.equal(pool.descriptors, 0, 'every descriptor given back at the end of the sessions');
});

test('listings: directory handles hold no copy of the names; pipelined OPENDIRs stop at the quota', async () => {
  const s = await startSession(table, { maxHandles: 64 });
  try {
    gc();
    const before = process.memoryUsage().heapUsed;
    const replies = await Promise.all(Array.from({ length: 100 }, () => s.client.opendir(big)));
    const handles = replies.flatMap((r) => (r.type === 'handle' ? [r.handle] : []));
    // Every handle has started listing: the names it has read so far are all it holds.
    for (const h of handles) assert.equal((await s.client.readdir(h)).type, 'name');
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 8 * 1024 * 1024, `heap grew by ${(grown / 1e6).toFixed(1)} MB for ${handles.length} handles on ${ENTRIES} names`);
    assert.equal(handles.length, 32, 'two descriptors per directory handle, 64 allowed');
    assert.ok(replies.every((r) => r.type === 'handle' || (r.type === 'status' && r.code === FX.FAILURE)));
    for (const h of handles) await s.client.close(h);
    const all = await s.client.list(big);
    assert.equal(all.size, ENTRIES + 2, 'a full listing, batch by batch');
  } finally {
    await s.stop();
  }
});

/** The server's end of a connection whose reader has stopped reading until release(). */
class StalledStream extends Duplex {
  private held: [Buffer, () => void][] = [];
  private stalled = false;
  peak = 0;
  constructor(private readonly toClient: PassThrough) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    if (this.stalled) this.held.push([chunk, cb]);
    else {
      this.toClient.write(chunk);
      cb();
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override write(chunk: any, ...rest: any[]): boolean {
    const r = super.write(chunk, ...rest);
    this.peak = Math.max(this.peak, this.writableLength);
    return r;
  }
  stall(): void {
    this.stalled = true;
  }
  release(): void {
    this.stalled = false;
    for (const [c, cb] of this.held.splice(0)) {
      this.toClient.write(c);
      cb();
    }
  }
}

test('replies: 3000 READDIRs in one write queue no more than the output budget', async () => {
  const toClient = new PassThrough();
  const stream = new StalledStream(toClient);
  const server = startSftpServer(stream, table, { outputBudget: 128 * 1024 });
  const c = new RawClient(new Writable({ write: (chunk, _e, cb) => (stream.push(chunk), cb()) }), toClient);
  try {
    await c.init();
    const handles: Buffer[] = [];
    for (let i = 0; i < 10; i++) handles.push(await c.handleOf(c.opendir(big)));
    stream.stall();
    const reqs = Array.from({ length: 3000 }, (_, i) => packet(T.READDIR, u32(100000 + i), str(handles[i % handles.length])));
    c.raw(Buffer.concat(reqs));
    // The only wait on time here: long enough for an unbounded server to queue megabytes.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const peakStalled = stream.peak;
    stream.release();
    // Requests run in order: once this is answered, so is every READDIR before it.
    assert.equal((await c.stat(big)).type, 'attrs');
    const bound = 128 * 1024 + 64 * 1024;
    assert.ok(peakStalled <= bound, `${(peakStalled / 1e6).toFixed(2)} MB queued while the reader stalled`);
    assert.ok(stream.peak <= bound, `${(stream.peak / 1e6).toFixed(2)} MB queued at most`);
  } finally {
    c.out.end();
    stream.push(null);
    await server.done;
  }
});

test('replies: a stalled session fills the process cap, another session still gets its replies', async () => {
  const pool = new ProcessBudget({ descriptors: 100, replyBytes: 64 * 1024 });
  const toClient = new PassThrough();
  const stream = new StalledStream(toClient);
  const a = startSftpServer(stream, table, { outputBudget: 256 * 1024, processBudget: pool });
  const ac = new RawClient(new Writable({ write: (chunk, _e, cb) => (stream.push(chunk), cb()) }), toClient);
  const b = await startSession(table, { processBudget: pool });
  try {
    await ac.init();
    const h = await ac.handleOf(ac.opendir(big));
    stream.stall();
    ac.raw(Buffer.concat(Array.from({ length: 40 }, (_, i) => packet(T.READDIR, u32(200000 + i), str(h)))));
    // Wait until a's queue alone has used up the process cap.
    while (pool.replyBytes < 64 * 1024) await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await b.client.list(big)).size, ENTRIES + 2, 'b lists a whole directory meanwhile');
    assert.ok(stream.peak <= 256 * 1024 + 64 * 1024, `a queued ${stream.peak} bytes, within its own quota`);
    stream.release();
    assert.equal((await ac.stat(big)).type, 'attrs', 'a goes on once its reader does');
  } finally {
    await b.stop();
    ac.out.end();
    stream.push(null);
    await a.done;
  }
  assert.equal(pool.replyBytes, 0);
});
