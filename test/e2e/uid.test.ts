/**
 * Done means (issue 10, "the test's uid as local"): a test runs remotely as the kind
 * of user it runs as locally. From a local root it is root of the view's namespace, as
 * always; from a local user who is not root it is the remote user, with that user's
 * own uid and gid, so a test that skips without root, or expects "permission denied"
 * on a file only root may open, does the same on both sides. Fixture `uid` prints its
 * ids and those outcomes; each run through the wrapper is compared with a local run
 * of the same user. The unprivileged user is `nobody`, with a home, a GOCACHE, an
 * agent dir and a copy of the test host's user key (never its root key) in a
 * directory of its own (unprivileged.ts, shared with test/conformance/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertSameRun, binDir, describeRun, fixtureDir, goTest, randomToken, run, RunResult, testHost } from './harness.js';
import { remoteSh } from './remote-sh.js';
import { asUser, requireRoot, unprivileged, type Unprivileged } from './unprivileged.js';

const PKG = 'example.com/fx/uid';
const IDS = /^ids: uid=(\d+) gid=(\d+)\n/m;

function ids(r: RunResult): { uid: number; gid: number } {
  const m = IDS.exec(r.stdout);
  assert.ok(m, `no ids line: ${describeRun(r)}`);
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** The run without its ids line: what must match between the two sides. */
function withoutIds(r: RunResult): RunResult {
  const strip = (s: string) => s.replace(IDS, '');
  return { ...r, stdout: strip(r.stdout), stderr: strip(r.stderr), output: strip(r.output) };
}

let remoteIds: { uid: number; gid: number } | undefined;
/** The test host's login user, read outside any namespace. */
async function remoteUser(): Promise<{ uid: number; gid: number }> {
  if (remoteIds) return remoteIds;
  const r = await remoteSh('id -u; id -g', 'user');
  assert.equal(r.code, 0, `id on the test host: ${r.stderr}`);
  const [uid, gid] = r.stdout.trim().split('\n').map(Number);
  assert.ok(uid > 0, `the test host's login user must not be root (uid ${uid})`);
  remoteIds = { uid, gid };
  return remoteIds;
}

test('as local root: the remote test is root of the view, as a local run is root', async () => {
  requireRoot('this test');
  const args = ['-v', '-count=1', '-run', '^(TestIDs|TestPrivilege|TestBinaryDir)$', '.'];
  const cwd = fixtureDir('uid');
  const local = await goTest({ args, cwd });
  assert.equal(local.code, 0, describeRun(local));
  assert.deepEqual(ids(local), { uid: 0, gid: 0 });
  const remote = await goTest({ args, cwd, goarch: 'arm64' });
  assert.deepEqual(ids(remote), { uid: 0, gid: 0 }, describeRun(remote));
  assertSameRun(withoutIds(local), withoutIds(remote), 'the uid fixture as root');
  assert.match(remote.stdout, /^root: true$/m);
  assert.match(remote.stdout, /^open a mode 000 file of our own: ok$/m);
  assert.match(remote.stdout, /^binary's directory owned by the test's uid: true$/m);
});

/** `go test ARGS` as nobody in a fixture (default `uid`), without core files. */
function goTestAs(u: Unprivileged, args: string[], remote: boolean, extra?: Record<string, string>, fixture = 'uid'): Promise<RunResult> {
  const cmd = ['sh', '-c', 'ulimit -c 0; exec go test "$@"', 'sh', ...args];
  return run('setpriv', asUser(u, cmd), {
    cwd: fixtureDir(fixture),
    env: u.env(remote, extra),
    timeoutMs: 180_000,
  });
}

