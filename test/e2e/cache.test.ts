/**
 * Done means: go's test cache works through the wrapper. go caches a result only when
 * the binary wrote its test log (which records the files and env it read); running the
 * same `go test` twice must print `(cached)`, and editing a testdata file must make the
 * next run re-run the test and see the new content. Checked against a local run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertSameRun, copyFixture, describeRun, goTest, randomToken, RunResult, testHost } from './harness.js';

const PKG = 'example.com/fx/cache';

/**
 * Runs the sequence run, run, edit, run, run on a fresh copy. The test reads
 * FX_CACHE_NONCE, so go's test log records it and a random value makes a result cached
 * by any earlier run impossible to hit; this keeps the warm build cache (a fresh GOCACHE
 * would rebuild the standard library twice, about 20 s).
 */
async function sequence(goarch: string | undefined, extra: Record<string, string> = {}): Promise<RunResult[]> {
  const copy = copyFixture('cache');
  const env = { FX_CACHE_NONCE: randomToken(), ...extra };
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

/**
 * The test log comes back through the watch half (src/run/test-log.ts), not through the
 * mount: the trace counts its bytes for each run that ran the test, the watch half sent
 * it unasked (as the test ended), and the SFTP server saw no request for it.
 */
function assertLogNotThroughMount(trace: string, side: string): void {
  const logs = trace.match(/ ms test log: \d+ bytes$/gm) ?? [];
  assert.equal(logs.length, 2, `${side}: the two runs that ran the test brought their log back:\n${trace}`);
  assert.doesNotMatch(trace, / ms sftp: .*testlog\.txt/, `${side}: the test log went through the mount:\n${trace}`);
  assert.doesNotMatch(trace, / ms test log: not pushed/, `${side}: the watch half did not push the log by itself:\n${trace}`);
  assert.match(trace, / ms sftp: LSTAT /, `${side}: the trace shows the SFTP requests`);
}

test('a second go test prints (cached); editing testdata invalidates it', async (t) => {
  const local = await sequence(undefined);
  assertSequence(local, 'local');
  testHost();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-e2e-cache-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [side, mode] of [['remote (agent)', {}], ['remote (direct)', { GOCPU_AGENT: '0' }]] as const) {
    const trace = path.join(dir, `trace-${Object.keys(mode).length}`);
    const remote = await sequence('arm64', { ...mode, GOCPU_TRACE_FILE: trace });
    assertSequence(remote, side);
    for (let i = 0; i < local.length; i++) assertSameRun(local[i], remote[i], `run ${i + 1} of the cache sequence, ${side}`);
    assertLogNotThroughMount(fs.readFileSync(trace, 'utf8'), side);
  }
});
