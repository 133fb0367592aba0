/**
 * A late binary (src/run/late-binary.ts) against the test host: the run's header goes
 * before the test binary is in the remote's cache, run.sh builds the view meanwhile,
 * and the binary is bound once its sha256 follows the header; if it could not be
 * cached, the test pages it in through the mount as without a cache; a line that comes
 * while the upload still commits it makes the view wait for the upload's lock
 * (src/remote/upload.sh), then bind it, or page it in if the commit failed; a run whose
 * wrapper goes while its binary is still on its way leaves nothing on the host.
 * The binary's arrival is held back here (a gate) until the view is built, so each
 * case shows the order, not a race that happened to go one way.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client, ClientChannel } from 'ssh2';
import { RemoteBinaries } from '../../src/agent/binary-cache.js';
import { exec } from '../../src/ssh/connect.js';
import type { CachedBinary } from '../../src/agent/binary-cache.js';
import { planRun, type RunPlan } from '../../src/run/plan.js';
import { runOnClient } from '../../src/run/run.js';
import type { RemoteEnd } from '../../src/gotest/exit-status.js';
import { fixtureDir, goEnv, goTestBinary, tempDir, testHost } from './harness.js';
import { collected } from './run-remote.js';
import { testHostClient } from './test-client.js';
import { remoteShell, remoteState, waitRemoteClean, type RemoteRun } from './remote-state.js';
import { until } from './until.js';

const th = testHost();
const scratch = tempDir();
const probe = fixtureDir('probe');
const ssh = testHostClient();
let built = '';
before(async () => {
  built = await goTestBinary(probe, path.join(scratch.dir, 'probe.test'), 'arm64');
});
after(async () => {
  await ssh.close();
  scratch.cleanup();
});

const connected = ssh.connected;

/** The probe binary with random bytes after it: a sha256 no cache has yet. */
function newBinary(name: string): string {
  const file = path.join(scratch.dir, name, 'probe.test');
  fs.mkdirSync(path.dirname(file));
  fs.copyFileSync(built, file);
  fs.appendFileSync(file, randomBytes(16));
  fs.chmodSync(file, 0o755);
  return file;
}

function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

function plan(binary: string): RunPlan {
  const env = goEnv({ goarch: 'arm64' });
  return planRun({
    target: { goos: 'linux', goarch: 'arm64' },
    host: th.host,
    command: [binary, '-test.run=^TestExeMount$'].map((a) => Buffer.from(a)),
    cwd: probe,
    env,
    rawEnv: [],
    config: {},
  });
}

async function runIt(c: Client, p: RunPlan, binary: () => Promise<CachedBinary>, abort?: AbortSignal): Promise<{ end: Promise<RemoteEnd>; stdout: () => string; stderr: () => string }> {
  const out = collected();
  const err = collected();
  const end = runOnClient(c, p, { stdin: null, stdout: out.stream, stderr: err.stream }, { binary, abort });
  end.catch(() => {});
  return { end, stdout: out.text, stderr: err.text };
}

/** Until the run's view is built but for the binary: view.sh waits for its line (the holder is up, its fstab mounted). */
async function viewWaitsForTheBinary(nonce: string): Promise<void> {
  const dir = `/tmp/gocpu.${nonce}`;
  // fstab is written just before `mount -a`; the root's tmpfs holds the binds after it.
  await until(`run ${nonce}'s view is built and waits for the binary`, async () =>
    (await remoteShell('ssh', `[ -e ${dir}/fstab ] && [ -p ${dir}/bin-late ] && grep -q " ${dir}/root/proc " /proc/*/mountinfo 2>/dev/null && echo yes || :`)).trim() === 'yes', 20_000, 100);
}

test('a late binary: the view is built before it is in the cache, and it is bound from there once it is', async () => {
  const c = await connected();
  const file = newBinary('late');
  const p = plan(file);
  const g = gate();
  const bins = new RemoteBinaries();
  let sha = '';
  const r = await runIt(c, p, async () => {
    const s = await bins.start(c, file);
    sha = s.sha;
    assert.ok(s.sent, 'the remote has no copy of a new binary');
    return { sha: s.sha, arriving: g.opened.then(() => s.sent).then(() => true) };
  });
  await viewWaitsForTheBinary(p.nonce);
  g.open();
  const end = await r.end;
  assert.deepEqual(end, { code: 0 }, r.stderr());
  assert.match(r.stdout(), new RegExp(`^exe-mount \\S+ \\S*/\\.cache/gocpu/bin/${sha}$`, 'm'), `bound from the cache:\n${r.stdout()}${r.stderr()}`);
});

