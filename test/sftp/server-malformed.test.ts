/**
 * Hostile and broken clients: forged handles, malformed and oversized packets, garbage.
 * The server answers or ends the session cleanly; it never throws, hangs or serves a byte
 * from outside the exports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSftpServer } from '../../src/sftp/server.js';
import { makeFixture, SECRET, startSession, type Fixture, type Session } from './fixture.js';
import { code, FX, packet, pipePair, PF, str, T, u32, u64, attrs } from './raw-client.js';
import { within } from './within.js';

let fx: Fixture;

before(async () => {
  fx = await makeFixture();
});
after(async () => {
  await fx.cleanup();
});

/** The server must end its side by itself, then finish once we end ours. */
async function expectClosed(s: Session, what: string): Promise<void> {
  await within(s.client.ended, 2000, `${what}: server did not close`);
  await within(s.stop(), 2000, `${what}: server did not finish`);
  assert.ok(s.logs.some((l) => l.includes('closing the session')), `${what}: logged (${s.logs.join('; ')})`);
}

test('forged, stale and mistyped handles get FAILURE, never a crash', async () => {
  const s = await startSession(fx.table);
  const c = s.client;
  const file = await c.handleOf(c.open(`${fx.ro}/hello.txt`, PF.READ));
  const dir = await c.handleOf(c.opendir(fx.ro));
  const closed = await c.handleOf(c.open(`${fx.ro}/hello.txt`, PF.READ));
  assert.equal(await code(c.close(closed)), FX.OK);
  const forged = [Buffer.alloc(0), Buffer.from([0xde, 0xad, 0xbe, 0xef]), Buffer.alloc(256, 7), Buffer.from('1'), closed];
  for (const h of forged) {
    const what = h.toString('hex').slice(0, 16) || 'empty';
    assert.equal(await code(c.read(h, 0, 10)), FX.FAILURE, `READ ${what}`);
    assert.equal(await code(c.write(h, 0, Buffer.from('x'))), FX.FAILURE, `WRITE ${what}`);
    assert.equal(await code(c.fstat(h)), FX.FAILURE, `FSTAT ${what}`);
    assert.equal(await code(c.fsetstat(h, { mode: 0o777 })), FX.FAILURE, `FSETSTAT ${what}`);
    assert.equal(await code(c.readdir(h)), FX.FAILURE, `READDIR ${what}`);
    assert.equal(await code(c.close(h)), FX.FAILURE, `CLOSE ${what}`);
    assert.equal(await code(c.extended('fsync@openssh.com', str(h))), FX.FAILURE, `fsync ${what}`);
  }
  assert.equal(await code(c.read(dir, 0, 10)), FX.FAILURE, 'READ on a dir handle');
  assert.equal(await code(c.readdir(file)), FX.FAILURE, 'READDIR on a file handle');
  assert.equal(await code(c.extended('fsync@openssh.com')), FX.FAILURE, 'fsync without a handle');
  const r = await c.read(file, 0, 100);
  assert.equal(r.type === 'data' && r.data.toString(), 'hello\n', 'real handles still work');
  await s.stop();
});

test('the handle table is bounded', async () => {
  const s = await startSession(fx.table, { maxHandles: 3 });
  const c = s.client;
  const hs = [];
  for (let i = 0; i < 3; i++) hs.push(await c.handleOf(c.open(`${fx.ro}/hello.txt`, PF.READ)));
  assert.equal(await code(c.open(`${fx.ro}/hello.txt`, PF.READ)), FX.FAILURE);
  assert.equal(await code(c.opendir(fx.ro)), FX.FAILURE);
  await c.close(hs[0]);
  assert.equal((await c.open(`${fx.ro}/hello.txt`, PF.READ)).type, 'handle');
  await s.stop();
});

test('requests whose fields overrun the packet are answered, not trusted', async () => {
  const s = await startSession(fx.table);
  const c = s.client;
  // ssh2 emits these with an undefined path; the handlers must refuse them.
  const longStr = u32(0xfffff000);
  assert.equal(await code(c.request(T.OPEN, longStr, u32(PF.READ), attrs())), FX.NO_SUCH_FILE);
  assert.equal(await code(c.request(T.OPEN, longStr, u32(PF.WRITE | PF.CREAT), attrs())), FX.PERMISSION_DENIED);
  assert.equal(await code(c.request(T.RENAME, longStr, str(`${fx.rw}/x`))), FX.PERMISSION_DENIED);
  assert.equal(await code(c.request(T.MKDIR, longStr, attrs())), FX.PERMISSION_DENIED);
  assert.equal(await code(c.request(T.SETSTAT, longStr, attrs())), FX.PERMISSION_DENIED);
  assert.equal(await code(c.extended('posix-rename@openssh.com', str(`${fx.rw}/data.txt`))), FX.PERMISSION_DENIED);
  assert.equal(await code(c.extended('statvfs@openssh.com')), FX.NO_SUCH_FILE);
  assert.equal((await c.stat(fx.ro)).type, 'attrs', 'and the session goes on');
  await s.stop();
});

