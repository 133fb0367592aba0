/**
 * Done means (issue 9): `gocpu install` into a temp dir makes `GOARCH=arm64 go test`
 * find the wrapper with a PATH that holds only that dir and go's own bin dir (no node
 * on it), the test runs on the test host and passes; `gocpu uninstall` then removes
 * exactly those files and leaves a foreign one alone. And `gocpu hosts` shows what
 * `gocpu doctor` of the test host found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, describeRun, fixtureDir, goEnv, randomToken, repoRoot, run, tempDir, testHost, writeRemoteFile } from './harness.js';
import { LINUX_GOARCHES } from '../../src/config/target.js';

const gocpu = path.join(binDir, 'gocpu');
const WRAPPERS = LINUX_GOARCHES.map((a) => `go_linux_${a}_exec`);

function gorootBin(): string {
  return path.join(execFileSync('go', ['env', 'GOROOT'], { env: goEnv({}), encoding: 'utf8' }).trim(), 'bin');
}

function hasExecutable(dir: string, name: string): boolean {
  try {
    fs.accessSync(path.join(dir, name), fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

test('gocpu install DIR: GOARCH=arm64 go test finds the wrapper with PATH=DIR:GOROOT/bin only; uninstall removes exactly it', { timeout: 240_000 }, async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const dir = path.join(tmp.dir, 'wrappers');
  const foreign = path.join(dir, 'go_linux_mips_exec');
  fs.mkdirSync(dir);
  fs.writeFileSync(foreign, '#!/bin/sh\necho not gocpu\n', { mode: 0o755 });

  // A foreign file of a wrapper's name: install refuses and writes nothing...
  const bare = { ...process.env, PATH: '/usr/bin:/bin' };
  const refused = await run(gocpu, ['install', dir], { cwd: tmp.dir, env: bare });
  assert.equal(refused.code, 125, describeRun(refused));
  assert.match(refused.stderr, /go_linux_mips_exec, not written by gocpu install; nothing written \(.*--force/);
  assert.deepEqual(fs.readdirSync(dir), ['go_linux_mips_exec']);
  // ...so take it away for the install, and put it back afterwards.
  fs.renameSync(foreign, `${foreign}.keep`);
  const inst = await run(gocpu, ['install', dir], { cwd: tmp.dir, env: bare });
  assert.equal(inst.code, 0, describeRun(inst));
  for (const w of WRAPPERS) assert.match(inst.stdout, new RegExp(`^wrote ${path.join(dir, w)}$`, 'm'), w);
  assert.match(inst.stderr, new RegExp(`^gocpu: local: warning: ${dir} is not on PATH`), 'DIR is not on PATH: warned');
  fs.renameSync(`${foreign}.keep`, foreign);

  const goBin = gorootBin();
  const pathVar = `${dir}:${goBin}`;
  for (const d of [dir, goBin]) assert.ok(!hasExecutable(d, 'node'), `${d} must not hold node for this test to mean anything`);
  assert.ok(!hasExecutable(goBin, 'go_linux_arm64_exec'));

  // Proof that the binary ran on the remote: a marker file only the remote has.
  const token = randomToken();
  const marker = `/etc/gocpu-e2e-install-${token}`;
  const content = `only the remote has this: ${token}\n`;
  t.after(writeRemoteFile(marker, content));
  const env = goEnv({ goarch: 'arm64', env: { FX_WANT_GOARCH: 'arm64', FX_MARKER_PATH: marker, FX_MARKER_WANT: content } });
  env.PATH = pathVar;
  const r = await run(path.join(goBin, 'go'), ['test', '-count=1', '-v', './...'], { cwd: fixtureDir('multi'), env, timeoutMs: 180_000 });
  assert.equal(r.code, 0, `go test with PATH=${pathVar}: ${describeRun(r)}`);
  for (const name of ['TestGOARCH', 'TestMarker']) assert.match(r.stdout, new RegExp(`--- PASS: ${name} `), `${name} did not pass: ${describeRun(r)}`);

  // The target comes from the wrapper's name, not from the program: run by hand on an
  // amd64 program, go_linux_riscv64_exec still asks for a linux/riscv64 host.
  const byName = await run(path.join(dir, 'go_linux_riscv64_exec'), ['/bin/true'], { cwd: tmp.dir, env: { HOME: process.env.HOME, XDG_CONFIG_HOME: tmp.dir, PATH: pathVar } });
  assert.equal(byName.code, 125, describeRun(byName));
  assert.match(byName.stderr, /^gocpu: local: no host configured for linux\/riscv64 \(set GOCPU_HOST_LINUX_RISCV64=/, describeRun(byName));

  const un = await run(gocpu, ['uninstall', dir], { cwd: tmp.dir, env: bare });
  assert.equal(un.code, 0, describeRun(un));
  assert.deepEqual(fs.readdirSync(dir), ['go_linux_mips_exec'], 'only the foreign file is left');
  assert.equal(fs.readFileSync(foreign, 'utf8'), '#!/bin/sh\necho not gocpu\n');
  assert.match(un.stderr, /left .*go_linux_mips_exec alone: not written by gocpu install/);
  assert.equal(un.stdout.split('\n').filter((l) => l.startsWith('removed ')).length, WRAPPERS.length - 1);
});

test('gocpu hosts shows what gocpu doctor last found for the test host', { timeout: 60_000 }, async (t) => {
  const cache = tempDir();
  t.after(cache.cleanup);
  // An agent directory of its own: the suite's shared agent would add its connection lines.
  const env: NodeJS.ProcessEnv = { ...process.env, ...testHost().env, XDG_CACHE_HOME: cache.dir, GOCPU_AGENT_DIR: path.join(cache.dir, 'agent') };
  for (const k of Object.keys(env)) if (/^GOCPU_HOST_/.test(k)) delete env[k];
  const host = testHost().host;
  const before = await run(gocpu, ['hosts'], { cwd: repoRoot, env });
  assert.equal(before.code, 0, describeRun(before));
  assert.equal(before.stdout, `every linux target (from GOCPU_HOST)\n  ${host}  never checked\n`);

  const doc = await run(gocpu, ['doctor', '--target', 'linux/arm64', host], { cwd: repoRoot, env, timeoutMs: 30_000 });
  assert.equal(doc.code, 0, describeRun(doc));
  const after = await run(gocpu, ['hosts'], { cwd: repoRoot, env });
  assert.match(after.stdout, new RegExp(`^every linux target \\(from GOCPU_HOST\\)\\n  ${host}  ok \\(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\); warning: architecture\\n$`), describeRun(after));

  // A host that cannot be reached: doctor fails, and hosts names the first failing check.
  const bad = { ...env, GOCPU_HOST_LINUX_RISCV64: 'nosuchhost.invalid' };
  const fail = await run(gocpu, ['doctor', '--target', 'linux/riscv64'], { cwd: repoRoot, env: bad, timeoutMs: 30_000 });
  assert.equal(fail.code, 1, describeRun(fail));
  const listed = await run(gocpu, ['hosts'], { cwd: repoRoot, env: bad });
  assert.match(listed.stdout, /^linux\/riscv64 \(from GOCPU_HOST_LINUX_RISCV64\)\n {2}nosuchhost\.invalid {2}failed: ssh: cannot connect to .*nosuchhost\.invalid.* \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)\n/, describeRun(listed));
  assert.match(listed.stdout, new RegExp(`\\n {2}${host} +ok \\(`), 'the test host keeps its own record');
});
