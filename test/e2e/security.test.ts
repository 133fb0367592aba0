/**
 * Done means: what a run exposes on the remote is what the README promises and no
 * more. A forwarded secret is in no command line (on the remote or here) while the
 * test sees it; host-specific variables and config-denied ones stay home; the run's
 * remote directory is private and unpredictable; and the remote sees only the
 * exports: the module read-only, the binary's directory writable, nothing else,
 * neither in the test's view nor through the run's raw sshfs mount, nor another
 * run's directory and mount.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyFixture, describeRun, goEnv, randomToken, repoRoot, tempDir, type RunResult } from './harness.js';
import { LocalCmdlineScan, RemoteProcWatch } from './proc-watch.js';
import { assertPassed, buildProbe, parseEcho, parsePaths, runProbe } from './probe.js';
import { remoteShOk, sq } from './remote-sh.js';
import { startAgent } from './ssh-agent.js';

const tmp = tempDir();
const mod = copyFixture('probe', tmp.dir);
// Apart from the module: the binary's directory is exported read-write, with all below it.
const bins = tempDir();
const neighbor = path.join(path.dirname(mod.dir), `neighbor-${randomToken()}.txt`);
let bin = '';

before(async () => {
  fs.writeFileSync(neighbor, 'a local file next to the module, not exported\n');
  bin = await buildProbe(bins.dir, 'arm64', mod.dir);
});
after(() => {
  tmp.cleanup();
  bins.cleanup();
});

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

function probe(test: 'TestEcho' | 'TestSecret' | 'TestPaths', args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  return runProbe({ bin, test, args, cwd: mod.dir, env });
}

/**
 * Waits (bounded) until the watch saw the nsenter of the run marked `mark`, and
 * returns its nonce; fails at once, with the run's output, if the run ended first.
 */
async function nonceOf(watch: RemoteProcWatch, mark: string, running: Promise<RunResult>): Promise<string> {
  let ended: RunResult | undefined;
  void running.then((r) => (ended = r));
  await watch.waitFor(() => watch.nonces(mark).length > 0 || ended !== undefined, 30_000);
  const n = watch.nonces(mark)[0];
  assert.ok(n, ended
    ? `the run ended before the watch saw it:\n${describeRun(ended)}`
    : `within 30 s no remote process had ${mark} in its command line with a gocpu-exec nonce: ${JSON.stringify(watch.hits)}`);
  return n;
}

test('a forwarded secret reaches the test in its environment, and no command line here or there', async () => {
  const secret = `e2e-secret-${randomToken(16)}`;
  const mark = `gocpu-e2e-mark-${randomToken()}`;
  const watch = await RemoteProcWatch.start({ secret, mark });
  const local = new LocalCmdlineScan({ secret, mark });
  let r: RunResult;
  try {
    r = await probe('TestSecret', [mark], { E2E_SECRET_TOKEN: secret, PROBE_SLEEP_MS: '5000' });
  } finally {
    local.stop();
    await watch.stop();
  }
  assertPassed(r, 'TestSecret');
  assert.match(r.stdout, new RegExp(`^secret-sha256 ${sha256(secret)}$`, 'm'), `the remote test did not see the secret\n${r.stdout}`);
  // Controls: both scans saw the run itself, and the secret is where it belongs.
  const marked = watch.hitsFor('mark');
  assert.ok(marked.some((h) => h.nonce), `the remote scan never saw the run's nsenter: ${JSON.stringify(watch.hits)}`);
  assert.ok(marked.some((h) => h.environ.includes('secret')), `the secret is in the environment of none of the run's processes: ${JSON.stringify(marked)}`);
  assert.ok(local.hitsFor('mark').length > 0, 'the local scan never saw the run');
  assert.deepEqual(watch.hitsFor('secret').map((h) => `${h.pid}: ${h.cmdline}`), [], 'the secret is on a command line on the remote');
  assert.deepEqual(local.hitsFor('secret').map((h) => `${h.pid}: ${h.cmdline}`), [], 'the secret is on a command line on this machine');
});

