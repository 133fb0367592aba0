// hack/testhost is what every end-to-end test stands on: prove the host it brings up has the
// properties they rely on (hack/testhost-check does the proving, one "ok - ..." line each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/hack/testhost.test.js -> repo root
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const testhost = path.join(repo, 'hack', 'testhost');
const notRoot = process.getuid?.() !== 0 && 'hack/testhost needs root';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return new Promise((resolve) => {
    execFile(testhost, args, { env, timeout: 10 * 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('up is silent and leaves a host that passes every check', { skip: notRoot, timeout: 15 * 60_000 }, async () => {
  const up = await run(['up']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stdout + up.stderr, '', 'up prints nothing unless -v');
  const again = await run(['up']);
  assert.deepEqual([again.code, again.stdout + again.stderr], [0, ''], 'second up reuses the host');
  assert.equal((await run(['status'])).code, 0);
  const check = await run(['check']);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.doesNotMatch(check.stdout, /^not ok/m);
  assert.match(check.stdout, /^[1-9][0-9]* passed, 0 failed$/m);
});

test('env prints export lines for the tests', { skip: notRoot }, async () => {
  const env = await run(['env']);
  assert.equal(env.code, 0, env.stderr);
  const vars = new Map(
    env.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const m = /^export (GOCPU_[A-Z_]+)=(\S+)$/.exec(line);
        assert.ok(m, `not an export line: ${line}`);
        return [m[1], m[2]] as const;
      }),
  );
  const state = path.join(repo, '.testhost', 'state');
  assert.equal(vars.get('GOCPU_SSH_CONFIG'), path.join(state, 'ssh_config'));
  assert.equal(vars.get('GOCPU_HOST'), 'gocpu-test');
  assert.equal(vars.get('GOCPU_TESTHOST_ROOT_HOST'), 'gocpu-test-root');
  assert.equal(vars.get('GOCPU_TESTHOST_STATE'), state);
  assert.equal(vars.get('GOCPU_TESTHOST_ROOTFS'), path.join(repo, '.testhost', 'rootfs'));
  assert.equal(vars.get('GOCPU_TESTHOST_PORT'), process.env.GOCPU_TESTHOST_PORT ?? '2222');
});

test('status fails for a port the host does not serve', { skip: notRoot }, async () => {
  const status = await run(['status'], { ...process.env, GOCPU_TESTHOST_PORT: '1' });
  assert.notEqual(status.code, 0);
  assert.match(status.stderr, /^testhost: /);
});

test('a variant is an overlay host of a known kind', async () => {
  const unknown = await run(['env'], { ...process.env, GOCPU_TESTHOST_VARIANT: 'nossh', GOCPU_TESTHOST_LOWER: '/nonexistent' });
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, "testhost: unknown GOCPU_TESTHOST_VARIANT 'nossh' (nosshfs, nouserns, nofuse, bashsh, busyboxsh or empty)\n");
  const noLower = await run(['env'], { ...process.env, GOCPU_TESTHOST_VARIANT: 'nosshfs', GOCPU_TESTHOST_LOWER: '' });
  assert.equal(noLower.code, 1);
  assert.match(noLower.stderr, /^testhost: GOCPU_TESTHOST_VARIANT=nosshfs needs GOCPU_TESTHOST_LOWER/);
});
