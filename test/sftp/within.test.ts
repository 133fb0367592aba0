/**
 * within.ts: a stall of the whole process is not a hang. The answer is real I/O, already
 * in the kernel when the process blocks; a plain setTimeout bound of the same length
 * reports it as missing after the stall, within() takes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { within } from './within.js';

/** A connected unix socket pair: what send() writes is in the kernel at once, read in a later poll phase. */
async function socketPair(): Promise<{ received: Promise<string>; send(s: string): void; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'gocpu-within-'));
  const server = createServer();
  await new Promise<void>((r) => server.listen(join(dir, 's'), r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect(join(dir, 's'));
  await new Promise<void>((r) => client.once('connect', r));
  const ours = await accepted;
  const received = new Promise<string>((r) => ours.once('data', (d: Buffer) => r(d.toString())));
  return {
    received,
    send: (s) => client.write(s),
    close() {
      client.destroy();
      ours.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function plainBound<X>(p: Promise<X>, ms: number): Promise<X> {
  return Promise.race([p, new Promise<X>((_, reject) => setTimeout(() => reject(new Error('no result')), ms))]);
}

/** The bound armed first, then from a check-phase callback: the answer sent, and the process blocked for 800 ms. */
async function stalled(bound: (p: Promise<string>) => Promise<string>): Promise<string> {
  const pair = await socketPair();
  try {
    const result = bound(pair.received);
    setImmediate(() => {
      pair.send('answer');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 800);
    });
    return await result;
  } finally {
    pair.close();
  }
}

test('an answer that came during a stall longer than the bound is taken, where a plain timer loses it', async () => {
  // After the stall the loop's next turn runs the due timer before the poll that reads the answer.
  await assert.rejects(stalled((p) => plainBound(p, 300)), /no result/);
  assert.equal(await stalled((p) => within(p, 300, 'the answer')), 'answer');
});

test('a promise that never settles is still reported, after the bound', async () => {
  const t = Date.now();
  await assert.rejects(within(new Promise(() => {}), 300, 'nothing'), /nothing: no result in 300 ms/);
  assert.ok(Date.now() - t >= 300);
});
