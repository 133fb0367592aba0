/** The read-ahead of one handle (src/sftp/read-ahead.ts) over a file simulated in memory. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ReadAhead, type Fill } from '../../src/sftp/read-ahead.js';
import { BlockPool } from '../../src/sftp/read-ahead-pool.js';

const BLOCK = 256;

/** A file in memory whose preads are counted and may be held until released. */
function memFile(bytes: Buffer) {
  const f = {
    bytes,
    fills: [] as number[],
    hold: false,
    held: [] as (() => void)[],
    fill: (async (buf, pos) => {
      f.fills.push(pos);
      if (f.hold) await new Promise<void>((resolve) => f.held.push(resolve));
      if (pos >= f.bytes.length) return 0;
      return f.bytes.copy(buf, 0, pos, Math.min(f.bytes.length, pos + buf.length));
    }) as Fill,
    release(): void {
      const h = f.held;
      f.held = [];
      for (const r of h) r();
    },
  };
  return f;
}

/** What a READ answers: the read-ahead's bytes, or (undefined) the caller's own pread. */
async function readVia(ra: ReadAhead, f: { bytes: Buffer }, pos: number, n: number): Promise<{ data: Buffer; fromBlocks: boolean }> {
  const dst = Buffer.alloc(7 + n);
  const got = await ra.read(pos, n, dst, 7);
  if (got === undefined) return { data: f.bytes.subarray(pos, pos + n), fromBlocks: false };
  return { data: dst.subarray(7, 7 + got), fromBlocks: true };
}

test('a sequential reader is served from blocks read a block ahead; a random one is left alone', async () => {
  const f = memFile(randomBytes(10 * BLOCK));
  const pool = new BlockPool(BLOCK, 8);
  const ra = new ReadAhead(f.fill, pool);
  let fromBlocks = 0;
  for (let pos = 0; pos < f.bytes.length; pos += 64) {
    const r = await readVia(ra, f, pos, 64);
    assert.ok(r.data.equals(f.bytes.subarray(pos, pos + 64)), `bytes at ${pos}`);
    if (r.fromBlocks) fromBlocks++;
  }
  // The first READ is not known to be sequential yet; every later one comes from blocks.
  assert.equal(fromBlocks, f.bytes.length / 64 - 1);
  // Each block read once, plus one block ahead past the end.
  assert.deepEqual(f.fills, Array.from({ length: 11 }, (_, i) => i * BLOCK));
  assert.ok(ra.held <= 3, `blocks behind the reader are let go (held ${ra.held})`);
  await ra.close();
  assert.equal(pool.used, 0, 'every block back in the pool');

  const g = memFile(randomBytes(10 * BLOCK));
  const rb = new ReadAhead(g.fill, pool);
  for (const pos of [900, 100, 2000, 37, 1500]) assert.equal((await readVia(rb, g, pos, 64)).fromBlocks, false);
  assert.deepEqual(g.fills, [], 'random access reads nothing ahead');
});

test('concurrent READs, out of order and across a block boundary, get the right bytes', async () => {
  const f = memFile(randomBytes(6 * BLOCK));
  const pool = new BlockPool(BLOCK, 8);
  const ra = new ReadAhead(f.fill, pool);
  await readVia(ra, f, 0, 100);
  f.hold = true;
  // sshfs keeps several READs in flight; they wait for the same fills.
  const reads = [100, 200, 300, 400, 500].map((pos) => readVia(ra, f, pos, 100));
  await new Promise((r) => setImmediate(r));
  f.hold = false;
  f.release();
  for (const [i, r] of (await Promise.all(reads)).entries()) {
    const pos = 100 + i * 100;
    assert.ok(r.fromBlocks, `READ at ${pos} from blocks`);
    assert.ok(r.data.equals(f.bytes.subarray(pos, pos + 100)), `bytes at ${pos}`);
  }
  await ra.close();
  assert.equal(pool.used, 0);
});

