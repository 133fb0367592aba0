/**
 * Issue 6: doctor and run agree. Both take the host, the sshfs program and its
 * options from the same places (config file and environment), so a host doctor
 * passes is one a run works on, and the other way round. Here the config file
 * alone names the host (no GOCPU_HOST) and a remoteSshfs the remote lacks:
 * doctor fails on sshfs naming that program, and a run fails naming it too.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, describeRun, goEnv, repoRoot, requireWrapper, run, tempDir, testHost } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';

const fx = fixtureBinaries('status');
const tmp = tempDir();
after(tmp.cleanup);
const MISSING = '/nonexistent/gocpu-sshfs';

function configEnv(config: object): NodeJS.ProcessEnv {
  const dir = fs.mkdtempSync(path.join(tmp.dir, 'xdg-'));
  fs.mkdirSync(path.join(dir, 'gocpu'));
  fs.writeFileSync(path.join(dir, 'gocpu', 'config.json'), JSON.stringify(config));
  const env = goEnv({ goarch: 'arm64', env: { XDG_CONFIG_HOME: dir, GOCPU_HOST: undefined, GOCPU_HOST_LINUX_ARM64: undefined, GOCPU_REMOTE_SSHFS: undefined } });
  return env;
}

test('config remoteSshfs names a missing program, mount mode set: doctor (host from the config) and a run both fail on it', async () => {
  const host = testHost().host;
  const env = configEnv({ hosts: { 'linux/arm64': [host] }, remoteSshfs: MISSING, mode: 'mount' });

  const d = await run(path.join(binDir, 'gocpu'), ['doctor'], { cwd: repoRoot, env, timeoutMs: 30_000 });
  assert.equal(d.code, 1, describeRun(d));
  assert.match(d.stdout, /^ok {4}ssh /m, 'doctor found the host in the config, as a run does');
  assert.match(d.stdout, new RegExp(`^FAIL {2}sshfs +${MISSING} not found$`, 'm'), describeRun(d));

  const r = await run(requireWrapper('arm64'), [fx.remote(), '-test.run=^TestPass$'], { cwd: fx.cwd, env, timeoutMs: 30_000 });
  assert.equal(r.code, 125, describeRun(r));
  assert.match(r.stderr, new RegExp(`^gocpu: remote: ${host} has no sshfs \\(looked for "${MISSING}"\\)`, 'm'), describeRun(r));
});

test('the same config with a working remoteSshfs: doctor passes and the run passes', async () => {
  const host = testHost().host;
  const env = configEnv({ hosts: { 'linux/arm64': [host] }, remoteSshfs: 'sshfs', sshfsOptions: 'max_write=65536' });
  const d = await run(path.join(binDir, 'gocpu'), ['doctor'], { cwd: repoRoot, env, timeoutMs: 30_000 });
  assert.equal(d.code, 0, describeRun(d));
  assert.match(d.stdout, /^ok {4}sshfs +\S+ [\d.]+, -o passive,max_read=65536,.*,max_write=65536/m, describeRun(d));
  const r = await run(requireWrapper('arm64'), [fx.remote(), '-test.run=^TestPass$'], { cwd: fx.cwd, env, timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun(r));
});
