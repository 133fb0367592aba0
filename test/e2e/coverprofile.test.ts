/**
 * Done means: -coverprofile works remotely and gives the profile a local run gives.
 * The test binary writes the profile to a path under go's $WORK on this machine, which
 * the remote must be able to write through the mount; go then copies it to the user's path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertSameRun, describeRun, fixtureDir, goTest, tempDir } from './harness.js';

const cwd = fixtureDir('cover');

for (const mode of ['set', 'count', 'atomic']) {
  test(`-coverprofile with -covermode=${mode} is identical to a local run's`, async (t) => {
    const tmp = tempDir();
    t.after(tmp.cleanup);
    const localProfile = path.join(tmp.dir, 'local.out');
    const remoteProfile = path.join(tmp.dir, 'remote.out');
    const args = (out: string) => ['-count=1', `-covermode=${mode}`, `-coverprofile=${out}`, '.'];

    const local = await goTest({ args: args(localProfile), cwd });
    assert.equal(local.code, 0, describeRun(local));
    assert.match(local.stdout, /coverage: \d+\.\d% of statements/);
    const want = fs.readFileSync(localProfile, 'utf8').split('\n');
    assert.equal(want[0], `mode: ${mode}`);
    assert.ok(want.some((l) => / 0$/.test(l)) && want.some((l) => / [1-9]\d*$/.test(l)), 'the profile must have covered and uncovered blocks');

    const remote = await goTest({ args: args(remoteProfile), cwd, goarch: 'arm64' });
    assertSameRun(local, remote, `go test -covermode=${mode} -coverprofile`);
    assert.ok(fs.existsSync(remoteProfile), `the remote run wrote no profile: ${describeRun(remote)}`);
    const got = fs.readFileSync(remoteProfile, 'utf8').split('\n');
    assert.deepEqual(got, want, 'the profiles differ line by line');
  });
}
