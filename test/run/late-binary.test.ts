/**
 * src/run/late-binary.ts: what the run's header says of the test binary, decided from
 * what the binary hook gave, never from which setup step settled first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CachedBinary } from '../../src/agent/binary-cache.js';
import { followBinary, type HeaderBinary } from '../../src/run/late-binary.js';

const SHA = 'ab'.repeat(32);

function late(h: HeaderBinary): Promise<string | undefined> {
  assert.ok(typeof h === 'object', `late: ${JSON.stringify(h)}`);
  return h.late;
}

test('known at once (a value, not a promise): the header names it, even where the binary could be late', async () => {
  assert.equal(await followBinary({ sha: SHA }).forHeader(true), SHA);
  assert.equal(await followBinary({ sha: SHA }).forHeader(false), SHA);
});

test('no binary to place: nothing in the header (paged in through the mount)', async () => {
  assert.equal(await followBinary(undefined).forHeader(true), undefined);
  assert.equal(await followBinary(Promise.resolve(undefined)).forHeader(false), undefined);
  assert.equal(await late(await followBinary(Promise.resolve(undefined)).forHeader(true)), undefined);
});

test('a promise is late, even one that settled before the header was asked for', async () => {
  const p = Promise.resolve<CachedBinary>({ sha: SHA });
  await p;
  assert.equal(await late(await followBinary(p).forHeader(true)), SHA);
});

test('late: the sha256 once the binary arrived, nothing if it could not be cached', async () => {
  let arrive = (_ok: boolean) => {};
  const arriving = new Promise<boolean>((r) => (arrive = r));
  const h = await followBinary(Promise.resolve({ sha: SHA, arriving })).forHeader(true);
  let settled = false;
  const sha = late(h).then((s) => ((settled = true), s));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'not before it arrived');
  arrive(true);
  assert.equal(await sha, SHA);
  const failed = await followBinary(Promise.resolve({ sha: SHA, arriving: Promise.resolve(false) })).forHeader(true);
  assert.equal(await late(failed), undefined);
});

test('late, the hook failing: paged in through the mount; not late (a copy, a terminal): the run fails as before', async () => {
  const boom = () => Promise.reject(new Error('boom'));
  assert.equal(await late(await followBinary(boom()).forHeader(true)), undefined);
  await assert.rejects(followBinary(boom()).forHeader(false), /boom/);
});

test('not late: waits for the binary to arrive, and names it (or nothing if it could not be cached)', async () => {
  let arrive = (_ok: boolean) => {};
  const arriving = new Promise<boolean>((r) => (arrive = r));
  let settled = false;
  const h = followBinary(Promise.resolve({ sha: SHA, arriving })).forHeader(false).then((x) => ((settled = true), x));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false);
  arrive(true);
  assert.equal(await h, SHA);
  assert.equal(await followBinary(Promise.resolve({ sha: SHA, arriving: Promise.resolve(false) })).forHeader(false), undefined);
});

test('late, committing: the run half is told its line as the commit goes, before the binary arrived', async () => {
  const h = await followBinary(Promise.resolve({ sha: SHA, committing: Promise.resolve(`${SHA} 42`), arriving: new Promise<boolean>(() => {}) })).forHeader(true);
  assert.equal(await late(h), `${SHA} 42`);
});

test('late, an upload without a commit line (no lock on the remote, or it failed first): told once the binary arrived', async () => {
  let arrive = (_ok: boolean) => {};
  const arriving = new Promise<boolean>((r) => (arrive = r));
  const h = await followBinary(Promise.resolve({ sha: SHA, committing: Promise.resolve(undefined), arriving })).forHeader(true);
  let settled = false;
  const line = late(h).then((s) => ((settled = true), s));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'not before it arrived');
  arrive(true);
  assert.equal(await line, SHA);
});

test('not late (a copy, a terminal): a commit line is not enough, the binary must have arrived', async () => {
  let arrive = (_ok: boolean) => {};
  const arriving = new Promise<boolean>((r) => (arrive = r));
  let settled = false;
  const h = followBinary(Promise.resolve({ sha: SHA, committing: Promise.resolve(`${SHA} 42`), arriving })).forHeader(false).then((x) => ((settled = true), x));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false);
  arrive(true);
  assert.equal(await h, SHA);
});
