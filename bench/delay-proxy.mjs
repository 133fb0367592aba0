#!/usr/bin/env node
// A TCP proxy that adds latency: the kernels we run on have no sch_netem, so
// `make bench` simulates a far remote in user space. Every byte is held for
// half the added round trip in each direction (rttMs / 2 one way), in order;
// the sender is paused while too much is queued or the receiver is not
// draining (backpressure); an end (FIN) travels with the same delay, after the
// bytes before it; an error or reset on one side destroys both at once.
//
// CLI: node bench/delay-proxy.mjs --rtt-ms N --target HOST:PORT [--port P]
//      prints "listening PORT" on stdout, runs until SIGTERM/SIGINT.
import * as net from 'node:net';
import { pathToFileURL } from 'node:url';

/** Bytes queued per direction before the sender is paused. */
const HIGH_WATER = 8 << 20;

/** Pipes src into dst, each chunk (and the end) delivered oneWayMs later. */
function delayedPipe(src, dst, oneWayMs) {
  const queue = []; // { due, buf } | { due, end: true }
  let queued = 0;
  let timer = null;
  let blocked = false; // dst.write returned false; wait for 'drain'

  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && !blocked && queue[0].due <= now) {
      const item = queue.shift();
      if (item.end) {
        dst.end();
        return;
      }
      queued -= item.buf.length;
      if (!dst.write(item.buf)) blocked = true;
    }
    if (!blocked && queued < HIGH_WATER && src.isPaused()) src.resume();
    schedule();
  };
  const schedule = () => {
    if (timer || blocked || !queue.length) return;
    timer = setTimeout(flush, Math.max(0, queue[0].due - performance.now()));
  };

  dst.on('drain', () => {
    blocked = false;
    flush();
  });
  src.on('data', (buf) => {
    queue.push({ due: performance.now() + oneWayMs, buf });
    queued += buf.length;
    if (queued >= HIGH_WATER || blocked) src.pause();
    schedule();
  });
  src.on('end', () => {
    queue.push({ due: performance.now() + oneWayMs, end: true });
    schedule();
  });
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    queue.length = 0;
  };
  return stop;
}

/**
 * Starts a delaying proxy to target. Resolves to { port, close(), connections }
 * once it listens on 127.0.0.1 (port 0 = any free port).
 */
export function startDelayProxy({ targetHost = '127.0.0.1', targetPort, rttMs = 0, port = 0 }) {
  const oneWay = rttMs / 2;
  const sockets = new Set();
  let connections = 0;
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    connections++;
    const upstream = net.connect({ host: targetHost, port: targetPort, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    const stops = [delayedPipe(client, upstream, oneWay), delayedPipe(upstream, client, oneWay)];
    // A reset passes on as a reset: a plain close would look like a clean end.
    const kill = () => {
      for (const stop of stops) stop();
      for (const s of [client, upstream]) if (!s.destroyed) s.resetAndDestroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    // A side that closed without a clean end (reset, destroy) takes the other with it.
    client.on('close', (hadError) => hadError && kill());
    upstream.on('close', (hadError) => hadError && kill());
    upstream.on('connect', () => client.resume());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        get connections() {
          return connections;
        },
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function arg(argv, name, def) {
  const i = argv.indexOf(name);
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  if (def === undefined) throw new Error(`delay-proxy: ${name} is required`);
  return def;
}

async function main(argv) {
  const target = arg(argv, '--target');
  const i = target.lastIndexOf(':');
  const proxy = await startDelayProxy({
    targetHost: target.slice(0, i),
    targetPort: Number(target.slice(i + 1)),
    rttMs: Number(arg(argv, '--rtt-ms', '0')),
    port: Number(arg(argv, '--port', '0')),
  });
  process.stdout.write(`listening ${proxy.port}\n`);
  const quit = () => proxy.close().then(() => process.exit(0));
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}
