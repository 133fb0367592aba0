import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ControlStream } from '../../src/run/control.js';

async function feed(chunks: string[]): Promise<{ c: ControlStream; out: string }> {
  const sink = new PassThrough();
  let out = '';
  sink.on('data', (d) => (out += d));
  const c = new ControlStream('n1', sink);
  for (const ch of chunks) await new Promise<void>((r) => c.write(Buffer.from(ch), () => r()));
  await new Promise<void>((r) => c.end(r));
  return { c, out };
}

test('control lines are ours until the exec marker, then bytes pass untouched', async () => {
  const { c, out } = await feed(['gocpu-n1 pid 42\nunshare: oops\ngocpu-n1 ex', 'ec\nfirst', ' line\ngocpu-n1 error x\n']);
  assert.equal(c.started, true);
  assert.deepEqual(c.lines, [{ word: 'pid', detail: '42' }]);
  assert.deepEqual(c.other, ['unshare: oops']);
  assert.equal(out, 'first line\ngocpu-n1 error x\n', 'after the marker even our prefix is test output');
});

test('another nonce is not ours; without a marker nothing passes', async () => {
  const { c, out } = await feed(['gocpu-zz exec\ngocpu-n1 error mount no\npartial']);
  assert.equal(c.started, false);
  assert.equal(out, '');
  assert.deepEqual(c.errors(), [{ word: 'error', detail: 'mount no' }]);
  assert.deepEqual(c.other, ['gocpu-zz exec', 'partial']);
});
