/**
 * src/util/file-hash.ts: sha256 of a file, remembered per identity, a hash on its way shared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256Known, sha256Of } from '../../src/util/file-hash.js';

const expected = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-hash-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the sha256 and size of empty, small and multi-chunk files', async (t) => {
  const dir = scratch(t);
  // 2.5 MiB + 1: three reads of 1 MiB, the last one short.
  for (const size of [0, 1, 4095, 2.5 * 1024 * 1024 + 1]) {
    const file = path.join(dir, `f${size}`);
    const data = randomBytes(size);
    fs.writeFileSync(file, data);
    assert.deepEqual(await sha256Of(file), { sha: expected(data), size }, `size ${size}`);
  }
});

test('calls at once agree, and a changed file is read again', async (t) => {
  const file = path.join(scratch(t), 'bin');
  const a = randomBytes(3 << 20);
  fs.writeFileSync(file, a);
  const all = await Promise.all([sha256Of(file), sha256Of(file), sha256Of(file)]);
  for (const r of all) assert.equal(r.sha, expected(a));
  // Same size, another mtime: a rebuilt binary of the same length.
  const b = randomBytes(a.length);
  fs.writeFileSync(file, b);
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(file, later, later);
  assert.equal((await sha256Of(file)).sha, expected(b));
});

test('a file that cannot be read fails, and is read once it can be', async (t) => {
  const file = path.join(scratch(t), 'later');
  await assert.rejects(sha256Of(file), { code: 'ENOENT' });
  fs.mkdirSync(file);
  // stat succeeds, the read fails.
  await assert.rejects(sha256Of(file), { code: 'EISDIR' });
  fs.rmdirSync(file);
  fs.writeFileSync(file, 'now');
  assert.equal((await sha256Of(file)).sha, expected(Buffer.from('now')));
});

test('sha256Known: only a file hashed before and unchanged since, without waiting', async (t) => {
  const dir = scratch(t);
  const file = path.join(dir, 'known');
  const data = randomBytes(1000);
  fs.writeFileSync(file, data);
  assert.equal(sha256Known(file), undefined, 'never hashed');
  const on = sha256Of(file);
  assert.equal(sha256Known(file), undefined, 'its hash still on its way');
  await on;
  assert.deepEqual(sha256Known(file), { sha: expected(data), size: 1000 });
  // Another identity (size, mtime): not the remembered hash's file any more.
  fs.appendFileSync(file, 'x');
  assert.equal(sha256Known(file), undefined, 'changed since');
  fs.rmSync(file);
  assert.equal(sha256Known(file), undefined, 'gone');
});
