// node --test bench/delay-proxy.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { startDelayProxy } from './delay-proxy.mjs';

/** A target server; onSocket gets each accepted socket. */
async function target(onSocket) {
  const server = net.createServer({ allowHalfOpen: true }, onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: server.address().port, close: () => server.close() };
}

const echo = (s) => s.pipe(s);

/** Resolves with the socket's error (or undefined) once it closes. */
const closedWith = (s) => {
  let err;
  s.on('error', (e) => (err = e));
  return new Promise((resolve) => s.on('close', () => resolve(err)));
};

async function connect(port) {
  const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await once(c, 'connect');
  return c;
}

test('adds the round trip it is told (half each way)', async () => {
  const t = await target(echo);
  const p = await startDelayProxy({ targetPort: t.port, rttMs: 120 });
  const c = await connect(p.port);
  const rtt = async () => {
    const start = performance.now();
    c.write('x');
    await once(c, 'data');
    return performance.now() - start;
  };
  await rtt(); // the upstream connect is not part of it
  const ms = await rtt();
  assert.ok(ms >= 118, `round trip ${ms} ms, want >= 120 - timer rounding`);
  assert.ok(ms < 120 + 2000, `round trip ${ms} ms`);
  c.destroy();
  await p.close();
  t.close();
});

test('delivers every byte in order, also past the per-direction high-water mark', async () => {
  const t = await target(echo);
  const p = await startDelayProxy({ targetPort: t.port, rttMs: 10 });
  const c = await connect(p.port);
  const data = randomBytes(24 << 20); // three times the proxy's per-direction queue
  const got = createHash('sha256');
  let n = 0;
  c.on('data', (b) => {
    got.update(b);
    n += b.length;
  });
  for (let off = 0; off < data.length; off += 1 << 20) c.write(data.subarray(off, off + (1 << 20)));
  c.end();
  await once(c, 'end'); // the echo's end came back through the proxy after all bytes
  assert.equal(n, data.length);
  assert.equal(got.digest('hex'), createHash('sha256').update(data).digest('hex'));
  c.destroy();
  await p.close();
  t.close();
});

test('an end travels both ways after the bytes before it; half-close works', async () => {
  const seen = [];
  let serverClosed;
  const closed = new Promise((resolve) => (serverClosed = resolve));
  const t = await target((s) => {
    s.on('close', serverClosed);
    s.on('data', (b) => seen.push(b.toString()));
    s.on('end', () => {
      seen.push('<end>');
      s.end('bye'); // still writable after the client's end
    });
  });
  const p = await startDelayProxy({ targetPort: t.port, rttMs: 40 });
  const c = await connect(p.port);
  c.end('hello');
  let reply = '';
  c.on('data', (b) => (reply += b));
  await once(c, 'end');
  assert.deepEqual(seen, ['hello', '<end>']);
  assert.equal(reply, 'bye');
  await closed;
  c.destroy();
  await p.close();
  t.close();
});

test('a reset on one side closes the other', async () => {
  const t = await target((s) => s.resetAndDestroy());
  const p = await startDelayProxy({ targetPort: t.port, rttMs: 20 });
  const c = await connect(p.port);
  const err = await closedWith(c);
  assert.equal(err?.code, 'ECONNRESET');
  await p.close();
  t.close();
});

test('an unreachable target closes the client', async () => {
  const t = await target(echo);
  const port = t.port;
  t.close(); // nothing listens there now
  const p = await startDelayProxy({ targetPort: port, rttMs: 0 });
  const c = await connect(p.port);
  const err = await closedWith(c);
  assert.equal(err?.code, 'ECONNRESET');
  await p.close();
});