test('host-specific and config-denied variables stay home; config-allowed TERM travels', async () => {
  const tok = randomToken();
  const dir = (name: string) => {
    const d = path.join(tmp.dir, `${name}-${tok}`);
    fs.mkdirSync(d);
    return d;
  };
  const agent = await startAgent(path.join(tmp.dir, `agent-${tok}.sock`));
  const config = path.join(tmp.dir, `config-${tok}.json`);
  fs.writeFileSync(config, JSON.stringify({ env: { allow: ['TERM'], deny: ['E2E_DENIED_VAR'] } }));
  const env = {
    HOME: dir('home'),
    TMPDIR: dir('tmpdir'),
    PATH: `${goEnv({ goarch: 'arm64' }).PATH}:/nonexistent-${tok}`,
    SSH_AUTH_SOCK: agent.socket,
    TERM: `xterm-${tok}`,
    E2E_DENIED_VAR: `denied-${tok}`,
    E2E_PLAIN_VAR: `plain-${tok}`,
    XDG_CONFIG_HOME: dir('xdg'),
  };
  try {
    const remoteHome = (await remoteShOk('printf %s "$HOME"', 'user')).trim();
    const r = await probe('TestEcho', [], { ...env, GOCPU_CONFIG: config });
    assertPassed(r, 'TestEcho with the config');
    const got = parseEcho(r.stdout).env;
    const leaked = [...got].filter(([k, v]) => v.includes(tok) && k !== 'TERM' && k !== 'E2E_PLAIN_VAR').map(([k, v]) => `${k}=${v}`);
    assert.deepEqual(leaked, [], 'local values reached the remote test');
    assert.equal(got.get('TERM')?.toString(), env.TERM, 'TERM (allowed by the config) did not travel');
    assert.equal(got.get('E2E_PLAIN_VAR')?.toString(), env.E2E_PLAIN_VAR, 'an ordinary variable did not travel');
    assert.equal(got.has('E2E_DENIED_VAR'), false, 'the config-denied variable travelled');
    assert.equal(got.get('HOME')?.toString(), remoteHome, 'the remote test should have the remote HOME');

    // Control: without the config, TERM is denied by default and E2E_DENIED_VAR travels,
    // so the config file is what made the difference above.
    const c = await probe('TestEcho', [], { ...env, GOCPU_CONFIG: undefined });
    assertPassed(c, 'TestEcho without a config');
    const dflt = parseEcho(c.stdout).env;
    assert.equal(dflt.has('TERM') && dflt.get('TERM')!.includes(tok), false, 'TERM travelled without being allowed');
    assert.equal(dflt.get('E2E_DENIED_VAR')?.toString(), env.E2E_DENIED_VAR, 'E2E_DENIED_VAR should travel without the config');
  } finally {
    agent.stop();
  }
});

test("each run's remote directory is private (0700, gocpu) and named gocpu.<24 hex>, fresh per run", async () => {
  const marks = [`gocpu-e2e-mark-${randomToken()}`, `gocpu-e2e-mark-${randomToken()}`];
  const watch = await RemoteProcWatch.start({ m0: marks[0], m1: marks[1] });
  try {
    const runs = marks.map((m) => probe('TestSecret', [m], { PROBE_SLEEP_MS: '4000' }));
    const nonces = [await nonceOf(watch, 'm0', runs[0]), await nonceOf(watch, 'm1', runs[1])];
    const dirs = nonces.map((n) => `/tmp/gocpu.${n}`);
    const stat = await remoteShOk(dirs.map((d) => `stat -c '%n %a %U %F' ${sq(d)}`).join('\n'));
    for (const r of await Promise.all(runs)) assertPassed(r, 'TestSecret');
    for (const n of nonces) assert.match(n, /^[0-9a-f]{24}$/, `nonce ${n}`);
    assert.notEqual(nonces[0], nonces[1], 'two runs got the same remote directory');
    assert.deepEqual(stat.trim().split('\n'), dirs.map((d) => `${d} 700 gocpu directory`));
    // Polled on the host, up to 15 s: the last run's teardown may still be under way as its wrapper ends.
    const gone = await remoteShOk(
      `i=0; while :; do left=; for d in ${dirs.map(sq).join(' ')}; do [ ! -e "$d" ] || left="$left $d"; done; ` +
        `[ -z "$left" ] || [ "$i" -ge 150 ] && break; i=$((i + 1)); sleep 0.1; done; echo "$left"`,
    );
    assert.equal(gone.trim(), '', `run directories left behind 15 s after the runs ended: ${gone}`);
  } finally {
    await watch.stop();
  }
});

