/**
 * Issue 9, a remote root per host (Debian porter boxes: the test's dependencies are
 * installed in an schroot session, not on the box). A chroot directory on the test
 * host, like a session's mount point: the remote's /usr and /etc as hard links (cheap:
 * no data is copied), its bin/lib links, plus a data file, an /etc marker and a
 * program that exist only inside it; no /dev, /proc, /sys or /tmp of its own. A test
 * that needs those passes with the host's "remoteRoot" set and fails without (the
 * remote's own /); a remote root that is not there, is reached through a symlink, or
 * has no /bin/sh is one error line; doctor checks it. The seed's `gocpu -host=H CMD`
 * finds CMD in the chroot.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  binDir, describeRun, fixtureDir, goEnv, goTest, goTestBinary, randomToken, repoRoot, requireWrapper, run, tempDir, testHost,
} from './harness.js';

const token = randomToken();
/** As the remote sees them. */
const ROOT = `/srv/gocpu-root.${token}`;
const EMPTY = `/srv/gocpu-root.${token}.empty`;
const LINK = `/srv/gocpu-root.${token}.link`;
const DATA = '/usr/share/gocpu-chroot-only/data';
const ETC = `/etc/gocpu-chroot-only.${token}`;
const PROG = '/usr/bin/gocpu-chroot-only';
const WANT = `only the chroot has this: ${token}\n`;
const cwd = fixtureDir('remoteroot');
const tmp = tempDir();
let binary = '';

before(async () => {
  const rootfs = testHost().rootfs;
  const local = (p: string) => path.join(rootfs, p);
  fs.mkdirSync(local(ROOT), { mode: 0o755 });
  // Hard links within the rootfs's filesystem: a few thousand entries, no data.
  execFileSync('cp', ['-al', local('/usr'), local(`${ROOT}/usr`)]);
  execFileSync('cp', ['-al', local('/etc'), local(`${ROOT}/etc`)]);
  for (const l of ['bin', 'sbin', 'lib', 'lib64']) {
    if (fs.lstatSync(local(`/${l}`)).isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(local(`/${l}`)), local(`${ROOT}/${l}`));
  }
  fs.mkdirSync(path.dirname(local(ROOT + DATA)));
  fs.writeFileSync(local(ROOT + DATA), WANT, { mode: 0o644 });
  fs.writeFileSync(local(ROOT + ETC), WANT, { mode: 0o644 });
  fs.writeFileSync(local(ROOT + PROG), `#!/bin/sh\nprintf '%s\\n' '${WANT.trimEnd()}'\n`, { mode: 0o755 });
  fs.mkdirSync(local(EMPTY), { mode: 0o755 });
  fs.symlinkSync(path.basename(ROOT), local(LINK));
  for (const p of [DATA, ETC, PROG]) assert.ok(!fs.existsSync(local(p)), `the remote's own / must not have ${p}`);
  binary = await goTestBinary(cwd, path.join(tmp.dir, 'remoteroot.arm64.test'), 'arm64');
});

after(() => {
  const rootfs = testHost().rootfs;
  for (const p of [ROOT, EMPTY, LINK]) fs.rmSync(path.join(rootfs, p), { recursive: true, force: true });
  tmp.cleanup();
});

/** A config file naming `remoteRoot` for the test host, and the environment that uses it. */
function configEnv(remoteRoot: Record<string, string> | undefined, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const dir = fs.mkdtempSync(path.join(tmp.dir, 'xdg-'));
  fs.mkdirSync(path.join(dir, 'gocpu'));
  fs.writeFileSync(path.join(dir, 'gocpu', 'config.json'), JSON.stringify(remoteRoot ? { remoteRoot } : {}));
  return { XDG_CONFIG_HOME: dir, GOCPU_CONFIG: undefined, GOCPU_REMOTE_ROOT: undefined, ...extra };
}

const fxEnv = { FX_ROOT_FILES: `${DATA}\n${ETC}`, FX_ROOT_PROG: PROG, FX_ROOT_WANT: WANT };

test('a test whose file, /etc entry and program exist only in the chroot passes with the host\'s remoteRoot, fails without', async () => {
  const host = testHost().host;
  const args = ['-count=1', '-v', '.'];
  const withRoot = await goTest({ args, cwd, goarch: 'arm64', env: { ...configEnv({ [host]: ROOT }), ...fxEnv } });
  assert.equal(withRoot.code, 0, describeRun(withRoot));
  assert.match(withRoot.stdout, /^--- PASS: TestChrootOnly /m, describeRun(withRoot));
  assert.match(withRoot.stdout, /^--- PASS: TestSystem /m, describeRun(withRoot));

  // The same config, overridden by GOCPU_REMOTE_ROOT=/ (the remote's own root).
  const without = await goTest({ args, cwd, goarch: 'arm64', env: { ...configEnv({ [host]: ROOT }, { GOCPU_REMOTE_ROOT: '/' }), ...fxEnv } });
  assert.notEqual(without.code, 0, describeRun(without));
  assert.match(without.stdout, /^--- FAIL: TestChrootOnly /m, describeRun(without));
  assert.ok(without.stdout.includes(`chroot file: open ${DATA}: no such file or directory`), describeRun(without));
  assert.ok(without.stdout.includes(`chroot program ${PROG}: `), describeRun(without));
  assert.match(without.stdout, /^--- PASS: TestSystem /m, describeRun(without));
});

