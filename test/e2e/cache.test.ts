/**
 * Done means: go's test cache works through the wrapper. go caches a result only when
 * the binary wrote its test log (which records the files and env it read); running the
 * same `go test` twice must print `(cached)`, and editing a testdata file must make the
 * next run re-run the test and see the new content. Checked against a local run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertSameRun, copyFixture, describeRun, goTest, randomToken, RunResult, testHost } from './harness.js';

const PKG = 'example.com/fx/cache';

/**
 * Runs the sequence run, run, edit, run, run on a fresh copy. The test reads
 * FX_CACHE_NONCE, so go's test log records it and a random value makes a result cached
 * by any earlier run impossible to hit; this keeps the warm build cache (a fresh GOCACHE
 * would rebuild the standard library twice, about 20 s).
 */
async function sequence(goarch: string | undefined): Promise<RunResult[]> {
  const copy = copyFixture('cache');
  const env = { FX_CACHE_NONCE: randomToken() };
  try {
    const go = () => goTest({ args: ['-v', '.'], cwd: copy.dir, goarch, env });
    // go does not cache a result that read a file modified in the last few seconds, and
    // hashes size and mtime: give the file, and later the edit, distinct mtimes in the past.
    const data = path.join(copy.dir, 'testdata', 'data.txt');
    const setMtime = (ago: number) => fs.utimesSync(data, new Date(Date.now() - ago), new Date(Date.now() - ago));
    setMtime(120_000);
    const results = [await go(), await go()];
    fs.writeFileSync(data, 'version two\n');
    setMtime(60_000);
    results.push(await go(), await go());
    return results;
  } finally {
    copy.cleanup();
  }
}

function assertSequence(r: RunResult[], side: string): void {
  const ok = (x: RunResult, i: number) => assert.equal(x.code, 0, `${side} run ${i + 1}: ${describeRun(x)}`);
  r.forEach(ok);
  const cached = new RegExp(`^ok  \\t${PKG}\\t\\(cached\\)$`, 'm');
  const ran = new RegExp(`^ok  \\t${PKG}\\t\\d+\\.\\d+s$`, 'm');
  assert.match(r[0].stdout, ran, `${side} run 1 should run the test`);
  assert.match(r[0].stdout, /data: version 1$/m);
  assert.match(r[1].stdout, cached, `${side} run 2 should be cached: ${describeRun(r[1])}`);
  assert.match(r[1].stdout, /data: version 1$/m);
  assert.match(r[2].stdout, ran, `${side} run 3 (after editing testdata) should re-run: ${describeRun(r[2])}`);
  assert.match(r[2].stdout, /data: version two$/m, `${side} run 3 did not see the new content`);
  assert.match(r[3].stdout, cached, `${side} run 4 should be cached again: ${describeRun(r[3])}`);
  assert.match(r[3].stdout, /data: version two$/m);
}

test('a second go test prints (cached); editing testdata invalidates it', async () => {
  const local = await sequence(undefined);
  assertSequence(local, 'local');
  testHost();
  const remote = await sequence('arm64');
  assertSequence(remote, 'remote');
  for (let i = 0; i < local.length; i++) assertSameRun(local[i], remote[i], `run ${i + 1} of the cache sequence`);
});
