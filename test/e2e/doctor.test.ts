/**
 * Done means: `gocpu doctor` tells a usable host from a broken one, row by row, with
 * a fix for each failure, and exits 1 when a row failed; and a real run on a host of
 * the wrong architecture fails with the same cause in one line. The test host is
 * x86_64 and runs arm64 binaries through binfmt (a warn row), and has no riscv64
 * emulation: if this machine has a qemu-riscv64 binfmt entry enabled, the last
 * tests switch it off for their duration (binfmt_misc is kernel-wide).
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, describeRun, goEnv, requireWrapper, repoRoot, run, tempDir, testHost, type RunResult } from './harness.js';
import { overrideSshConfig } from './ssh-config.js';
import { buildProbe, probeModule } from './probe.js';
import { remoteShOk } from './remote-sh.js';

const LIMIT_MS = 30_000;
const CHECKS = ['ssh', 'architecture', 'sshfs', '/dev/fuse', 'user namespaces', 'mode', 'tools', 'temp dir', 'login shell'];
const tmp = tempDir();
after(tmp.cleanup);
let host = '';

before(() => {
  host = testHost().host;
});

interface Row { mark: string; detail: string; fix?: string }

/** The table: check name -> its row; throws on a line it cannot place. */
function parseTable(out: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  let last: Row | undefined;
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const fix = /^\s+fix: (.*)$/.exec(line);
    if (fix && last) {
      last.fix = fix[1];
      continue;
    }
    const m = /^(ok {2}|warn|FAIL) {2}(.+?) {2,}(.*)$/.exec(line) ?? /^(ok {2}|warn|FAIL) {2}(\S+) {2}(.*)$/.exec(line);
    assert.ok(m && CHECKS.includes(m[2].trim()), `unexpected line in gocpu doctor's output: ${JSON.stringify(line)}\n${out}`);
    last = { mark: m[1].trim(), detail: m[3] };
    rows.set(m[2].trim(), last);
  }
  return rows;
}

