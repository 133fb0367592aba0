import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, PoolAbortedError, type PoolClock, type PoolMember, SKIP_MS, type Seat } from '../../src/agent/pool.js';

/** A clock the test moves by hand; timers fire when it passes them. */
function fakeClock(): PoolClock & { advance(ms: number): void } {
  let t = 1_000_000;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => t,
    later(fn, ms) {
      const entry = { at: t + ms, fn };
      timers.push(entry);
      return () => (timers = timers.filter((x) => x !== entry));
    },
    advance(ms) {
      t += ms;
      const due = timers.filter((x) => x.at <= t);
      timers = timers.filter((x) => x.at > t);
      for (const x of due) x.fn();
    },
  };
}

const A = (slots?: number): PoolMember => ({ key: 'kA', name: 'a', slots });
const B = (slots?: number): PoolMember => ({ key: 'kB', name: 'b', slots });

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

/** Not narrowed by TypeScript as `c.seat === undefined` would be. */
const seated = (c: { seat?: Seat }): boolean => c.seat !== undefined;

/** Starts an acquire and records when (and where) it is seated. */
function call(pool: Pool, members: PoolMember[], signal?: AbortSignal) {
  const c: { seat?: Seat; none?: boolean; error?: unknown; p: Promise<void> } = { p: Promise.resolve() };
  c.p = pool.acquire(members, signal).then(
    (s) => {
      if (s) c.seat = s;
      else c.none = true;
    },
    (e) => (c.error = e),
  );
  return c;
}

test('pool: calls spread to the host with the most free slots, ties in list order', async () => {
  const pool = new Pool(fakeClock());
  const calls = [1, 2, 3, 4].map(() => call(pool, [A(2), B(2)]));
  await settle();
  assert.deepEqual(calls.map((c) => c.seat?.name), ['a', 'b', 'a', 'b']);
  const more = call(pool, [A(2), B(2)]);
  await settle();
  assert.equal(seated(more), false, 'every slot is busy: the fifth waits');
  assert.equal(pool.waiting(), 1);
  calls[1].seat!.release();
  await settle();
  assert.equal(more.seat?.name, 'b', 'it gets the slot that came free');
});

test('pool: a host of unknown size takes one call until it is learned', async () => {
  const pool = new Pool(fakeClock());
  const [c1, c2, c3, c4] = [1, 2, 3, 4].map(() => call(pool, [A(), B()]));
  await settle();
  assert.equal(c1.seat?.name, 'a');
  assert.equal(c1.seat?.probe, true, 'the first call on a host asks its size');
  assert.equal(c2.seat?.name, 'b');
  assert.equal(c2.seat?.probe, true);
  assert.equal(seated(c3), false);
  pool.learn('kA', 3);
  await settle();
  assert.equal(c3.seat?.name, 'a');
  assert.equal(c3.seat?.probe, false);
  assert.equal(c4.seat?.name, 'a');
  assert.equal(pool.slots('kA'), 3);
});

test('pool: waiting calls are served first come, first served', async () => {
  const pool = new Pool(fakeClock());
  const calls = [1, 2, 3, 4, 5].map(() => call(pool, [A(1), B(1)]));
  await settle();
  assert.deepEqual(calls.map((c) => c.seat?.name), ['a', 'b', undefined, undefined, undefined]);
  calls[0].seat!.release();
  await settle();
  assert.deepEqual(calls.map((c) => c.seat?.name), ['a', 'b', 'a', undefined, undefined]);
  calls[1].seat!.release();
  await settle();
  assert.deepEqual(calls.map((c) => c.seat?.name), ['a', 'b', 'a', 'b', undefined]);
  calls[1].seat!.release(); // twice: still one slot
  await settle();
  assert.equal(calls[4].seat, undefined);
  assert.equal(pool.busy('kB'), 1);
});

test('pool: configured slots are respected, and a slot count change applies to the next call', async () => {
  const pool = new Pool(fakeClock());
  const c = [1, 2, 3].map(() => call(pool, [A(2)]));
  await settle();
  assert.deepEqual(c.map((x) => x.seat?.name), ['a', 'a', undefined]);
  const d = call(pool, [A(3)]);
  await settle();
  assert.equal(c[2].seat?.name, 'a', 'three slots now: the first waiter goes first');
  assert.equal(seated(d), false);
});