const ABSENT_OR_REFUSED = [1, 2, 13, 30]; // EPERM, ENOENT, EACCES, EROFS
const REFUSED = [1, 13, 30];

test('the remote sees only the exports: module read-only, binary dir writable, nothing else', async () => {
  const tok = randomToken();
  const mark = `gocpu-e2e-mark-${tok}`;
  const binDir = path.dirname(bin);
  const ops = {
    git: `stat:${repoRoot}/.git`,
    hostname: 'read:/etc/hostname',
    passwd: 'read:/etc/passwd',
    neighbor: `stat:${neighbor}`,
    gomod: `read:${mod.dir}/go.mod`,
    writeModule: `write:${mod.dir}/written-${tok}`,
    writeBinDir: `write:@EXE@/written-${tok}`,
  };
  // Through the run's raw sshfs mount, as the login user (root cannot use a FUSE mount):
  // its own (direct mode), or its subtree of the agent's mount shared by the runs.
  const raw = (nonce: string) => [
    `r() { l=$1; shift; if o=$("$@" 2>&1); then echo "$l ok $(printf %s "$o" | head -c 100 | tr '\\n' ' ')"; else echo "$l fail $(printf %s "$o" | tr '\\n' ' ')"; fi; }`,
    `m=/tmp/gocpu.${nonce}/mnt`,
    `if ! mountpoint -q "$m"; then for d in /tmp/gocpu.*/mnt; do if [ -d "$d/${nonce}" ]; then m=$d/${nonce}; fi; done; fi`,
    `r gomod cat "$m"${sq(`${mod.dir}/go.mod`)}`,
    `r hostname cat "$m/etc/hostname"`,
    `r git cat "$m"${sq(`${repoRoot}/.git/HEAD`)}`,
    `r neighbor cat "$m"${sq(neighbor)}`,
    `r writeModule sh -c 'echo x >"$1"' - "$m"${sq(`${mod.dir}/evil-${tok}`)}`,
    `r writeNeighbor sh -c 'echo x >"$1"' - "$m"${sq(`${path.dirname(mod.dir)}/evil-${tok}`)}`,
    `r writeBinDir sh -c 'echo x >"$1"' - "$m"${sq(`${binDir}/raw-${tok}`)}`,
  ].join('\n');

  const watch = await RemoteProcWatch.start({ mark });
  let r: RunResult;
  let rawOut = '';
  try {
    const running = probe('TestPaths', [mark, ...Object.values(ops)], { PROBE_SLEEP_MS: '8000' });
    const nonce = await nonceOf(watch, 'mark', running);
    rawOut = await remoteShOk(raw(nonce), 'user');
    r = await running;
  } finally {
    await watch.stop();
  }
  assertPassed(r, 'TestPaths');
  const res = parsePaths(r.stdout);
  const get = (op: string) => {
    const key = op.replace(':', ' ').replace('@EXE@', binDir);
    assert.ok(res.has(key), `the probe printed nothing for ${key}:\n${r.stdout}`);
    return res.get(key)!;
  };
  const errno = (op: string, allowed: number[], why: string) => {
    const x = get(op);
    assert.ok(!x.ok && allowed.includes(x.errno!), `${why}: ${x.text}`);
  };
  errno(ops.git, ABSENT_OR_REFUSED, 'the local repository .git is visible on the remote');
  errno(ops.neighbor, ABSENT_OR_REFUSED, 'a file next to the module is visible on the remote');
  errno(ops.writeModule, REFUSED, 'writing into the read-only module should fail with EPERM/EACCES/EROFS');
  assert.equal(fs.existsSync(path.join(mod.dir, `written-${tok}`)), false, 'the remote test wrote into the local module');
  assert.equal(get(ops.gomod).sha, sha256(fs.readFileSync(path.join(mod.dir, 'go.mod'))), 'go.mod reads differently');
  assert.ok(get(ops.writeBinDir).ok, `writing into the binary's directory failed: ${get(ops.writeBinDir).text}`);
  assert.equal(fs.readFileSync(path.join(binDir, `written-${tok}`), 'utf8'), 'written by the probe\n');

  const remoteSums = await remoteShOk('sha256sum /etc/hostname /etc/passwd');
  const differs: string[] = [];
  for (const f of ['hostname', 'passwd'] as const) {
    const want = new RegExp(`^([0-9a-f]{64})  /etc/${f}$`, 'm').exec(remoteSums)![1];
    assert.equal(get(ops[f]).sha, want, `/etc/${f} in the test is not the remote's`);
    if (want !== sha256(fs.readFileSync(`/etc/${f}`))) differs.push(f);
  }
  assert.ok(differs.length > 0, 'this machine and the test host have the same /etc/hostname and /etc/passwd: cannot tell whose the test saw');

  const rawRes = new Map(rawOut.trim().split('\n').map((l) => [l.split(' ')[0], l] as const));
  assert.match(rawRes.get('gomod') ?? '', /^gomod ok module example\.com\/fx\/probe/, `the raw mount does not serve the module:\n${rawOut}`);
  for (const k of ['hostname', 'git', 'neighbor', 'writeModule', 'writeNeighbor']) {
    assert.match(rawRes.get(k) ?? '', new RegExp(`^${k} fail `), `the SFTP server did not refuse ${k}:\n${rawOut}`);
  }
  assert.match(rawRes.get('writeBinDir') ?? '', /^writeBinDir ok/, `writing through the raw mount into the binary's dir failed:\n${rawOut}`);
  assert.equal(fs.readFileSync(path.join(binDir, `raw-${tok}`), 'utf8'), 'x\n');
  for (const p of [path.join(mod.dir, `evil-${tok}`), path.join(path.dirname(mod.dir), `evil-${tok}`)]) {
    assert.equal(fs.existsSync(p), false, `${p} was created through the raw mount`);
  }
});

