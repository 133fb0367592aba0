/**
 * Copy mode (issue 10) on the real test host, forced with GOCPU_MODE=copy (the variant
 * hosts of testhost-variants.test.ts get it by themselves): the test sees its package
 * tree as in mount mode (contents, links, modes, mtimes, cwd, read-only), a link that
 * leads outside the exports is not followed, -coverprofile and go's test cache work,
 * a second run sends only what changed, and a wrapper killed by SIGKILL leaves nothing
 * on the host.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyFixture, describeRun, goEnv, goTest, goTestBinary, randomToken, requireWrapper, run, tempDir } from './harness.js';
import { normalize } from './normalize.js';
import { startRun } from './live-run.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { assertRunHas, findRemoteRun, remoteShell, remoteState, testProcessPattern, waitRemoteClean } from './remote-state.js';

const fx = copyFixture('copy');
const outside = tempDir();
const gocache = tempDir();
after(() => {
  fx.cleanup();
  outside.cleanup();
  gocache.cleanup();
});

const data = () => path.join(fx.dir, 'testdata', 'data.txt');
before(() => {
  // git keeps neither: set what the test prints.
  fs.chmodSync(data(), 0o640);
  fs.utimesSync(data(), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
  // A local file outside every export, behind a link in the tree: never shipped.
  fs.writeFileSync(path.join(outside.dir, 'secret'), 'local secret\n');
  fs.symlinkSync(path.join(outside.dir, 'secret'), path.join(fx.dir, 'testdata', 'outside'));
});

const COPY = { GOCPU_MODE: 'copy' };
const MOUNT = { GOCPU_MODE: 'mount' };

test('copy mode shows the test what mount mode shows, and -coverprofile comes back', async () => {
  const results = [];
  for (const env of [MOUNT, COPY]) {
    const cover = path.join(fx.dir, `cover-${env.GOCPU_MODE}.out`);
    const r = await goTest({ args: ['-count=1', '-v', '-run', '^Test(Read|OutsideLink|WriteTree)$', `-coverprofile=${cover}`, '.'], cwd: fx.dir, goarch: 'arm64', env, gocache: gocache.dir, timeoutMs: 120_000 });
    assert.equal(r.code, 0, describeRun(r));
    results.push({ out: normalize(r.stdout), cover: fs.readFileSync(cover, 'utf8') });
  }
  const [mount, copy] = results;
  assert.equal(copy.out, mount.out);
  assert.match(copy.out, /^read testdata\/data.txt: "copied bytes\\n" <nil>$/m);
  assert.match(copy.out, /^read testdata\/link.txt: "copied bytes\\n" <nil>$/m);
  assert.match(copy.out, /^mode -rw-r----- mtime 1577934245$/m);
  assert.ok(copy.out.includes(`\nwd ${fx.dir}\n`), copy.out);
  assert.match(copy.out, /^outside: not exist true$/m);
  assert.match(copy.out, /^write refused true$/m);
  assert.equal(copy.cover, mount.cover);
  assert.match(copy.cover, /^example\.com\/fx\/copy\/copy\.go:5\.24,5\.40 1 1$/m);
});

test("copy mode: go's test cache replays an unchanged package", async () => {
  const once = () => goTest({ args: ['-run', '^TestRead$', '.'], cwd: fx.dir, goarch: 'arm64', env: COPY, gocache: gocache.dir, timeoutMs: 120_000 });
  const first = await once();
  assert.equal(first.code, 0, describeRun(first));
  const second = await once();
  assert.equal(second.code, 0, describeRun(second));
  assert.match(second.stdout, /^ok\s+example\.com\/fx\/copy\s+\(cached\)$/m, describeRun(second));
});

test('copy mode: a second run sends only what changed (GOCPU_TRACE)', async () => {
  // Outside the package: a binary's directory is writable, and writable files are never cached.
  const bin = await goTestBinary(fx.dir, path.join(gocache.dir, 'copy.test'), 'arm64');
  const once = async () => {
    const r = await run(requireWrapper('arm64'), [bin, '-test.run=^TestRead$'], { cwd: fx.dir, env: goEnv({ goarch: 'arm64', env: { ...COPY, GOCPU_TRACE: '1', GOCPU_AGENT: '0' } }), timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(r));
    const m = /copy: \d+ entries, (\d+) files; sent (\d+) \((\d+) bytes\)/.exec(r.stderr);
    assert.ok(m, describeRun(r));
    return { files: Number(m[1]), sent: Number(m[2]), stdout: r.stdout };
  };
  await once();
  const warm = await once();
  assert.ok(warm.files >= 4, `files: ${warm.files}`);
  assert.equal(warm.sent, 0, 'an unchanged tree sends nothing');
  fs.writeFileSync(data(), 'changed bytes\n');
  const changed = await once();
  assert.equal(changed.sent, 1, 'one changed file is sent');
  assert.match(changed.stdout, /read testdata\/data.txt: "changed bytes\\n"/);
});

test('copy mode: wrapper killed by SIGKILL mid-test, within 10 s nothing of the run is left', async () => {
  const bin = await goTestBinary(fx.dir, path.join(gocache.dir, 'copy-sleep.test'), 'arm64');
  const marker = `gocpu-e2e-copy-${randomToken()}`;
  const env = goEnv({ goarch: 'arm64', env: { ...COPY, GOCPU_AGENT: '0', FX_SLEEP: '1' } });
  const live = startRun(requireWrapper('arm64'), [bin, '-test.v=true', '-test.run=^TestSleep$', marker], { cwd: fx.dir, env, timeoutMs: 120_000, merged: true });
  await live.waitFor(/^ready/m, 60_000);
  const remote = await findRemoteRun(marker);
  // No sshfs, no mount in the host's namespace: the copy half holds the run dir.
  assertRunHas(remote, [/\bunshare --user/, /^sleep infinity$/, testProcessPattern(marker), /gocpu-copy /, /gocpu-watch /], true);
  live.signal('SIGKILL');
  const t0 = Date.now();
  const r = await live.done;
  assert.equal(r.signal, 'SIGKILL', describeRun(r));
  const left = await waitRemoteClean(remote, t0 + 10_000);
  assert.deepEqual(left, [], `run ${remote.nonce} left: ${left.join('\n')}`);
});

test('copy mode: a stale copy run (dead copy half, 5 min old, a read-only dir in its copy) is removed by the next run, the cache it links to is not', async () => {
  const stale = `/tmp/gocpu.${randomToken(12)}`;
  // The host dir's file cache of the login user (copy.sh: gocpu-host.UID/files).
  const keep = `/tmp/gocpu-host.$(id -u)/files/gocpu-e2e-keep-${randomToken()}`;
  await remoteShell('ssh', [
    'set -e', 'dead=$(sh -c \'echo $$\')',
    `mkdir -p /tmp/gocpu-host.$(id -u)/files && echo kept >${keep}`,
    `mkdir -m 700 ${stale} && cd ${stale} && mkdir -p mnt/work/pkg/testdata root new && : >copy && echo "$dead" >mount.pid`,
    'ln -s /tmp/gocpu-host.$(id -u)/files c',
    `ln ${keep} mnt/work/pkg/testdata/linked && echo x >mnt/work/pkg/own && echo y >new/pending`,
    'chmod 0555 mnt/work/pkg/testdata mnt/work/pkg',
    `touch -d '5 min ago' ${stale}`,
  ].join('\n'));
  try {
    const bin = await goTestBinary(fx.dir, path.join(gocache.dir, 'copy-stale.test'), 'arm64');
    const r = await run(requireWrapper('arm64'), [bin, '-test.run=^TestRead$'], { cwd: fx.dir, env: goEnv({ goarch: 'arm64', env: { ...COPY, GOCPU_AGENT: '0' } }), timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(r));
    const dirs = (await remoteState([])).dirs;
    assert.ok(!dirs.includes(stale), `${stale} is still there after a run: ${dirs.join(' ')}`);
    assert.equal(await remoteShell('ssh', `cat ${keep}`), 'kept\n');
  } finally {
    await remoteShell('ssh', `chmod -R u+w ${stale} 2>/dev/null; rm -rf ${stale} ${keep}; true`);
  }
});

// Built in the file's `before` (fixtureBinaries registers it).
const fxFaults = fixtureBinaries('faults');

test('copy mode: a copy half killed mid-test loses the outputs with one warning line; the test itself ends as it would', async () => {
  const marker = `gocpu-e2e-copy-crash-${randomToken()}`;
  const cover = path.join(gocache.dir, 'crash-cover.out');
  const env = goEnv({ goarch: 'arm64', env: { ...COPY, GOCPU_AGENT: '0', FX_MARKER: marker } });
  const live = startRun(requireWrapper('arm64'), [fxFaults.remote(), '-test.v=true', '-test.run=^TestWaitStdin$', `-test.testlogfile=${cover}.log`, marker], { cwd: fxFaults.cwd, env, timeoutMs: 120_000, stdin: true });
  await live.waitFor(/^ready/m, 60_000);
  const remote = await findRemoteRun(marker);
  const copyHalf = remote.procs.find((p) => /gocpu-copy /.test(p.args));
  assert.ok(copyHalf, 'no copy half in the run');
  await remoteShell('ssh', `kill -KILL ${copyHalf.pid}`);
  live.write('go\n');
  const r = await live.done;
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.output, /--- PASS: TestWaitStdin/);
  const ours = r.output.split('\n').filter((l) => l.startsWith('gocpu:'));
  assert.equal(ours.length, 1, describeRun(r));
  assert.match(ours[0], /the copy half on \S+ ended before the run did: what the test wrote .* did not come back/);
});
