import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import {
  WRAPPER_MARKER, defaultInstallDir, install, isOnPath, isOurWrapper, uninstall, wrapperNames, type InstallOptions,
} from '../../src/cli/install.js';
import { LINUX_GOARCHES } from '../../src/config/target.js';
import { GocpuError } from '../../src/errors.js';

function sink(): { stream: Writable; text: () => string } {
  let s = '';
  return { stream: new Writable({ write: (c, _e, cb) => ((s += c.toString()), cb()) }), text: () => s };
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-install-unit-'));
}

/** A fake launcher that prints what it was given: its node, its name, its arguments. */
function fakeLauncher(dir: string): string {
  const p = path.join(dir, "launch er'");
  fs.writeFileSync(p, '#!/bin/sh\nprintf "%s|" "$GOCPU_NODE" "${GOCPU_ARGV0-unset}" "$0" "$@"\n', { mode: 0o755 });
  return p;
}

function opts(dir: string, launcher: string, extra: Partial<InstallOptions> = {}) {
  const out = sink();
  const err = sink();
  const o: InstallOptions = { dir, env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' }, out: out.stream, err: err.stream, launcher, node: process.execPath, ...extra };
  return { o, out, err };
}

test('one wrapper per Linux GOARCH of target.ts', () => {
  assert.deepEqual(wrapperNames(), LINUX_GOARCHES.map((a) => `go_linux_${a}_exec`));
  assert.ok(wrapperNames().includes('go_linux_arm64_exec'));
});

test('install writes marked sh scripts that run the launcher with node and their name, whatever PATH is', () => {
  const t = tmp();
  try {
    const dir = path.join(t, 'new dir');
    const { o, out, err } = opts(dir, fakeLauncher(t));
    assert.equal(install(o), 0);
    for (const n of wrapperNames()) {
      const p = path.join(dir, n);
      assert.ok(fs.lstatSync(p).isFile(), `${n} is a regular file, not a link`);
      assert.equal(fs.statSync(p).mode & 0o111, 0o111, `${n} is executable`);
      assert.equal(fs.readFileSync(p, 'utf8').split('\n')[1], WRAPPER_MARKER);
      assert.ok(isOurWrapper(p));
      assert.ok(out.text().includes(`wrote ${p}\n`), out.text());
    }
    // Run it with a PATH that has nothing on it: the launcher and node are named by path.
    const got = execFileSync(path.join(dir, 'go_linux_arm64_exec'), ['a b', "c'd", ''], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
    assert.equal(got, `${process.execPath}|go_linux_arm64_exec|${o.launcher}|a b|c'd||`);
    assert.match(err.text(), /is not on PATH/);
    assert.deepEqual(fs.readdirSync(dir).sort(), wrapperNames().sort(), 'no temporary files left');
  } finally {
    fs.rmSync(t, { recursive: true, force: true });
  }
});

test('a wrapper whose node is gone says so and exits 125', () => {
  const t = tmp();
  try {
    const { o } = opts(t, fakeLauncher(t), { node: path.join(t, 'no-such-node') });
    install(o);
    assert.throws(() => execFileSync(path.join(t, 'go_linux_riscv64_exec'), [], { env: { PATH: '/nonexistent' }, stdio: 'pipe' }),
      (e: { status: number; stderr: Buffer }) => e.status === 125 && /no-such-node is gone \(run gocpu install again\)/.test(e.stderr.toString()));
  } finally {
    fs.rmSync(t, { recursive: true, force: true });
  }
});

test('install again overwrites its own files; refuses foreign ones (link or file) unless --force', () => {
  const t = tmp();
  try {
    const launcher = fakeLauncher(t);
    const dir = path.join(t, 'bin');
    install(opts(dir, launcher).o);
    install(opts(dir, launcher).o); // idempotent
    assert.ok(wrapperNames().every((n) => isOurWrapper(path.join(dir, n))));
    fs.rmSync(path.join(dir, 'go_linux_arm_exec'));
    fs.writeFileSync(path.join(dir, 'go_linux_arm_exec'), `#!/bin/sh\n# mine\n${WRAPPER_MARKER.slice(0, -1)}\n`);
    fs.rmSync(path.join(dir, 'go_linux_s390x_exec'));
    fs.symlinkSync(path.join(dir, 'go_linux_arm64_exec'), path.join(dir, 'go_linux_s390x_exec')); // a link to one of ours is still not ours
    const before = fs.readFileSync(path.join(dir, 'go_linux_arm_exec'), 'utf8');
    assert.throws(() => install(opts(dir, launcher).o), (e: unknown) => e instanceof GocpuError && e.code === 'INSTALL_FOREIGN'
      && /go_linux_arm_exec, go_linux_s390x_exec/.test(e.message) && /--force/.test(e.hint ?? ''));
    assert.equal(fs.readFileSync(path.join(dir, 'go_linux_arm_exec'), 'utf8'), before, 'nothing written');
    assert.ok(fs.lstatSync(path.join(dir, 'go_linux_s390x_exec')).isSymbolicLink());
    install(opts(dir, launcher, { force: true }).o);
    assert.ok(isOurWrapper(path.join(dir, 'go_linux_arm_exec')));
    assert.ok(isOurWrapper(path.join(dir, 'go_linux_s390x_exec')), 'the link itself replaced');
    assert.ok(isOurWrapper(path.join(dir, 'go_linux_arm64_exec')), "the link's target untouched");
  } finally {
    fs.rmSync(t, { recursive: true, force: true });
  }
});

test('uninstall removes exactly the marked files and says so; others are left with a warning', () => {
  const t = tmp();
  try {
    const dir = path.join(t, 'bin');
    install(opts(dir, fakeLauncher(t)).o);
    fs.writeFileSync(path.join(dir, 'go_linux_mips_exec'), '#!/bin/sh\necho someone else\n');
    fs.symlinkSync('/bin/true', path.join(dir, 'go_linux_ppc64_exec.tmp'));
    fs.rmSync(path.join(dir, 'go_linux_ppc64_exec'));
    fs.symlinkSync(path.join(dir, 'go_linux_arm64_exec'), path.join(dir, 'go_linux_ppc64_exec'));
    fs.writeFileSync(path.join(dir, 'unrelated'), 'x');
    const { o, out, err } = opts(dir, '/unused');
    assert.equal(uninstall(o), 0);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['go_linux_mips_exec', 'go_linux_ppc64_exec', 'go_linux_ppc64_exec.tmp', 'unrelated']);
    assert.match(err.text(), /left .*go_linux_mips_exec alone: not written by gocpu install/);
    assert.match(err.text(), /left .*go_linux_ppc64_exec alone/);
    assert.equal(out.text().split('\n').filter((l) => l.startsWith('removed ')).length, wrapperNames().length - 2);
    const again = opts(dir, '/unused');
    uninstall(again.o);
    assert.match(again.out.text(), /^nothing of gocpu install's in /);
  } finally {
    fs.rmSync(t, { recursive: true, force: true });
  }
});

test('default DIR: GOBIN, then GOPATH/bin, then ~/.local/bin, the first on PATH; else ~/.local/bin', () => {
  const home = '/home/u';
  const env = (p: string) => ({ HOME: home, PATH: p });
  const go = { gobin: '/opt/gobin', gopath: '/home/u/go:/other' };
  assert.equal(defaultInstallDir(env('/usr/bin:/opt/gobin'), go), '/opt/gobin');
  assert.equal(defaultInstallDir(env('/home/u/go/bin:/usr/bin'), go), '/home/u/go/bin');
  assert.equal(defaultInstallDir(env('/home/u/.local/bin'), go), '/home/u/.local/bin');
  assert.equal(defaultInstallDir(env('/usr/bin'), go), '/home/u/.local/bin');
  assert.equal(defaultInstallDir(env('/other/bin:/home/u/.local/bin'), {}), '/home/u/.local/bin', 'no go: only ~/.local/bin');
  assert.ok(isOnPath('/opt/gobin/', { PATH: 'rel:/opt/gobin' }));
  assert.ok(!isOnPath('rel', { PATH: 'rel' }), 'relative PATH entries do not count');
});