function doctor(args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  const e: NodeJS.ProcessEnv = { ...process.env, ...testHost().env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  return run(path.join(binDir, 'gocpu'), ['doctor', ...args], { cwd: repoRoot, env: e, timeoutMs: LIMIT_MS });
}

function assertRow(rows: Map<string, Row>, check: string, mark: string, detail?: RegExp, fix?: RegExp): void {
  const r = rows.get(check);
  assert.ok(r, `no "${check}" row`);
  assert.equal(r.mark, mark, `"${check}" row: ${JSON.stringify(r)}`);
  if (detail) assert.match(r.detail, detail, `"${check}" row`);
  if (fix) assert.match(r.fix ?? '', fix, `"${check}" row has no matching fix: ${JSON.stringify(r)}`);
}

function finished(r: RunResult): void {
  assert.ok(!r.timedOut, `no result within ${LIMIT_MS} ms: ${describeRun(r)}`);
}

test('doctor --target linux/arm64 on the test host: every check ok, emulated arm64 a warning', async () => {
  const r = await doctor(['--target', 'linux/arm64', host]);
  finished(r);
  assert.equal(r.code, 0, describeRun(r));
  const rows = parseTable(r.stdout);
  for (const c of ['ssh', 'sshfs', '/dev/fuse', 'user namespaces', 'mode', 'tools', 'temp dir']) assertRow(rows, c, 'ok');
  assertRow(rows, 'ssh', 'ok', /host key verified/);
  assertRow(rows, 'architecture', 'warn', /x86_64.*emulated.*qemu-aarch64/, /native linux\/arm64/);
  assert.equal(rows.has('login shell'), false, 'bash should raise no login shell row');
});

test('doctor with sshfs missing on the remote, mount mode forced: FAIL sshfs row with its fix, exit 1', async () => {
  const r = await doctor(['--target', 'linux/arm64', host], { GOCPU_REMOTE_SSHFS: '/nonexistent/sshfs', GOCPU_MODE: 'mount' });
  finished(r);
  assert.equal(r.code, 1, describeRun(r));
  const rows = parseTable(r.stdout);
  assertRow(rows, 'sshfs', 'FAIL', /not found/, /^apt install sshfs/);
  assert.match(r.stdout, /^\s+fix: apt install sshfs/m);
  assertRow(rows, 'ssh', 'ok');
});

test('doctor against an unknown host key: FAIL ssh row with the fix, exit 1', async () => {
  const empty = path.join(tmp.dir, 'known_hosts.empty');
  fs.writeFileSync(empty, '');
  const cfg = path.join(tmp.dir, 'ssh_config.hostkey');
  fs.writeFileSync(cfg, overrideSshConfig(fs.readFileSync(testHost().sshConfig, 'utf8'), {
    UserKnownHostsFile: empty,
    GlobalKnownHostsFile: empty,
    StrictHostKeyChecking: 'yes',
  }));
  const r = await doctor(['--target', 'linux/arm64', host], { GOCPU_SSH_CONFIG: cfg, SSH_AUTH_SOCK: undefined });
  finished(r);
  assert.equal(r.code, 1, describeRun(r));
  const rows = parseTable(r.stdout);
  assertRow(rows, 'ssh', 'FAIL', /host key .* is not known/, /known_hosts|accept/);
});

const BINFMT = 'qemu-riscv64';

/** Disables an enabled binfmt entry here and on the test host for the duration of fn. */
async function withoutBinfmt(name: string, fn: () => Promise<void>): Promise<void> {
  const local = `/proc/sys/fs/binfmt_misc/${name}`;
  const localOn = fs.existsSync(local) && fs.readFileSync(local, 'utf8').startsWith('enabled');
  const remoteState = `f=/proc/sys/fs/binfmt_misc/${name}; if [ -e "$f" ] && head -n 1 "$f" | grep -q enabled; then echo on; else echo off; fi`;
  if (localOn) fs.writeFileSync(local, '0');
  let remoteOn = false;
  try {
    remoteOn = (await remoteShOk(remoteState)).trim() === 'on';
    if (remoteOn) await remoteShOk(`echo 0 > /proc/sys/fs/binfmt_misc/${name}`);
    await fn();
  } finally {
    if (remoteOn) await remoteShOk(`echo 1 > /proc/sys/fs/binfmt_misc/${name}`);
    if (localOn) fs.writeFileSync(local, '1');
  }
}

test('doctor --target linux/riscv64: FAIL architecture row, since nothing runs riscv64 there', async () => {
  await withoutBinfmt(BINFMT, async () => {
    const r = await doctor(['--target', 'linux/riscv64', host]);
    finished(r);
    assert.equal(r.code, 1, describeRun(r));
    const rows = parseTable(r.stdout);
    assertRow(rows, 'architecture', 'FAIL', new RegExp(`^${host} is x86_64 but the target is linux/riscv64$`), /GOCPU_HOST_LINUX_RISCV64/);
  });
});

test('a real riscv64 run on the x86_64 test host fails with the same cause, in one line', async () => {
  const bin = await buildProbe(tmp.dir, 'riscv64');
  await withoutBinfmt(BINFMT, async () => {
    const r = await run(requireWrapper('riscv64'), [bin, '-test.run=^TestEcho$'], {
      cwd: probeModule,
      env: goEnv({ goarch: 'riscv64', env: { GOCPU_HOST_LINUX_RISCV64: host } }),
      timeoutMs: LIMIT_MS,
    });
    finished(r);
    assert.notEqual(r.code, 0, describeRun(r));
    assert.equal(r.stdout, '', describeRun(r));
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `want exactly one line on stderr: ${describeRun(r)}`);
    assert.match(lines[0], new RegExp(`^gocpu: remote: ${host} is x86_64 but the binary is linux/riscv64 .*gocpu doctor --target linux/riscv64`));
  });
});
