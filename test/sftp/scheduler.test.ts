import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../src/sftp/scheduler.js';

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('exclusive tasks run one at a time, in order, after every earlier shared task', async () => {
  const s = new Scheduler(() => undefined);
  const events: string[] = [];
  let running = 0;
  let maxShared = 0;
  const shared = (name: string, ms: number) =>
    s.shared(async () => {
      running++;
      maxShared = Math.max(maxShared, running);
      events.push(`+${name}`);
      await tick(ms);
      events.push(`-${name}`);
      running--;
    });
  const exclusive = (name: string, ms: number) =>
    s.exclusive(async () => {
      assert.equal(running, 0, `${name} runs alone`);
      events.push(`+${name}`);
      await tick(ms);
      events.push(`-${name}`);
    });
  exclusive('open', 10);
  shared('r1', 20);
  shared('r2', 5);
  shared('r3', 10);
  exclusive('close', 1);
  shared('r4', 1);
  exclusive('stat', 1);
  assert.equal(s.size, 7);
  await s.idle();
  assert.equal(s.size, 0);
  assert.equal(maxShared, 3, 'the three reads overlapped');
  assert.deepEqual(events.slice(0, 2), ['+open', '-open']);
  const closeAt = events.indexOf('+close');
  for (const r of ['-r1', '-r2', '-r3']) assert.ok(events.indexOf(r) < closeAt, `${r} before close`);
  assert.ok(events.indexOf('+r4') > events.indexOf('-close'), 'r4 after close');
  assert.ok(events.indexOf('+stat') > events.indexOf('-r4'), 'stat after r4');
});

test('a failing task is reported and does not stall the queue', async () => {
  const errors: unknown[] = [];
  const s = new Scheduler((e) => errors.push(e));
  const done: string[] = [];
  s.exclusive(async () => {
    throw new Error('boom');
  });
  s.shared(async () => {
    throw new Error('shared boom');
  });
  s.exclusive(async () => {
    done.push('after');
  });
  await s.idle();
  assert.deepEqual(done, ['after']);
  assert.equal(errors.length, 2);
});