test('GOCPU_REMOTE_ROOT alone (no config) gives the same view; another host\'s remoteRoot does not apply', async () => {
  const wrapper = requireWrapper('arm64');
  const env = (e: Record<string, string | undefined>) => goEnv({ goarch: 'arm64', env: { ...e, ...fxEnv } });
  const byEnv = await run(wrapper, [binary, '-test.run=^TestChrootOnly$'], { cwd, env: env(configEnv(undefined, { GOCPU_REMOTE_ROOT: `${ROOT}/` })), timeoutMs: 60_000 });
  assert.equal(byEnv.code, 0, describeRun(byEnv));
  const other = await run(wrapper, [binary, '-test.run=^TestChrootOnly$'], { cwd, env: env(configEnv({ 'not-the-test-host': ROOT })), timeoutMs: 60_000 });
  assert.equal(other.code, 1, describeRun(other));
});

test('the seed\'s shape, gocpu -host=H CMD: CMD is found on PATH in the chroot, the working tree is writable on top', async () => {
  const host = testHost().host;
  const t = tempDir();
  try {
    const r = await run(path.join(binDir, 'gocpu'), [`-host=${host}`, 'sh', '-c', `${path.basename(PROG)}; pwd; echo w > out.txt`], {
      cwd: t.dir, env: goEnv({ goarch: 'arm64', env: configEnv({ [host]: ROOT }) }), timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.stdout, `${WANT}${t.dir}\n`, describeRun(r));
    assert.equal(fs.readFileSync(path.join(t.dir, 'out.txt'), 'utf8'), 'w\n');
  } finally {
    t.cleanup();
  }
});

test('a remote root that is missing, reached through a symlink or without /bin/sh: one error line, exit 125', async () => {
  const host = testHost().host;
  const wrapper = requireWrapper('arm64');
  const cases: [string, RegExp][] = [
    [`/srv/gocpu-no-such-root.${token}`, new RegExp(`^gocpu: remote: the remote root /srv/gocpu-no-such-root\\.${token} is not a directory on ${host} \\(or a symlink is on its way\\) \\(check "remoteRoot" .*schroot --list --all-sessions on ${host} names them\\)$`)],
    [LINK, new RegExp(`^gocpu: remote: the remote root ${LINK.replace(/\./g, '\\.')} is not a directory on ${host} `)],
    [EMPTY, new RegExp(`^gocpu: remote: the remote root ${EMPTY.replace(/\./g, '\\.')} on ${host} has no /bin/sh \\(point it at the top of a chroot`)],
  ];
  const runs = await Promise.all(cases.map(([root]) => run(wrapper, [binary], { cwd, env: goEnv({ goarch: 'arm64', env: configEnv({ [host]: root }) }), timeoutMs: 60_000 })));
  for (const [i, [root, re]] of cases.entries()) {
    const r = runs[i];
    assert.equal(r.code, 125, `${root}: ${describeRun(r)}`);
    assert.equal(r.stdout, '', `${root}: ${describeRun(r)}`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `${root}: ${describeRun(r)}`);
    assert.match(lines[0], re, `${root}: ${describeRun(r)}`);
  }
});

test('gocpu doctor starts the remote root\'s /bin/sh, and fails on one that is not there', async () => {
  const host = testHost().host;
  const doctor = (root: string) => run(path.join(binDir, 'gocpu'), ['doctor', host], { cwd: repoRoot, env: goEnv({ goarch: 'arm64', env: configEnv({ [host]: root }) }), timeoutMs: 60_000 });
  const [ok, missing] = await Promise.all([doctor(ROOT), doctor(EMPTY)]);
  assert.equal(ok.code, 0, describeRun(ok));
  assert.match(ok.stdout, new RegExp(`^ok {4}remote root +${ROOT.replace(/\./g, '\\.')}: its /bin/sh runs$`, 'm'), describeRun(ok));
  assert.equal(missing.code, 1, describeRun(missing));
  assert.match(missing.stdout, /^FAIL {2}remote root +\S+ has no \/bin\/sh$/m, describeRun(missing));
  assert.doesNotMatch(missing.stdout, /^FAIL {2}(?!remote root)/m, describeRun(missing));
});