test('near EOF, and after a failed fill, the caller reads for itself', async () => {
  const f = memFile(randomBytes(BLOCK + 100));
  const ra = new ReadAhead(f.fill, new BlockPool(BLOCK, 8));
  await readVia(ra, f, 0, 64);
  assert.equal((await readVia(ra, f, 64, 64)).fromBlocks, true);
  // Block 1 holds 100 bytes: a READ within them is served, one past them is not.
  assert.equal((await readVia(ra, f, BLOCK, 64)).fromBlocks, true);
  assert.equal((await readVia(ra, f, BLOCK + 64, 64)).fromBlocks, false);

  const failing = new ReadAhead(async () => {
    throw new Error('EIO');
  }, new BlockPool(BLOCK, 8));
  await failing.read(0, 64, Buffer.alloc(64), 0);
  assert.equal(await failing.read(64, 64, Buffer.alloc(64), 0), undefined);
});

test('invalidate(): no READ after it sees bytes read before it, even from a fill still in flight', async () => {
  const f = memFile(Buffer.alloc(4 * BLOCK, 1));
  const pool = new BlockPool(BLOCK, 8);
  const ra = new ReadAhead(f.fill, pool);
  await readVia(ra, f, 0, 64);
  f.hold = true;
  const pending = readVia(ra, f, 64, 64); // starts fills of blocks 0 and 1
  await new Promise((r) => setImmediate(r));
  ra.invalidate(); // a WRITE is about to run
  f.bytes.fill(2);
  f.hold = false;
  f.release(); // the old fills land now, with bytes from before the change
  assert.equal((await pending).fromBlocks, false, 'the READ that waited on a stale fill reads for itself');
  await readVia(ra, f, 128, 64);
  const r = await readVia(ra, f, 192, 64);
  assert.ok(r.fromBlocks);
  assert.ok(r.data.equals(Buffer.alloc(64, 2)), 'fresh bytes');
  await ra.close();
  assert.equal(pool.used, 0, 'stale blocks went back to the pool once their fills landed');
});

test('close() waits for fills in flight (the descriptor may be closed and reused after it)', async () => {
  const f = memFile(randomBytes(4 * BLOCK));
  const pool = new BlockPool(BLOCK, 8);
  const ra = new ReadAhead(f.fill, pool);
  await readVia(ra, f, 0, 64);
  f.hold = true;
  const pending = readVia(ra, f, 64, 64);
  await new Promise((r) => setImmediate(r));
  let closed = false;
  const closing = ra.close().then(() => (closed = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(closed, false, 'still a fill in flight');
  f.release();
  await closing;
  await pending;
  assert.equal(pool.used, 0);
  assert.equal(await ra.read(128, 64, Buffer.alloc(64), 0), undefined, 'no read-ahead after close');
});

test('the per-handle and per-process caps bound the blocks held; past them READs are plain preads', async () => {
  const pool = new BlockPool(BLOCK, 3);
  const a = memFile(randomBytes(8 * BLOCK));
  const b = memFile(randomBytes(8 * BLOCK));
  const ra = new ReadAhead(a.fill, pool, 2);
  const rb = new ReadAhead(b.fill, pool, 2);
  await readVia(ra, a, 0, 64);
  assert.equal((await readVia(ra, a, 64, 64)).fromBlocks, true);
  assert.equal(ra.held, 2);
  await readVia(rb, b, 0, 64);
  assert.equal((await readVia(rb, b, 64, 64)).fromBlocks, true, 'the one block left');
  assert.equal(pool.used, 3);
  // A reader that jumps ahead of the handle's cap still gets its bytes.
  const r = await readVia(rb, b, BLOCK, 64);
  assert.ok(r.data.equals(b.bytes.subarray(BLOCK, BLOCK + 64)));
  await ra.close();
  await rb.close();
  assert.equal(pool.used, 0);
});

test('the pool hands out at most maxBlocks and keeps at most maxFree for reuse', () => {
  const pool = new BlockPool(BLOCK, 3, 1);
  const x = [pool.take(), pool.take(), pool.take()];
  assert.ok(x.every((b) => b?.length === BLOCK));
  assert.equal(pool.take(), undefined);
  pool.give(x[0]!);
  pool.give(x[1]!);
  assert.equal(pool.take(), x[0], 'reused');
  assert.notEqual(pool.take(), x[1], 'not kept beyond maxFree');
});