test('a late binary that could not be cached is paged in through the mount', async () => {
  const c = await connected();
  const file = newBinary('uncached');
  const p = plan(file);
  const g = gate();
  // A sha256 the cache has nothing under: what the line says when the upload failed.
  const r = await runIt(c, p, async () => ({ sha: randomBytes(32).toString('hex'), arriving: g.opened.then(() => false) }));
  await viewWaitsForTheBinary(p.nonce);
  g.open();
  const end = await r.end;
  assert.deepEqual(end, { code: 0 }, r.stderr());
  assert.match(r.stdout(), /^exe-mount none$/m, `the binary is the mount's own file:\n${r.stdout()}${r.stderr()}`);
});

/**
 * The cache's copy of `sha` moved to the name an upload writes it under, and held with the
 * upload's lock until commit() (moved back into place) or drop() (removed), as upload.sh
 * does: the line "SHA ID" names it.
 */
async function committing(c: Client, sha: string): Promise<{ id: string; tmp: string; commit: () => void; drop: () => void; ended: Promise<void> }> {
  const script = `set -e; b="\${XDG_CACHE_HOME:-$HOME/.cache}/gocpu/bin"; f="$b/${sha}"; t="$f.tmp.$$"
mv "$f" "$t"; exec 9<"$t"; flock 9; echo "locked $$ $t"
read -r x; if [ "$x" = commit ]; then mv "$t" "$f"; else rm -f "$t"; fi`;
  const ch: ClientChannel = await exec(c, `sh -c '${script.replace(/'/g, `'\\''`)}'`);
  ch.stderr.resume();
  const ended = new Promise<void>((r) => ch.on('close', () => r()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    ch.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^locked (\d+) (\S+)\n/.exec(out);
      if (m) resolve(m[0]);
    });
    ch.stderr.on("data", (b: Buffer) => (out += b.toString()));
    ch.on("close", () => reject(new Error(`the lock holder ended first: ${out}`)));
  });
  const [, id, tmp] = line.trim().split(' ');
  return { id, tmp, ended, commit: () => ch.end('commit\n'), drop: () => ch.end('drop\n') };
}

/** Until a flock on the test host waits for `tmp`'s lock (the view, told of the binary while it is committed). */
async function runWaitsForTheLock(tmp: string): Promise<void> {
  await until(`a flock waits for ${tmp}`, async () =>
    (await remoteShell('ssh', `for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = flock ] && ls -l $p/fd 2>/dev/null | grep -qF '${tmp}' && echo yes; done; :`)).includes('yes'), 20_000, 100);
}

// told: the line comes at once (view.sh most often reads it before its mount -a), or only
// once the view waits for it (after its mount -a, always).
for (const [outcome, told] of [['commit', 'at once'], ['drop', 'at once'], ['commit', 'once the view waits']] as const) {
  test(`told ${told} while its upload still commits it, the view waits for the upload's lock, then ${outcome === 'commit' ? 'binds the binary from the cache' : 'pages it in through the mount (the commit failed)'}`, async () => {
    const c = await connected();
    const file = newBinary(`committing-${outcome}-${told.length}`);
    const sha = await new RemoteBinaries().ensure(c, file);
    const holder = await committing(c, sha);
    const p = plan(file);
    let ended = false;
    const g = gate();
    if (told === 'at once') g.open();
    const r = await runIt(c, p, async () => ({ sha, committing: g.opened.then(() => `${sha} ${holder.id}`), arriving: new Promise<boolean>(() => {}) }));
    void r.end.finally(() => (ended = true)).catch(() => {});
    if (told !== 'at once') {
      await viewWaitsForTheBinary(p.nonce);
      g.open();
    }
    await runWaitsForTheLock(holder.tmp);
    assert.equal(ended, false, 'the test waits for the commit');
    holder[outcome]();
    await holder.ended;
    const end = await r.end;
    assert.deepEqual(end, { code: 0 }, r.stderr());
    const want = outcome === 'commit' ? new RegExp(`^exe-mount \\S+ \\S*/\\.cache/gocpu/bin/${sha}$`, 'm') : /^exe-mount none$/m;
    assert.match(r.stdout(), want, `${outcome}:\n${r.stdout()}${r.stderr()}`);
  });
}