// The view shows the remote's own /tmp; other runs' private directories there hold
// their sshfs mounts, i.e. other exports than ours, and must not be reachable.
test("a run cannot reach another run's private directory or mount", async () => {
  const mark = `gocpu-e2e-mark-${randomToken()}`;
  const watch = await RemoteProcWatch.start({ mark });
  let other: Promise<RunResult> | undefined;
  let r: RunResult;
  let dir = '';
  try {
    other = probe('TestSecret', [mark], { PROBE_SLEEP_MS: '8000' });
    dir = `/tmp/gocpu.${await nonceOf(watch, 'mark', other)}`;
    r = await probe('TestPaths', [`stat:${dir}`, `stat:${dir}/mnt${mod.dir}`, `read:${dir}/mnt${mod.dir}/go.mod`]);
  } finally {
    await other;
    await watch.stop();
  }
  assertPassed(r, 'TestPaths');
  assertPassed(await other, 'TestSecret (the other run)');
  const res = parsePaths(r.stdout);
  const keys = [`stat ${dir}`, `stat ${dir}/mnt${mod.dir}`, `read ${dir}/mnt${mod.dir}/go.mod`];
  assert.ok(keys.every((k) => res.has(k)), `the probe did not report every path:\n${r.stdout}`);
  const reachable = keys.filter((k) => !(!res.get(k)!.ok && ABSENT_OR_REFUSED.includes(res.get(k)!.errno!))).map((k) => res.get(k)!.text);
  assert.deepEqual(reachable, [], "the other run's directory and mount are reachable from this run's test");
});
