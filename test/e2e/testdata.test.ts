/**
 * Done means: a test reads its testdata through the mount, symlinks included (relative
 * with `..`, to a directory, absolute), and `../testdata` of its parent, from a module
 * outside /home and /tmp at a path the remote does not have.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertSameRun, copyFixture, describeRun, goTest, remoteHas, testHost } from './harness.js';

const TESTS = [
  'TestTestdata',
  'TestRelativeSymlinkWithDotDot',
  'TestDirectorySymlink',
  'TestAbsoluteSymlink',
  'TestParentTestdata',
  'TestAbsolutePathOfSource',
];

test('testdata, symlinks and ../testdata of a module under /opt that the remote lacks', async (t) => {
  // /opt: neither /home nor /tmp, and a directory the remote has, so the module's path
  // is new below an existing remote directory rather than a new top-level one.
  const copy = copyFixture('testdata', '/opt');
  t.after(copy.cleanup);
  const mod = copy.dir;
  const absTarget = path.join(mod, 'shared', 'x.txt');
  fs.symlinkSync(absTarget, path.join(mod, 'pkg', 'testdata', 'abs'));

  const args = ['-count=1', '-p', '2', '-v', './...'];
  const env = { FX_ABS_TARGET: absTarget };
  const local = await goTest({ args, cwd: mod, env });
  assert.equal(local.code, 0, `local run failed: ${describeRun(local)}`);
  for (const name of TESTS) assert.match(local.stdout, new RegExp(`--- PASS: ${name} `), `local: ${name} did not pass`);

  testHost();
  assert.ok(!remoteHas(mod), `the test host already has ${mod}`);
  const remote = await goTest({ args, cwd: mod, goarch: 'arm64', env });
  assert.equal(remote.code, 0, `remote run failed: ${describeRun(remote)}`);
  for (const name of TESTS) assert.match(remote.stdout, new RegExp(`--- PASS: ${name} `), `remote: ${name} did not pass`);
  assertSameRun(local, remote, 'go test -v ./... on fixture testdata under /opt');

  // The remote's own filesystem is left as it was, and the local files are intact.
  assert.ok(!remoteHas(mod), `the run left ${mod} behind on the test host`);
  assert.equal(fs.readlinkSync(path.join(mod, 'pkg', 'testdata', 'up')), '../../shared/x.txt');
  assert.equal(fs.readFileSync(path.join(mod, 'pkg', 'testdata', 'hello.txt'), 'utf8'), 'hello from testdata\n');
});

test('the fixture fails where a symlink is broken (the test can fail)', async (t) => {
  const copy = copyFixture('testdata');
  t.after(copy.cleanup);
  const mod = copy.dir;
  fs.writeFileSync(path.join(mod, 'shared', 'x.txt'), 'changed\n');
  fs.symlinkSync('/nonexistent/x.txt', path.join(mod, 'pkg', 'testdata', 'abs'));
  const r = await goTest({ args: ['-count=1', './...'], cwd: mod, env: { FX_ABS_TARGET: '/nonexistent/x.txt' } });
  assert.notEqual(r.code, 0, describeRun(r));
  assert.match(r.stdout, /--- FAIL: TestRelativeSymlinkWithDotDot/);
  assert.match(r.stdout, /--- FAIL: TestAbsoluteSymlink/);
});