test('told of an upload whose file is gone without a commit (it failed before the view looked): paged in through the mount', async () => {
  const c = await connected();
  const file = newBinary('commit-failed');
  const p = plan(file);
  const g = gate();
  // A sha256 and an upload id with no file under either name.
  const sha = randomBytes(32).toString('hex');
  const r = await runIt(c, p, async () => ({ sha, committing: g.opened.then(() => `${sha} 4294967295`), arriving: new Promise<boolean>(() => {}) }));
  await viewWaitsForTheBinary(p.nonce);
  g.open();
  const end = await r.end;
  assert.deepEqual(end, { code: 0 }, r.stderr());
  assert.match(r.stdout(), /^exe-mount none$/m, `the binary is the mount's own file:\n${r.stdout()}${r.stderr()}`);
});

test('a run whose wrapper goes while its binary is still on its way leaves nothing on the host', async () => {
  const c = await connected();
  const file = newBinary('gone');
  const p = plan(file);
  const g = gate();
  const ac = new AbortController();
  const r = await runIt(c, p, async () => ({ sha: randomBytes(32).toString('hex'), arriving: g.opened.then(() => true) }), ac.signal);
  await viewWaitsForTheBinary(p.nonce);
  const st = await remoteState([p.nonce]);
  const run: RemoteRun = { marker: p.nonce, nonce: p.nonce, dir: `/tmp/gocpu.${p.nonce}`, pidns: [], procs: st.procs.filter((x) => x.marked), mounts: [] };
  assert.ok(run.procs.some((x) => / gocpu-view /.test(x.args)), `the holder is up:\n${run.procs.map((x) => x.args).join('\n')}`);
  ac.abort();
  await assert.rejects(r.end, (e: Error & { code?: string }) => e.code === 'WRAPPER_GONE');
  // The binary arrives after all: nothing is written to the closed run channel, nothing throws.
  g.open();
  assert.deepEqual(await waitRemoteClean(run, Date.now() + 20_000), [], 'nothing left');
});

test('a run whose wrapper goes while its view waits for the upload\'s lock leaves nothing on the host, the lock still held', async (t) => {
  // Connections of their own: a run's teardown without an agent ends its connection, and
  // the lock's holder must outlive it (else the lock goes with it, and so would the wait).
  const own = testHostClient();
  const holding = testHostClient();
  t.after(async () => (await own.close(), await holding.close()));
  const c = await own.connected();
  const file = newBinary('lock-gone');
  const sha = await new RemoteBinaries().ensure(c, file);
  const holder = await committing(await holding.connected(), sha);
  try {
    const p = plan(file);
    const ac = new AbortController();
    const r = await runIt(c, p, async () => ({ sha, committing: Promise.resolve(`${sha} ${holder.id}`), arriving: new Promise<boolean>(() => {}) }), ac.signal);
    await runWaitsForTheLock(holder.tmp);
    const st = await remoteState([p.nonce]);
    const waiter = st.procs.filter((x) => x.args === 'flock -s 8');
    assert.ok(waiter.length > 0, 'the flock waiting is seen');
    const run: RemoteRun = { marker: p.nonce, nonce: p.nonce, dir: `/tmp/gocpu.${p.nonce}`, pidns: [], procs: [...st.procs.filter((x) => x.marked), ...waiter], mounts: [] };
    ac.abort();
    await assert.rejects(r.end, (e: Error & { code?: string }) => e.code === 'WRAPPER_GONE');
    assert.deepEqual(await waitRemoteClean(run, Date.now() + 20_000), [], 'nothing left');
    assert.equal((await remoteShell('ssh', `flock -n -s ${holder.tmp} true && echo free || echo held`)).trim(), 'held', 'the lock was held all along');
  } finally {
    holder.commit();
    await holder.ended;
  }
});
