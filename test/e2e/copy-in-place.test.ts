/**
 * Copy mode without user namespaces (issue 10), on the nouserns variant host: the test
 * runs in the copy itself. Everything it reads and writes is as in mount mode except
 * its working directory (and so any absolute path), which the one stderr line and the
 * README name; the coverage profile, whose path was rebased into the copy, comes back
 * identical. A wrapper killed by SIGKILL leaves neither the test nor what it started
 * nor the run dir behind: the teardown kills the test's process group.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyFixture, describeRun, goEnv, goTest, goTestBinary, randomToken, requireWrapper, tempDir } from './harness.js';
import { normalize } from './normalize.js';
import { startRun } from './live-run.js';
import { upVariant, type VariantHost } from './testhost-variants.js';

const fx = copyFixture('copy');
const scratch = tempDir();
after(() => {
  fx.cleanup();
  scratch.cleanup();
});
let host: VariantHost;

before(async () => {
  host = await upVariant('nouserns');
  const data = path.join(fx.dir, 'testdata', 'data.txt');
  fs.chmodSync(data, 0o640);
  fs.utimesSync(data, new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
});

/** sh on the variant host as its login user; the script on stdin. */
function ssh(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-F', host.sshConfig, host.host, 'sh', '-s'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin.end(script);
  });
}

test('in place: the same reads, modes, mtimes and coverage as mount mode; only the working directory differs', async () => {
  const runs = [];
  for (const env of [{ GOCPU_MODE: 'mount' }, { ...host.env, GOCPU_MODE: 'copy' }]) {
    const cover = path.join(scratch.dir, `cover-${runs.length}.out`);
    const r = await goTest({ args: ['-count=1', '-v', '-run', '^Test(Read|OutsideLink)$', `-coverprofile=${cover}`, '.'], cwd: fx.dir, goarch: 'arm64', env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, describeRun(r));
    runs.push({ out: normalize(r.stdout), cover: fs.readFileSync(cover, 'utf8') });
  }
  const [mount, inPlace] = runs;
  const wd = /^wd (.*)$/m;
  assert.equal(wd.exec(mount.out)?.[1], fx.dir);
  assert.match(wd.exec(inPlace.out)?.[1] ?? '', new RegExp(`^/tmp/gocpu\\.[0-9a-f]{24}/mnt${fx.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  assert.equal(inPlace.out.replace(wd, ''), mount.out.replace(wd, ''));
  assert.equal(inPlace.cover, mount.cover);
  assert.match(inPlace.cover, /copy\.go:5\.24,5\.40 1 1/);
});

test('in place: wrapper killed by SIGKILL mid-test, within 10 s the test, its children and the run dir are gone', async () => {
  const bin = await goTestBinary(fx.dir, path.join(scratch.dir, 'sleep.test'), 'arm64');
  const marker = `gocpu-e2e-inplace-${randomToken()}`;
  const traceFile = path.join(scratch.dir, 'trace');
  const env = goEnv({ goarch: 'arm64', env: { ...host.env, GOCPU_MODE: 'copy', GOCPU_AGENT: '0', FX_SLEEP: '1', GOCPU_TRACE_FILE: traceFile } });
  const live = startRun(requireWrapper('arm64'), [bin, '-test.v=true', '-test.run=^TestSleep$', marker], { cwd: fx.dir, env, timeoutMs: 120_000, merged: true });
  await live.waitFor(/^ready/m, 60_000);
  const nonce = /run ([0-9a-f]{24}) on /.exec(fs.readFileSync(traceFile, 'utf8'))?.[1];
  assert.ok(nonce, 'no run line in the trace');
  const look = `pgrep -f -- '${marker}' >/dev/null && echo process; [ -e /tmp/gocpu.${nonce} ] && echo dir; true`;
  assert.match(await ssh(look), /process\ndir/, 'the run is there while it runs');
  live.signal('SIGKILL');
  const r = await live.done;
  assert.equal(r.signal, 'SIGKILL', describeRun(r));
  const deadline = Date.now() + 10_000;
  let left = '';
  do {
    left = await ssh(look);
    if (left === '') break;
    await new Promise((res) => setTimeout(res, 500));
  } while (Date.now() < deadline);
  assert.equal(left, '', `run ${nonce} left on the host`);
});
