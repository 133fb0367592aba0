// `gocpu -host=H` flags of issue 9: -ro keeps the working tree read-only; -export
// PATH (read-only) and -export-rw PATH (writable) add paths, repeatable, a ':' in
// a path included; no command runs the login shell (here without a terminal: it
// reads its commands from stdin, as `ssh host` does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, goEnv, randomToken, run, tempDir, testHost } from './harness.js';

const gocpu = path.join(binDir, 'gocpu');

test('gocpu -host=H -ro / -export / -export-rw: what the command can read and write', { timeout: 120_000 }, async () => {
  const th = testHost();
  const token = randomToken();
  const cwd = tempDir();
  const other = tempDir();
  try {
    const ro = path.join(other.dir, 'in:put');
    const rw = path.join(other.dir, 'out');
    fs.mkdirSync(ro);
    fs.mkdirSync(rw);
    fs.writeFileSync(path.join(ro, 'data.txt'), `ro ${token}\n`);
    const env = goEnv({ goarch: 'arm64' });
    const script = `cat ${JSON.stringify(path.join(ro, 'data.txt'))}; echo w >${JSON.stringify(path.join(rw, 'w.txt'))} && echo rw-ok;` +
      ` echo x >${JSON.stringify(path.join(ro, 'x.txt'))} 2>/dev/null || echo ro-refused; echo y >cwd.txt 2>/dev/null || echo cwd-refused`;
    const r = await run(gocpu, [`-host=${th.host}`, '-ro', '-export', ro, `--export-rw=${rw}`, 'sh', '-c', script], { cwd: cwd.dir, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.output);
    assert.deepEqual(r.stdout.trim().split('\n'), [`ro ${token}`, 'rw-ok', 'ro-refused', 'cwd-refused']);
    assert.equal(fs.readFileSync(path.join(rw, 'w.txt'), 'utf8'), 'w\n');
    assert.ok(!fs.existsSync(path.join(ro, 'x.txt')) && !fs.existsSync(path.join(cwd.dir, 'cwd.txt')));
    const unexported = await run(gocpu, ['--host', th.host, 'cat', path.join(ro, 'data.txt')], { cwd: cwd.dir, env, timeoutMs: 60_000 });
    assert.notEqual(unexported.code, 0, `not exported without the flag: ${unexported.output}`);
  } finally {
    cwd.cleanup();
    other.cleanup();
  }
});

test('gocpu -host=H with no command: the login shell, reading its commands from piped stdin, in the working tree', { timeout: 120_000 }, () => {
  const th = testHost();
  const cwd = tempDir();
  try {
    const r = spawnSync(gocpu, [`-host=${th.host}`], { cwd: cwd.dir, env: goEnv({ goarch: 'arm64' }), input: 'pwd; tty || true; echo "$0"; exit 9\n', encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 9, `${r.stdout}${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], cwd.dir);
    assert.equal(lines[1], 'not a tty');
    assert.match(lines[2], /(^|\/)-?(ba|da)?sh$/, 'a shell');
  } finally {
    cwd.cleanup();
  }
});
