/**
 * `GOARCH=arm64 go run` through the wrapper (issue 9): go hands the wrapper its own
 * stdin, stdout and stderr. At a terminal the program is interactive on a remote pty;
 * with a pipe it gets every byte and then EOF. Fixture: test/fixtures/terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { copyFixture, goEnv, randomToken, requireWrapper, testHost } from './harness.js';
import { Tmux } from './tmux.js';

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** go run with `input` on a pipe as stdin; resolves with its stdout, stderr and status. */
function goRunPiped(dir: string, pkg: string, input: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['run', pkg], { cwd: dir, env: goEnv({ goarch: 'arm64' }), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.end(input);
  });
}

test('go run, stdin a pipe: every byte and then EOF, and no terminal', { timeout: 180_000 }, async () => {
  testHost();
  requireWrapper();
  const fx = copyFixture('terminal');
  try {
    // Every byte value, NULs and ^C/^D/^Z among them, more than a pipe buffer holds.
    const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(300_000)]);
    const r = await goRunPiped(fx.dir, './readall', data);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `bytes=${data.length} sha256=${createHash('sha256').update(data).digest('hex')}\n`, r.stderr);
    const name = `gopher-${randomToken()}`;
    const i = await goRunPiped(fx.dir, './interactive', Buffer.from(`${name}\n`));
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout, `terminal=false arch=arm64\nname?\nhello, ${name} (err=<nil>)\n`, i.stderr);
  } finally {
    fx.cleanup();
  }
});

test('go run at a terminal: the program is interactive on a pty, and reads typed lines to ^D', { timeout: 240_000 }, async () => {
  testHost();
  requireWrapper();
  const fx = copyFixture('terminal');
  const t = new Tmux(goEnv({ goarch: 'arm64' }));
  try {
    const name = `gopher-${randomToken()}`;
    t.start(`(cd ${sq(fx.dir)} && exec go run ./interactive)`);
    await t.waitFor(/^name\?$/m, 120_000);
    assert.match(t.screen(), /^terminal=true arch=arm64$/m);
    t.type(name);
    t.keys('Enter');
    const e = await t.ended(60_000);
    assert.equal(e.rc, 0, t.screen());
    assert.match(t.screen(), new RegExp(`^hello, ${name} \\(err=<nil>\\)$`, 'm'));
    assert.equal(e.after, e.before, 'the local terminal is as before');

    t.start(`(cd ${sq(fx.dir)} && exec go run ./readall)`);
    await t.waitFor(/^reading stdin$/m, 120_000);
    t.type('abc');
    t.keys('Enter');
    t.type('def');
    t.keys('Enter', 'C-d');
    const r = await t.ended(120_000);
    assert.equal(r.rc, 0, t.screen());
    const want = createHash('sha256').update('abc\ndef\n').digest('hex');
    assert.match(t.screen(), new RegExp(`^bytes=8 sha256=${want}$`, 'm'));
    assert.equal(r.after, r.before, 'the local terminal is as before');
  } finally {
    t.close();
    fx.cleanup();
  }
});