const fatal: [string, Buffer][] = [
  ['an unknown packet type', packet(99, u32(1), str('x'))],
  ['a client-only packet type (VERSION)', packet(T.VERSION, u32(3))],
  ['a zero length', u32(0)],
  ['a huge length field', Buffer.concat([u32(0xffffffff), Buffer.alloc(64)])],
  ['a length just over 256 KiB', Buffer.concat([u32(256 * 1024 + 1), Buffer.alloc(64)])],
  ['a second INIT', packet(T.INIT, u32(3))],
  ['a truncated STAT', packet(T.STAT, u32(7))],
  // ssh2 1.17 dereferences the undefined handle of these and throws out of push().
  ['a READ whose handle overruns', packet(T.READ, u32(7), u32(0xffffff00), u64(0), u32(10))],
  ['a WRITE whose handle overruns', packet(T.WRITE, u32(7), u32(0xffffff00), u64(0), str('x'))],
  ['an FSETSTAT whose handle overruns', packet(T.FSETSTAT, u32(7), u32(0xffffff00), attrs(), attrs())],
];

for (const [what, bytes] of fatal) {
  test(`${what} ends the session cleanly`, async () => {
    const s = await startSession(fx.table);
    s.client.raw(bytes);
    await expectClosed(s, what);
  });
}

test('a request before INIT ends the session cleanly', async () => {
  const s = await startSession(fx.table, {}, false);
  s.client.raw(packet(T.OPEN, u32(1), str(`${fx.ro}/hello.txt`), u32(PF.READ), attrs()));
  await expectClosed(s, 'OPEN before INIT');
});

test('a packet cut short by EOF finishes the session without a reply', async () => {
  const s = await startSession(fx.table);
  const versionBytes = s.client.received.length;
  s.client.raw(packet(T.STAT, u32(9), str(fx.ro)).subarray(0, 10));
  await within(s.stop(), 2000, 'truncated packet');
  assert.equal(s.client.received.length, versionBytes, 'no reply beyond VERSION');
});

test('packets split into single bytes are reassembled', async () => {
  const s = await startSession(fx.table);
  const bytes = packet(T.STAT, u32(42), str(`${fx.ro}/hello.txt`));
  const got = s.client.request(T.REALPATH, str('/'));
  for (const b of bytes) s.client.raw(Buffer.from([b]));
  assert.equal((await got).type, 'name');
  await s.stop();
});

test('random garbage: answered or closed, never a crash, never a secret', async () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const types = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 200];
  const pieces = [str(fx.ro), str(`${fx.ro}/rel-bad`), str(`${fx.secret}/secret.txt`), str(`${fx.ro}/dir-bad`), u32(0xffffffff), u64(2 ** 40)];
  for (let round = 0; round < 20; round++) {
    const s = await startSession(fx.table);
    let closed = false;
    void s.client.ended.then(() => (closed = true));
    for (let i = 0; i < 30 && !closed; i++) {
      const body: Buffer[] = [];
      const n = rand(4);
      for (let j = 0; j < n; j++) body.push(rand(2) ? pieces[rand(pieces.length)] : Buffer.from(Array.from({ length: rand(12) }, () => rand(256))));
      s.client.raw(packet(types[rand(types.length)], u32(1000 + i), ...body));
    }
    // A well-formed probe: answered unless the session was (cleanly) closed.
    const probe = s.client.stat(`${fx.ro}/hello.txt`).then(
      (r) => r.type,
      () => 'closed',
    );
    const r = await within(probe, 3000, `round ${round}`);
    assert.ok(r === 'attrs' || r === 'closed', `round ${round}: ${r}`);
    await within(s.stop(), 3000, `round ${round} stop`);
    assert.ok(!s.client.received.includes(SECRET), `round ${round}: secret leaked`);
  }
});

test('a client that does not read its replies cannot make the server buffer without bound', async () => {
  const { server: duplex, toServer, fromServer } = pipePair();
  const server = startSftpServer(duplex, fx.table);
  toServer.write(packet(T.INIT, u32(3)));
  const h = Buffer.from([0, 0, 0, 1]); // the first handle the server hands out
  toServer.write(packet(T.OPEN, u32(1), str(`${fx.ro}/big.bin`), u32(PF.READ), attrs()));
  const N = 2000;
  for (let i = 0; i < N; i++) toServer.write(packet(T.READ, u32(100 + i), str(h), u64((i % 40) * 65536), u32(65536)));
  // Until the session has queued its whole budget (4 MiB), however slow the machine; then a
  // while longer, for anything past the budget to show.
  const filled = Date.now() + 30_000;
  while (server.stats().queued < 4 * 1024 * 1024 && Date.now() < filled) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 500));
  // Replies queue in the duplex's write buffer and in the pipe; unbounded, that would be
  // N * 64 KiB = 125 MiB. The budget is 4 MiB, plus the READs running when it filled.
  const buffered = duplex.writableLength + fromServer.readableLength;
  assert.ok(buffered > 0 && buffered < 12 * 1024 * 1024, `buffered ${buffered} bytes`);
  // Reading now drains everything: every READ is answered.
  let data = 0;
  let rest = Buffer.alloc(0);
  const all = new Promise<void>((resolve) =>
    fromServer.on('data', (d: Buffer) => {
      rest = Buffer.concat([rest, d]);
      while (rest.length >= 4 && rest.length >= 4 + rest.readUInt32BE(0)) {
        if (rest[4] === T.DATA) data++;
        rest = rest.subarray(4 + rest.readUInt32BE(0));
      }
      if (data === N) resolve();
    }),
  );
  await within(all, 10_000, 'draining');
  toServer.end();
  await within(server.done, 2000, 'done');
});

test('close() ends our side; done resolves once the client ends too', async () => {
  const s = await startSession(fx.table);
  s.server.close();
  await within(s.client.ended, 2000, 'client sees EOF');
  await within(s.stop(), 2000, 'done');
});
