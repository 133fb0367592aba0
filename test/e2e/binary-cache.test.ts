/**
 * src/agent/binary-cache.ts and src/remote/upload.sh against the test host: a new binary
 * goes into the remote user's content-addressed cache in one stream, with the bytes the
 * name says (the local side hashes what it sends; upload.sh keeps them only on its
 * "commit"); a file that is not what its name says (it changed after it was hashed) is
 * dropped, and the cache has nothing under that name; upload.sh names the file it writes
 * and holds a lock on it until its commit is over (the run's view waits for that lock);
 * connections that share a cache's record send a binary once between them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemoteBinaries, remoteCache, upload } from '../../src/agent/binary-cache.js';
import { remoteScript } from '../../src/remote/scripts.js';
import { exec } from '../../src/ssh/connect.js';
import { shellJoin } from '../../src/util/shell-quote.js';
import { tempDir } from './harness.js';
import { testHostClient } from './test-client.js';
import { remoteShell } from './remote-state.js';

const scratch = tempDir();
const ssh = testHostClient();
// A second connection as the same remote user: the agent's siblings (connections.ts).
const ssh2 = testHostClient();
after(async () => {
  await ssh.close();
  await ssh2.close();
  scratch.cleanup();
});

const connected = ssh.connected;

/** What the remote's cache holds under `sha`: its sha256 and mode, or "missing", and how many temporary copies. */
async function cached(sha: string): Promise<string> {
  const f = `"\${XDG_CACHE_HOME:-$HOME/.cache}/gocpu/bin/${sha}"`;
  const out = await remoteShell('ssh', `if [ -f ${f} ]; then sha256sum <${f} | cut -d' ' -f1; stat -c %a ${f}; else echo missing; fi; ls "\${XDG_CACHE_HOME:-$HOME/.cache}/gocpu/bin" | grep -c "^${sha}.tmp" || :`);
  return out.trim().split('\n').join(' ');
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('a new binary goes into the cache whole, named by its sha256, read-only; the next ensure sends nothing', async () => {
  const c = await connected();
  // 5 MB and a bit: several of the stream's chunks, and no multiple of dd's block.
  const data = randomBytes(5 * 1024 * 1024 + 12345);
  const file = path.join(scratch.dir, 'new.test');
  fs.writeFileSync(file, data);
  const sha = sha256(data);
  assert.equal(await cached(sha), 'missing 0');
  const bins = new RemoteBinaries();
  assert.equal(await bins.ensure(c, file), sha);
  assert.equal(await cached(sha), `${sha} 500 0`);
  assert.equal(await bins.ensure(c, file), sha, 'known on this connection');
  assert.equal(await new RemoteBinaries().ensure(c, file), sha, 'in the cache already: "have"');
});

test('bytes that are not what their name says are dropped, and nothing is cached under it', async () => {
  const c = await connected();
  const data = randomBytes(1024 * 1024);
  const file = path.join(scratch.dir, 'changed.test');
  fs.writeFileSync(file, data);
  // The name of other bytes: as if the file changed after it was hashed.
  const other = sha256(randomBytes(32));
  await assert.rejects(upload(c, file, other, data.length), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'BINARY_UPLOAD');
    assert.match(e.message, /error checksum/);
    return true;
  });
  assert.equal(await cached(other), 'missing 0', 'neither the file nor its temporary copy is left');
});

test('upload.sh names the file it writes ("send ID") and holds its lock until the commit is over', async () => {
  const c = await connected();
  const data = randomBytes(256 * 1024);
  const sha = sha256(data);
  const ch = await exec(c, shellJoin(['sh', '-c', remoteScript('upload'), 'gocpu-upload']));
  ch.stderr.resume();
  let out = '';
  ch.on('data', (b: Buffer) => (out += b.toString()));
  const closed = new Promise<void>((r) => ch.on('close', () => r()));
  const line = async (re: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const m = re.exec(out);
      if (m) return m;
      await Promise.race([new Promise((r) => ch.once('data', r)), closed.then(() => assert.fail(`upload.sh ended before ${re}: ${out}`))]);
    }
  };
  ch.write(`${sha} ${data.length}\n`);
  const [, id] = await line(/^send (\d+)\n/);
  const tmp = `"\${XDG_CACHE_HOME:-$HOME/.cache}/gocpu/bin/${sha}.tmp.${id}"`;
  const lock = () => remoteShell('ssh', `if [ ! -e ${tmp} ]; then echo gone; elif flock -n -s ${tmp} true; then echo free; else echo held; fi`);
  ch.write(data);
  assert.equal((await lock()).trim(), 'held', 'locked before the verdict');
  ch.end('commit\n');
  await line(/^send \d+\ndone\n/);
  assert.equal((await lock()).trim(), 'gone', 'moved into place');
  assert.equal(await cached(sha), `${sha} 500 0`);
  await closed;
});

test('an upload tells of its commit (onCommit) before it is over', async () => {
  const c = await connected();
  const data = randomBytes(64 * 1024);
  const file = path.join(scratch.dir, 'told.test');
  fs.writeFileSync(file, data);
  const sha = sha256(data);
  const events: string[] = [];
  await upload(c, file, sha, data.length, undefined, (id) => events.push(`commit ${/^\d+$/.test(id) ? 'ID' : id}`)).then(() => events.push('done'));
  assert.deepEqual(events, ['commit ID', 'done']);
  assert.equal(await cached(sha), `${sha} 500 0`);
});

test('two connections sharing one cache record send a new binary once: the second waits for the first\'s upload, then knows it', async () => {
  const [a, b] = await Promise.all([ssh.connected(), ssh2.connected()]);
  assert.notEqual(a, b);
  // Big enough that the second asks while the first is still sending.
  const data = randomBytes(8 * 1024 * 1024);
  const file = path.join(scratch.dir, 'shared.test');
  fs.writeFileSync(file, data);
  const sha = sha256(data);
  const cache = remoteCache();
  const onA = new RemoteBinaries(undefined, cache);
  const onB = new RemoteBinaries(undefined, cache);
  const first = await onA.start(a, file);
  assert.ok(first.sent, 'the remote lacks it: A sends it');
  const second = await onB.start(b, file);
  assert.equal(second.sent, first.sent, 'B waits for the upload on its way, not one of its own');
  assert.equal(second.committing, first.committing, 'and is told of its commit as A is');
  await Promise.all([first.sent, second.sent]);
  assert.equal(await cached(sha), `${sha} 500 0`);
  assert.deepEqual(onB.place(b, file), { sha }, 'known on B at once, without a round trip');
  // Apart, each connection asks for itself (upload.sh then says "have": nothing is sent twice
  // into the cache, but each pays its round trips).
  const apart = await new RemoteBinaries().start(b, file);
  assert.ok(apart.sent, 'a record of its own does not know it');
  await apart.sent;
});
