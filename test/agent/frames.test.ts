import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRAME, FrameReader, MAX_FRAME, frame } from '../../src/agent/frames.js';

test('frames survive any split of the byte stream', () => {
  const frames = [frame(FRAME.request, '{"a":1}'), frame(FRAME.stdout, Buffer.alloc(70_000, 7)), frame(FRAME.stdinEof), frame(FRAME.signal, 'SIGINT')];
  const bytes = Buffer.concat(frames);
  for (const step of [1, 2, 5, 4096, bytes.length]) {
    const got: [number, number][] = [];
    const r = new FrameReader((t, p) => got.push([t, p.length]));
    for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step));
    assert.deepEqual(got, [[FRAME.request, 7], [FRAME.stdout, 70_000], [FRAME.stdinEof, 0], [FRAME.signal, 6]], `step ${step}`);
  }
});

test('an oversized frame is refused before its payload arrives', () => {
  const head = Buffer.alloc(5);
  head[0] = FRAME.stdout;
  head.writeUInt32BE(MAX_FRAME + 1, 1);
  const r = new FrameReader(() => assert.fail('no frame'));
  assert.throws(() => r.push(head), /over the limit/);
});