test('as a local user who is not root: the remote test runs as the remote user, and the outcomes match a local run', async (t) => {
  requireRoot('starting go as nobody');
  const u = unprivileged();
  t.after(u.cleanup);
  const remoteId = await remoteUser();
  const profile = (side: string) => path.join(u.dir, `${side}.cover`);
  const args = (side: string) => ['-v', '-count=1', `-coverprofile=${profile(side)}`, '.'];

  const local = await goTestAs(u, args('local'), false);
  assert.equal(local.code, 0, describeRun(local));
  assert.deepEqual(ids(local), { uid: u.uid, gid: u.gid });
  assert.match(local.stdout, /^root: false$/m);
  assert.match(local.stdout, /^open a mode 000 file of our own: permission denied$/m);
  assert.match(local.stdout, /^open \/etc\/shadow: permission denied$/m);
  const want = fs.readFileSync(profile('local'), 'utf8');

  // Through the agent (the default: shared mount, cached binary) and without it.
  for (const [side, agent] of [['remote', {}], ['remote-direct', { GOCPU_AGENT: '0' }]] as const) {
    const remote = await goTestAs(u, args(side), true, agent);
    assert.deepEqual(ids(remote), remoteId, `${side}: the test's ids are the remote user's: ${describeRun(remote)}`);
    assertSameRun(withoutIds(local), withoutIds(remote), `the uid fixture as nobody (${side})`);
    // Written through the mount by the test's uid: the profile (and the test log, below).
    assert.equal(fs.readFileSync(profile(side), 'utf8'), want, `${side}: the coverprofiles differ`);
  }

  // go caches the result only when the binary wrote its test log into $WORK/bNNN.
  const nonce = { FX_UID_NONCE: randomToken() };
  const cached = [
    await goTestAs(u, ['-run', '^TestIDs$', '.'], true, nonce),
    await goTestAs(u, ['-run', '^TestIDs$', '.'], true, nonce),
  ];
  assert.match(cached[0].stdout, new RegExp(`^ok  \\t${PKG}\\t\\d+\\.\\d+s$`, 'm'), describeRun(cached[0]));
  assert.match(cached[1].stdout, new RegExp(`^ok  \\t${PKG}\\t\\(cached\\)$`, 'm'), describeRun(cached[1]));
});

test('as a local user who is not root: a test ends remotely exactly as locally (status, signal sshd can and cannot name)', async (t) => {
  requireRoot('starting go as nobody');
  const u = unprivileged();
  t.after(u.cleanup);
  // SEGV: sshd names it; SYS: it cannot (run.sh's end record); then a plain status.
  for (const end of ['signal:11', 'signal:31', 'exit:3']) {
    const env = { FX_END: end };
    const local = await goTestAs(u, ['-count=1', '.'], false, env, 'ends');
    assert.notEqual(local.code, 0, describeRun(local));
    const remote = await goTestAs(u, ['-count=1', '.'], true, env, 'ends');
    assertSameRun(local, remote, `FX_END=${end} as nobody`);
  }
});

test('as a local user who is not root: on a terminal (a remote pty) the program is the remote user too, and ends as it did', async (t) => {
  requireRoot('starting gocpu as nobody');
  const u = unprivileged();
  t.after(u.cleanup);
  const remoteId = await remoteUser();
  // script(1) gives gocpu a terminal for stdin and stdout: a terminal session (ctl.sh).
  const gocpu = `${binDir}/gocpu -host=${testHost().host} sh -c 'echo "uid=$(id -u) gid=$(id -g) tty=$(tty)"; exit 7'`;
  const r = await run('setpriv', asUser(u, ['script', '-qec', gocpu, '/dev/null']), {
    cwd: fixtureDir('uid'),
    env: { ...u.env(true), TERM: 'xterm' },
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 7, describeRun(r));
  assert.match(r.stdout, new RegExp(`uid=${remoteId.uid} gid=${remoteId.gid} tty=/dev/pts/\\d+`), describeRun(r));
});

test('as a local user who is not root, with a remote root: the program is the remote user, in the chroot', async (t) => {
  requireRoot('starting gocpu as nobody');
  const u = unprivileged();
  t.after(u.cleanup);
  const remoteId = await remoteUser();
  // A chroot directory on the test host as remote-root.test.ts makes one: its /usr and
  // /etc hard links of the host's, plus a marker only it has.
  const rootfs = testHost().rootfs;
  const root = `/srv/gocpu-uid-root.${randomToken()}`;
  const local = (p: string) => path.join(rootfs, p);
  t.after(() => fs.rmSync(local(root), { recursive: true, force: true }));
  fs.mkdirSync(local(root), { mode: 0o755 });
  execFileSync('cp', ['-al', local('/usr'), local(`${root}/usr`)]);
  execFileSync('cp', ['-al', local('/etc'), local(`${root}/etc`)]);
  for (const l of ['bin', 'sbin', 'lib', 'lib64']) {
    if (fs.lstatSync(local(`/${l}`)).isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(local(`/${l}`)), local(`${root}/${l}`));
  }
  const marker = `/etc/gocpu-uid-root.${randomToken()}`;
  fs.writeFileSync(local(root + marker), 'chroot\n', { mode: 0o644 });

  const gocpu = [`${binDir}/gocpu`, `-host=${testHost().host}`, 'sh', '-c', `echo "uid=$(id -u) gid=$(id -g) $(cat ${marker})"`];
  const r = await run('setpriv', asUser(u, gocpu), {
    cwd: fixtureDir('uid'),
    env: { ...u.env(true), GOCPU_REMOTE_ROOT: root },
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, describeRun(r));
  assert.equal(r.stdout, `uid=${remoteId.uid} gid=${remoteId.gid} chroot\n`, describeRun(r));
});