test('pool: a host that fails to connect is skipped for SKIP_MS, and the call goes to another host', async () => {
  const clock = fakeClock();
  const pool = new Pool(clock);
  const c1 = call(pool, [A(2), B(2)]);
  await settle();
  assert.equal(c1.seat?.name, 'a');
  const next = await c1.seat!.failed();
  assert.equal(next?.name, 'b');
  assert.equal(pool.skipped('kA'), true);
  assert.equal(pool.busy('kA'), 0);
  const c2 = call(pool, [A(2), B(2)]);
  await settle();
  assert.equal(c2.seat?.name, 'b', 'a has more free slots but is skipped');
  clock.advance(SKIP_MS);
  assert.equal(pool.skipped('kA'), false);
  const c3 = call(pool, [A(2), B(2)]);
  await settle();
  assert.equal(c3.seat?.name, 'a', 'after the skip, a is back');
});

test('pool: a failed connect keeps the call\'s place in line', async () => {
  const pool = new Pool(fakeClock());
  const [c1, c2, c3, c4] = [1, 2, 3, 4].map(() => call(pool, [A(1), B(1)]));
  await settle();
  assert.deepEqual([c1, c2].map((c) => c.seat?.name), ['a', 'b']);
  let again: Seat | undefined | 'pending' = 'pending';
  void c1.seat!.failed().then((s) => (again = s));
  await settle();
  assert.equal(again, 'pending', 'b is busy: the call waits for it');
  assert.equal(seated(c3), false, 'a is skipped: nobody else takes it while b can still come free');
  c2.seat!.release();
  await settle();
  assert.equal((again as unknown as Seat | undefined)?.name, 'b', 'the call that failed on a is first for b');
  assert.equal(seated(c3), false);
  assert.equal(seated(c4), false);
});

test('pool: a call fails only when every host of its pool was tried', async () => {
  const pool = new Pool(fakeClock());
  const c1 = call(pool, [A(1), B(1)]);
  await settle();
  const s2 = await c1.seat!.failed();
  assert.equal(s2?.name, 'b');
  assert.equal(await s2!.failed(), undefined, 'a and b both failed: no host left');
  assert.equal(pool.busy('kA') + pool.busy('kB'), 0);
  // Both are being skipped now; a new call still tries them rather than failing untried.
  const c2 = call(pool, [A(1), B(1)]);
  await settle();
  assert.equal(c2.seat?.name, 'a');
  const single = call(pool, [B(1)]);
  await settle();
  assert.equal(single.seat?.name, 'b');
  assert.equal(await single.seat!.failed(), undefined);
});

test('pool: a skipped host comes back for the calls waiting when its skip ends', async () => {
  const clock = fakeClock();
  const pool = new Pool(clock);
  const c1 = call(pool, [A(1), B(1)]);
  await settle();
  const onB = await c1.seat!.failed();
  assert.equal(onB?.name, 'b');
  const c2 = call(pool, [A(1), B(1)]);
  await settle();
  assert.equal(seated(c2), false, 'b is busy and a is skipped');
  clock.advance(SKIP_MS - 1);
  await settle();
  assert.equal(seated(c2), false);
  clock.advance(1);
  await settle();
  assert.equal(c2.seat?.name, 'a');
});

test('pool: a call that leaves the line frees its place for the next', async () => {
  const pool = new Pool(fakeClock());
  const c1 = call(pool, [A(1)]);
  const ac = new AbortController();
  const c2 = call(pool, [A(1)], ac.signal);
  const c3 = call(pool, [A(1)]);
  await settle();
  ac.abort();
  await settle();
  assert.ok(c2.error instanceof PoolAbortedError);
  c1.seat!.release();
  await settle();
  assert.equal(c3.seat?.name, 'a');
  assert.equal(pool.waiting(), 0);
});

test('pool: two pools that share a host share its slots', async () => {
  const pool = new Pool(fakeClock());
  const c1 = call(pool, [A(1)]);
  const c2 = call(pool, [A(1), B(1)]);
  const c3 = call(pool, [A(1)]);
  await settle();
  assert.equal(c1.seat?.name, 'a');
  assert.equal(c2.seat?.name, 'b');
  assert.equal(seated(c3), false);
  assert.equal(pool.busy('kA'), 1);
});

test('pool: onWait is called once for a call that has to wait, never for one seated at once', async () => {
  const pool = new Pool(fakeClock());
  let waits = 0;
  const first = await pool.acquire([A(1), B(1)], undefined, () => waits++);
  assert.equal(first?.name, 'a');
  const failedOver = first!.failed();
  const c2 = pool.acquire([A(1), B(1)], undefined, () => waits++);
  assert.equal((await failedOver)?.name, 'b', 'asking again after a failed connect is not waiting when a host is free');
  assert.equal(waits, 1, 'the second call waits: a is skipped and b is taken');
  (await failedOver)!.release();
  assert.equal((await c2)?.name, 'b');
  assert.equal(waits, 1);
});
