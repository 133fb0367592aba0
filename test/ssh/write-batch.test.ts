import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Client } from 'ssh2';
import { writeBatcher } from '../../src/ssh/write-batch.js';

/** A socket stand-in that records each syscall-like write: one entry per _write or _writev. */
function recordingSocket() {
  const calls: number[] = [];
  const sock = new Writable({
    write(_chunk, _enc, cb) {
      calls.push(1);
      cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.length);
      cb();
    },
  });
  return { sock, calls };
}

const clientWith = (sock: unknown) => ({ _sock: sock }) as unknown as Client;

test("the writes of one tick, microtasks included, go out in one writev; the next tick's in another", async () => {
  const { sock, calls } = recordingSocket();
  const batch = writeBatcher(clientWith(sock))!;
  const write = (s: string) => {
    batch();
    sock.write(s);
  };
  write('a');
  await Promise.resolve().then(() => write('b'));
  write('c');
  assert.deepEqual(calls, [], 'nothing written before the tick ends');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, [3]);
  write('d');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, [3, 1]);
  assert.equal(sock.writableCorked, 0, 'left uncorked');
});

test('without a socket it can cork, there is no batching', () => {
  assert.equal(writeBatcher(clientWith(undefined)), undefined);
  assert.equal(writeBatcher(clientWith({ write() {} })), undefined);
});
