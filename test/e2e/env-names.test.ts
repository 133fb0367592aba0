/**
 * Issue 7 class 8: forwarded environment names that collided with the remote
 * scripts' own variables or the shell's special ones. `nonce` changed the exec
 * marker, `merge=1` merged stderr into stdout, `OPTIND=abc` aborted exec.sh, and
 * UID, EUID, PPID, SHELLOPTS, BASHOPTS aborted the run under `bash --posix`.
 * Checked with a whole run (dash, the test host's /bin/sh) and with exec.sh run
 * directly under dash and `bash --posix` over ssh. Also: the LC_ALL=C that the
 * scripts give their own tools never reaches the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureDir } from './harness.js';
import { runOnTestHost } from './run-remote.js';
import { remoteSh, sq } from './remote-sh.js';
import { envBlock } from '../../src/remote/header.js';
import { remoteScript } from '../../src/remote/scripts.js';
import { RUN_MODES } from '../../src/remote/contract.js';

const cwd = fixtureDir('status');
const HOSTILE: Record<string, string> = {
  nonce: 'not-the-nonce', merge: '1', OPTIND: 'abc', UID: '0', EUID: '0', PPID: '1',
  SHELLOPTS: 'xtrace', BASHOPTS: 'nullglob', IFS: 'x', gocpu_env: 'export X=1', FX_PLAIN: 'kept',
};
const DROPPED = ['OPTIND', 'UID', 'EUID', 'PPID', 'SHELLOPTS', 'BASHOPTS', 'IFS', 'gocpu_env'];
// What the test prints: its environment on stdout, one marker on stderr.
const PROBE = ['sh', '-c', 'env | sort; echo to-stderr >&2'];

function envOf(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of stdout.split('\n')) {
    const eq = l.indexOf('=');
    if (eq > 0) m.set(l.slice(0, eq), l.slice(eq + 1));
  }
  return m;
}

test('a whole run with hostile variable names: the test runs, sees them, stderr stays apart, one warning', async () => {
  const r = await runOnTestHost({ command: PROBE, cwd, forward: HOSTILE });
  assert.deepEqual(r.end, { code: 0 }, `${r.stdout}\n${r.stderr}`);
  const env = envOf(r.stdout);
  assert.equal(env.get('nonce'), 'not-the-nonce');
  assert.equal(env.get('merge'), '1');
  assert.equal(env.get('FX_PLAIN'), 'kept');
  for (const n of DROPPED) assert.equal(env.get(n), undefined, `${n} must not be forwarded`);
  assert.doesNotMatch(r.stdout, /to-stderr/, 'merge=1 must not merge the streams');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.deepEqual(lines.length, 2, r.stderr);
  assert.match(lines[0], /^gocpu: local: warning: not forwarding OPTIND, UID, EUID, PPID, SHELLOPTS, BASHOPTS, IFS, gocpu_env /);
  assert.equal(lines[1], 'to-stderr');
});

test('no warning when nothing is dropped', async () => {
  const r = await runOnTestHost({ command: PROBE, cwd, forward: { FX_PLAIN: 'kept' } });
  assert.deepEqual(r.end, { code: 0 });
  assert.equal(r.stderr, 'to-stderr\n');
});

for (const shell of ['dash', 'bash --posix']) {
  test(`exec.sh under ${shell} with hostile names: marker intact, env applied, streams apart`, async () => {
    const nonce = '0123456789abcdef01234567';
    const block = envBlock(Object.entries(HOSTILE).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])).toString();
    // fd 3 is where run.sh hands exec.sh the test's stderr; GOCPU_ENV/GOCPU_PATH
    // were the variables of exec.sh before the contract (so that the test runs the
    // old script the same way and fails on it).
    const script = [
      `gocpu_env=${sq(block)} GOCPU_ENV=${sq(block)}`,
      'gocpu_path=$PATH GOCPU_PATH=$PATH',
      'export gocpu_env GOCPU_ENV gocpu_path GOCPU_PATH',
      `${shell} -c ${sq(remoteScript('exec'))} gocpu-exec ${nonce} 0 ${RUN_MODES.pipe} ${PROBE.slice(0, 2).join(' ')} ${sq(PROBE[2])} 3>&2 2>/tmp/gocpu-env-names.$$ || echo "exit $?"`,
      'echo ---; cat /tmp/gocpu-env-names.$$; rm -f /tmp/gocpu-env-names.$$',
    ].join('\n');
    const r = await remoteSh(script, 'user');
    assert.equal(r.code, 0, r.stderr);
    const [out, setupErr] = r.stdout.split('---\n');
    assert.equal(setupErr, '', 'nothing on exec.sh\'s own stderr');
    assert.equal(r.stderr, `gocpu-${nonce} exec\nto-stderr\n`);
    const env = envOf(out);
    assert.equal(env.get('nonce'), 'not-the-nonce');
    assert.equal(env.get('merge'), '1');
    assert.equal(env.get('FX_PLAIN'), 'kept');
    assert.equal(env.get('gocpu_env'), undefined);
    assert.doesNotMatch(out, /to-stderr/);
  });
}

test('LC_ALL: unset for the test unless forwarded, whatever the scripts use for their tools', async () => {
  const login = await remoteSh('env', 'user');
  const loginEnv = envOf(login.stdout);
  assert.equal(loginEnv.get('LC_ALL'), undefined, 'the test host\'s login sets no LC_ALL');
  const plain = await runOnTestHost({ command: PROBE, cwd, forward: {} });
  const env = envOf(plain.stdout);
  assert.equal(env.get('LC_ALL'), undefined, plain.stdout);
  assert.equal(env.get('LANG'), loginEnv.get('LANG'));
  const fwd = await runOnTestHost({ command: PROBE, cwd, forward: { LC_ALL: 'fr_FR.UTF-8', LANG: 'de_DE.UTF-8' } });
  const env2 = envOf(fwd.stdout);
  assert.equal(env2.get('LC_ALL'), 'fr_FR.UTF-8');
  assert.equal(env2.get('LANG'), 'de_DE.UTF-8');
});
