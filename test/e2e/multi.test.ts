/**
 * Done means, first item: `GOARCH=arm64 go test ./...` on a module with several
 * packages passes through the wrapper that go finds on PATH, and the binaries really
 * ran on the remote (arm64, and they read a file that only the remote has).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertSameRun, describeRun, fixtureDir, goTest, nativeGoarch, randomToken, tempDir, writeRemoteFile } from './harness.js';

const PACKAGES = ['example.com/fx/multi', 'example.com/fx/multi/a', 'example.com/fx/multi/b', 'example.com/fx/multi/b/c'];
const TESTS = ['TestGOARCH', 'TestMarker', 'TestWorkingDirectory', 'TestReadsOwnSource'];

test('GOARCH=arm64 go test ./... runs every package on the remote through the auto-discovered wrapper', async (t) => {
  const cwd = fixtureDir('multi');
  const token = randomToken();
  const remoteMarker = `/etc/gocpu-e2e-marker-${token}`;
  const content = `only the remote has this: ${token}\n`;
  assert.ok(!fs.existsSync(remoteMarker), `${remoteMarker} must not exist on this machine`);

  // The local reference reads the same content from a local file.
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const localMarker = path.join(tmp.dir, 'marker');
  fs.writeFileSync(localMarker, content);
  const args = ['-count=1', '-p', '2', '-v', './...'];
  const local = await goTest({
    args,
    cwd,
    env: { FX_WANT_GOARCH: nativeGoarch(), FX_MARKER_PATH: localMarker, FX_MARKER_WANT: content },
  });
  assert.equal(local.code, 0, `local run failed: ${describeRun(local)}`);
  for (const name of TESTS) assert.match(local.stdout, new RegExp(`--- PASS: ${name} `), `local: ${name} did not pass`);

  // The marker test can fail: locally, the remote-only path does not exist.
  const control = await goTest({
    args: ['-count=1', './a'],
    cwd,
    env: { FX_MARKER_PATH: remoteMarker, FX_MARKER_WANT: content },
  });
  assert.notEqual(control.code, 0, `the marker test passed locally without the marker: ${describeRun(control)}`);

  t.after(writeRemoteFile(remoteMarker, content));
  const remote = await goTest({
    args,
    cwd,
    goarch: 'arm64',
    env: { FX_WANT_GOARCH: 'arm64', FX_MARKER_PATH: remoteMarker, FX_MARKER_WANT: content },
  });
  assert.equal(remote.code, 0, `remote run failed: ${describeRun(remote)}`);
  for (const name of TESTS) assert.match(remote.stdout, new RegExp(`--- PASS: ${name} `), `remote: ${name} did not pass`);
  for (const pkg of PACKAGES) assert.match(remote.stdout, new RegExp(`^ok  \\t${pkg}\\t`, 'm'), `remote: no ok line for ${pkg}`);
  assertSameRun(local, remote, 'go test -v ./... on fixture multi');
});
