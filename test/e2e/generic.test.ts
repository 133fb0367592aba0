// The seed's own command shape: `gocpu -host=H cmd args...` runs any command on the
// remote with the working tree mounted at its own path (writable), the remote's own
// files everywhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, goEnv, randomToken, run, tempDir, testHost, writeRemoteFile } from './harness.js';

const gocpu = path.join(binDir, 'gocpu');

test('gocpu -host=H runs a remote command in the mounted working tree', { timeout: 60_000 }, async () => {
  const th = testHost();
  const token = randomToken();
  const removeMarker = writeRemoteFile(`/etc/gocpu-generic-${token}`, `remote ${token}\n`);
  const t = tempDir();
  try {
    fs.writeFileSync(path.join(t.dir, 'local.txt'), `local ${token}\n`);
    const script = `cat local.txt; cat /etc/gocpu-generic-${token}; pwd; echo written > out.txt; uname -n`;
    const r = await run(gocpu, [`-host=${th.host}`, 'sh', '-c', script], { cwd: t.dir, env: goEnv({ goarch: 'arm64' }), timeoutMs: 45_000 });
    assert.equal(r.code, 0, r.output);
    assert.equal(r.stderr, '', 'nothing on stderr on success');
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), [`local ${token}`, `remote ${token}`, t.dir]);
    assert.notEqual(lines[3], fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), 'ran on the remote, not here');
    assert.equal(fs.readFileSync(path.join(t.dir, 'out.txt'), 'utf8'), 'written\n', 'the working tree is writable in this mode');
  } finally {
    removeMarker();
    t.cleanup();
  }
});

test('gocpu -host=H: exit status and a missing command come back like a local shell', { timeout: 60_000 }, async () => {
  const th = testHost();
  const t = tempDir();
  try {
    const env = goEnv({ goarch: 'arm64' });
    const r7 = await run(gocpu, ['-host', th.host, 'sh', '-c', 'exit 7'], { cwd: t.dir, env, timeoutMs: 45_000 });
    assert.equal(r7.code, 7, r7.output);
    const missing = await run(gocpu, [`-host=${th.host}`, `no-such-command-${randomToken()}`], { cwd: t.dir, env, timeoutMs: 45_000 });
    assert.equal(missing.code, 127, missing.output);
  } finally {
    t.cleanup();
  }
});
