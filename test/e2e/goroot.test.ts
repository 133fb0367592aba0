/**
 * Issue 10, "a package in GOROOT": Debian's GOROOT /usr/lib/go-1.19 has src (api,
 * misc, test, pkg/include) as symlinks into /usr/share/go-1.19, outside GOROOT. The
 * remote must follow them as we do: `go test strings` runs as locally, a test that
 * reads the standard library's sources (runtime.GOROOT(), go/build) passes, and the
 * test of a GOROOT package sees the working directory a local run sees.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  assertSameRun, describeRun, fixtureDir, goEnv, goTest, goTestBinary, requireWrapper, run, tempDir, type RunResult,
} from './harness.js';

const fixture = fixtureDir('goroot');
const bins = tempDir();
let localBin = '';
let remoteBin = '';
before(async () => {
  localBin = await goTestBinary(fixture, path.join(bins.dir, 'goroot.test'));
  remoteBin = await goTestBinary(fixture, path.join(bins.dir, 'goroot.arm64.test'), 'arm64');
});
after(bins.cleanup);

/** Debian's layout, which this file is about: fails (never skips) elsewhere. */
function debianGoroot(): string {
  const goroot = fs.realpathSync(path.dirname(path.dirname(fs.realpathSync('/usr/bin/go'))));
  assert.ok(fs.lstatSync(path.join(goroot, 'src')).isSymbolicLink(), `${goroot}/src is no symlink: this test needs Debian's golang-go layout`);
  const target = fs.realpathSync(path.join(goroot, 'src'));
  assert.ok(!target.startsWith(goroot + '/'), `${goroot}/src leads into GOROOT itself (${target})`);
  return goroot;
}

const names = (r: RunResult) => r.stdout.split('\n').filter((l) => /^--- (PASS|SKIP|FAIL): /.test(l)).map((l) => l.replace(/ \(.*$/, ''));

test('GOARCH=arm64 go test strings (a package whose directory is reached through GOROOT/src -> /usr/share/go-1.19/src) runs as natively', async () => {
  debianGoroot();
  const args = ['-count=1', '-short', '-v', 'strings'];
  const local = await goTest({ args, cwd: fixture });
  assert.equal(local.code, 0, `local run failed: ${describeRun(local)}`);
  const remote = await goTest({ args, cwd: fixture, goarch: 'arm64', timeoutMs: 300_000 });
  assert.equal(remote.code, 0, `remote run failed: ${describeRun(remote)}`);
  assert.ok(names(local).length >= 50, `only ${names(local).length} tests ran locally:\n${local.stdout}`);
  assert.deepEqual(names(remote), names(local), 'the remote ran other tests than the local run');
  assertSameRun(local, remote, 'go test -short -v strings');
});

test('a test that reads runtime.GOROOT()/src/strings/strings.go and imports "strings" with go/build passes remotely as locally', async () => {
  debianGoroot();
  const args = ['-count=1', '-v', '-run', '^(TestGorootSource|TestBuildImport)$', '.'];
  const local = await goTest({ args, cwd: fixture });
  assert.equal(local.code, 0, `local run failed: ${describeRun(local)}`);
  for (const name of ['TestGorootSource', 'TestBuildImport']) assert.match(local.stdout, new RegExp(`--- PASS: ${name} `), `local: ${name}`);
  const remote = await goTest({ args, cwd: fixture, goarch: 'arm64' });
  assert.equal(remote.code, 0, `remote run failed (GOROOT/src unreadable on the remote?): ${describeRun(remote)}`);
  assertSameRun(local, remote, 'fixture goroot: TestGorootSource, TestBuildImport');
});

test("the test of a GOROOT package sees the working directory a local run sees (go's cwd and PWD for strings)", async (t) => {
  const goroot = debianGoroot();
  // What go gives an exec wrapper for a package in GOROOT: record it natively.
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const record = path.join(tmp.dir, 'record.sh');
  const out = path.join(tmp.dir, 'cwd.txt');
  fs.writeFileSync(record, `#!/bin/sh\nprintf '%s\\n%s\\n' "$(pwd -P)" "$PWD" >'${out}'\nexec "$@"\n`, { mode: 0o755 });
  const rec = await goTest({ args: ['-count=1', '-exec', record, '-run', '^$', 'strings'], cwd: fixture, env: { GOROOT: undefined } });
  assert.equal(rec.code, 0, describeRun(rec));
  const [cwd, pwd] = fs.readFileSync(out, 'utf8').split('\n');
  assert.equal(pwd, path.join(goroot, 'src', 'strings'), 'go names the package dir through GOROOT');
  assert.equal(cwd, fs.realpathSync(pwd), 'the real directory is outside GOROOT');
  assert.notEqual(cwd, pwd);

  const testArgs = ['-test.v', '-test.run=^(TestCwd|TestGorootSource)$'];
  const local = await run(localBin, testArgs, { cwd, env: goEnv({ env: { PWD: pwd } }) });
  assert.equal(local.code, 0, describeRun(local));
  assert.ok(local.stdout.split('\n').includes(`cwd getwd=${pwd} getcwd=${cwd}`), describeRun(local));
  const remote = await run(requireWrapper(), [remoteBin, ...testArgs], { cwd, env: goEnv({ goarch: 'arm64', env: { PWD: pwd } }), timeoutMs: 60_000 });
  assert.equal(remote.code, 0, describeRun(remote));
  const lines = (r: RunResult) => r.stdout.split('\n').filter((l) => /^(cwd|goroot-source) /.test(l));
  assert.deepEqual(lines(remote), lines(local), describeRun(remote));
});
