/**
 * Connected Unix socket pairs, for fuzz sessions over a real fd-backed stream instead of
 * in-memory pipes: real chunking, real half-close, and fds whose leaks /proc/self/fd shows.
 * Abstract-namespace sockets (Linux) leave no file behind to clean up or to trip the
 * "nothing created outside the exports" oracle.
 */
import * as net from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';

export interface Pair {
  server: Duplex;
  toServer: Writable;
  fromServer: Readable;
}

export interface SocketPairs {
  pair(): Promise<Pair>;
  close(): Promise<void>;
}

export async function openSocketPairs(): Promise<SocketPairs> {
  const waiting: ((s: net.Socket) => void)[] = [];
  // Half-open both ways: the client's EOF must not end the server's side before it has answered.
  const listener = net.createServer({ allowHalfOpen: true }, (s) => waiting.shift()?.(s));
  const address = `\0gocpu-sftp-fuzz-${process.pid}-${Date.now()}`;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(address, () => resolve());
  });
  return {
    async pair(): Promise<Pair> {
      const accepted = new Promise<net.Socket>((resolve) => waiting.push(resolve));
      const client = net.connect({ path: address, allowHalfOpen: true });
      await new Promise<void>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
      });
      return { server: await accepted, toServer: client, fromServer: client };
    },
    close: () => new Promise<void>((resolve) => listener.close(() => resolve())),
  };
}
