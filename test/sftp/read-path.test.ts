/**
 * The read path through the server (issue 8's throughput work): read-ahead stays invisible
 * to the client, whatever changes the file between READs, and reused DATA buffers
 * (reuseReplyBuffers, for streams that copy like an ssh2 channel) never show another
 * reply's bytes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { makeFixture, startSession, type Fixture } from './fixture.js';
import { code, FX, PF, RawClient } from './raw-client.js';
import { openSocketPairs } from './fuzz-socketpair.js';
import { startSftpServer } from '../../src/sftp/server.js';
import { BlockPool } from '../../src/sftp/read-ahead-pool.js';

let fx: Fixture;

before(async () => {
  fx = await makeFixture();
});
after(async () => {
  await fx.cleanup();
});

async function dataAt(c: RawClient, h: Buffer, off: number, len: number): Promise<Buffer> {
  const r = await c.read(h, off, len);
  if (r.type !== 'data') throw new Error(`READ at ${off}: ${JSON.stringify(r)}`);
  return r.data;
}

test('a READ after a WRITE, a truncation or a SETSTAT sees the change, read-ahead or not', async () => {
  const readAheadPool = new BlockPool();
  const s = await startSession(fx.table, { readAheadPool });
  const c = s.client;
  const f = `${fx.rw}/ra.bin`;
  const bytes = randomBytes(1024 * 1024);
  await fs.writeFile(f, bytes);
  const r = await c.handleOf(c.open(f, PF.READ));
  // Two sequential READs: the handle now reads ahead.
  assert.ok((await dataAt(c, r, 0, 65536)).equals(bytes.subarray(0, 65536)));
  assert.ok((await dataAt(c, r, 65536, 65536)).equals(bytes.subarray(65536, 131072)));
  assert.ok(readAheadPool.used > 0, 'blocks were read ahead');

  const w = await c.handleOf(c.open(f, PF.WRITE));
  const patch = Buffer.alloc(65536, 0xab);
  assert.equal(await code(c.write(w, 131072, patch)), FX.OK);
  assert.ok((await dataAt(c, r, 131072, 65536)).equals(patch), 'the WRITE through another handle is seen');
  assert.ok((await dataAt(c, r, 196608, 65536)).equals(bytes.subarray(196608, 262144)));

  assert.equal(await code(c.fsetstat(w, { size: 300_000 })), FX.OK);
  const tail = await dataAt(c, r, 262144, 65536);
  assert.ok(tail.equals(bytes.subarray(262144, 300_000)), 'FSETSTAT size: the READ stops at the new end');
  assert.equal(await code(c.read(r, 300_000, 65536)), FX.EOF);

  assert.equal(await code(c.setstat(f, { size: 200_000 })), FX.OK);
  assert.equal(await code(c.read(r, 262144, 65536)), FX.EOF, 'SETSTAT size too');
  assert.equal(await code(c.close(w)), FX.OK);
  assert.equal(await code(c.close(r)), FX.OK);
  await s.stop();
  assert.equal(readAheadPool.used, 0, 'closing gave every block back');
});

test('a whole file read in sshfs-like pipelined pairs comes back intact; closing mid-read leaks nothing', async () => {
  const readAheadPool = new BlockPool();
  const s = await startSession(fx.table, { readAheadPool });
  const c = s.client;
  const h = await c.handleOf(c.open(`${fx.ro}/big.bin`, PF.READ));
  const parts: Buffer[] = [];
  for (let off = 0; off < fx.big.length; off += 2 * 65536) {
    const pair = await Promise.all([c.read(h, off, 65536), c.read(h, off + 65536, 65536)]);
    for (const r of pair) if (r.type === 'data') parts.push(r.data);
  }
  assert.ok(Buffer.concat(parts).equals(fx.big));
  const h2 = await c.handleOf(c.open(`${fx.ro}/big.bin`, PF.READ));
  await Promise.all([c.read(h2, 0, 65536), c.read(h2, 65536, 65536), c.read(h2, 131072, 65536)]);
  // No CLOSE for h2 and h: the session's end closes them, fills in flight included.
  await s.stop();
  assert.equal(readAheadPool.used, 0);
});

test('reused DATA buffers over a real socket: concurrent readers of different files get their own bytes', async () => {
  const pairs = await openSocketPairs();
  const { server: duplex, toServer, fromServer } = await pairs.pair();
  const server = startSftpServer(duplex, fx.table, { reuseReplyBuffers: true });
  const c = new RawClient(toServer, fromServer);
  await c.init();
  const other = randomBytes(fx.big.length);
  await fs.writeFile(`${fx.rw}/other.bin`, other);
  const readAll = async (p: string): Promise<Buffer> => {
    const h = await c.handleOf(c.open(p, PF.READ));
    const reads = [];
    for (let off = 0; off < fx.big.length; off += 65536) reads.push(dataAt(c, h, off, 65536));
    const all = Buffer.concat(await Promise.all(reads));
    await c.close(h);
    return all;
  };
  const [a, b] = await Promise.all([readAll(`${fx.ro}/big.bin`), readAll(`${fx.rw}/other.bin`)]);
  assert.ok(a.equals(fx.big));
  assert.ok(b.equals(other));
  toServer.end();
  await server.done;
  await pairs.close();
});
