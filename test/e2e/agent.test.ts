/**
 * Issue 8's agent, against the test host: a second call reuses the first one's
 * connection; the agent leaves when idle; an agent of another version (an
 * upgrade) gets a socket of its own and never takes over the old one's runs; kill
 * -9 of the agent mid-run fails that run with one clear line, leaves nothing on
 * the host, and the next call works; a wedged agent means direct mode with one
 * warning; no other user can reach the socket, and a directory that is not
 * private is refused. Every test has an agent directory of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRun, goEnv, goTest, randomToken, repoRoot, requireWrapper, run, tempDir } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { startRun } from './live-run.js';
import { findRemoteRun, remoteState, waitRemoteClean } from './remote-state.js';
import { agentScratch, processGone } from './agent-scratch.js';
import { until } from './until.js';

const cache = path.join(repoRoot, 'test', 'fixtures', 'cache');
const fx = fixtureBinaries('faults');
const { dirs, pidsIn: agentPids } = agentScratch();

function agentEnv(extra: Record<string, string> = {}): { dir: string; trace: string; env: Record<string, string> } {
  const t = tempDir(undefined, 'gocpu-e2e-agent-');
  dirs.push(t.cleanup);
  const dir = path.join(t.dir, 'agent');
  const trace = path.join(t.dir, 'trace');
  return { dir, trace, env: { GOCPU_AGENT_DIR: dir, GOCPU_TRACE_FILE: trace, GOCPU_AGENT_LOG: path.join(t.dir, 'log'), ...extra } };
}


// Not kill(pid, 0): a zombie (where nothing reaps orphans) answers it, and serves nothing.
const alive = (pid: number) => !processGone(pid);

/** -v: go shows a passing test binary's output (the wrapper's warnings included) only then. */
async function passes(env: Record<string, string>, exec?: string): Promise<string> {
  const r = await goTest({ args: ['-count=1', '-v', '.'], cwd: cache, goarch: 'arm64', env, exec });
  assert.equal(r.code, 0, describeRun(r));
  return r.output;
}

test('agent: the second call reuses the first call\'s connection, and the agent leaves when idle', async () => {
  const a = agentEnv({ GOCPU_AGENT_IDLE: '2' });
  const first = await passes(a.env);
  assert.doesNotMatch(first, /^gocpu:/m, 'nothing printed on success');
  const [pid] = agentPids(a.dir);
  assert.ok(pid && alive(pid), 'an agent runs after the first call');
  await passes(a.env);
  const lines = fs.readFileSync(a.trace, 'utf8').split('\n');
  const agentLines = lines.filter((l) => / agent \d+: request read/.test(l));
  assert.equal(agentLines.length, 2, lines.join('\n'));
  assert.ok(agentLines.every((l) => l.includes(`agent ${pid}:`)), 'both calls went to one agent');
  assert.equal(lines.filter((l) => / ms connected$/.test(l)).length, 1, lines.join('\n'));
  assert.equal(lines.filter((l) => / ms connection reused$/.test(l)).length, 1, lines.join('\n'));
  // The trace says where a cold call's time goes: the shared mount came up once, for the
  // first call (after its mount.sh started), and the second found it.
  const steps = (re: RegExp) => lines.filter((l) => re.test(l)).length;
  assert.equal(steps(/ ms shared mount: mount\.sh started$/), 1, lines.join('\n'));
  assert.equal(steps(/ ms shared mount: sshfs mounted on the remote$/), 1, lines.join('\n'));
  assert.equal(steps(/ ms shared mount reused$/), 1, lines.join('\n'));
  assert.equal(steps(/ ms all halves up$/), 2, lines.join('\n'));
  await until(`agent ${pid} exits after 2 s idle`, () => !alive(pid), 20_000, 100);
  assert.deepEqual(fs.readdirSync(a.dir), [], 'the idle agent removed its socket and pid file');
});

/** The spare run and watch halves (src/remote/spare.sh) on the test host now, as pid/start. */
async function spareHalves(): Promise<Set<string>> {
  const st = await remoteState(['gocpu-spare']);
  return new Set(st.procs.filter((p) => p.marked && / gocpu-spare /.test(p.args)).map((p) => `${p.pid}/${p.start}`));
}

test('agent: the next call takes the run and watch halves opened ahead for it; unused ones leave the host with the agent', async () => {
  const before = await spareHalves();
  const a = agentEnv({ GOCPU_AGENT_IDLE: '3' });
  const taken = () => fs.readFileSync(a.trace, 'utf8').split('\n').filter((l) => l.endsWith(' ms run and watch halves: the spare pair')).length;
  await passes(a.env);
  assert.equal(taken(), 0, 'the first call on a fresh connection has no spare pair');
  let mine: string[] = [];
  await until('a spare pair waits on the host', async () => {
    mine = [...(await spareHalves())].filter((s) => !before.has(s));
    return mine.length >= 2;
  }, 20_000, 200);
  const out = await passes(a.env);
  assert.doesNotMatch(out, /^gocpu:/m, 'nothing printed on success');
  assert.equal(taken(), 1, fs.readFileSync(a.trace, 'utf8'));
  const [pid] = agentPids(a.dir);
  await until(`agent ${pid} exits after 3 s idle`, () => !alive(pid), 20_000, 100);
  // The pair the second call's lease opened for a third: gone with the connection.
  await until('the unused spare halves are gone', async () => [...(await spareHalves())].every((s) => before.has(s)), 10_000, 200);
});

test('NODE_EXTRA_CA_CERTS naming a missing file: no node warning in go\'s output, through the agent (cold and warm) or direct', async () => {
  // Node 20 parses that file as it starts and warns on stderr when it cannot; gocpu's
  // node processes start without it (src/cli/node-startup-env.ts).
  const a = agentEnv({ NODE_EXTRA_CA_CERTS: '/nonexistent/gocpu-e2e-ca.pem' });
  for (const env of [a.env, a.env, { ...a.env, GOCPU_AGENT: '0' }]) {
    const out = await passes(env);
    assert.doesNotMatch(out, /extra certs|^gocpu:/m, out);
  }
  agentPids(a.dir);
});

test('agent: another version gets an agent of its own, and the old one\'s run goes on', async () => {
  const a = agentEnv();
  // A copy of this installation with another version: an upgrade in place.
  const t = tempDir(undefined, 'gocpu-e2e-upgrade-');
  dirs.push(t.cleanup);
  for (const d of ['dist', 'bin', 'src']) fs.cpSync(path.join(repoRoot, d), path.join(t.dir, d), { recursive: true, verbatimSymlinks: true });
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(t.dir, 'node_modules'));
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  fs.writeFileSync(path.join(t.dir, 'package.json'), JSON.stringify({ ...pkg, version: `${pkg.version}-next` }));

  const env = goEnv({ goarch: 'arm64', env: a.env });
  const old = startRun(requireWrapper('arm64'), [fx.remote(), '-test.v=true', '-test.run=^TestWaitStdin$'], { cwd: fx.cwd, env, timeoutMs: 120_000, stdin: true });
  await old.waitFor(/^ready/m, 60_000);
  const [oldPid] = agentPids(a.dir);
  await passes(a.env, path.join(t.dir, 'bin', 'go_linux_arm64_exec'));
  const socks = fs.readdirSync(a.dir).filter((f) => f.endsWith('.sock'));
  assert.equal(socks.length, 2, `two agents, one per version: ${socks.join(' ')}`);
  assert.ok(socks.some((s) => s.includes(`-${pkg.version}-next-`)));
  assert.ok(alive(oldPid), 'the old agent lives on');
  old.write('go on\n');
  const r = await old.done;
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.output, /released by "go on\\n"/);
  agentPids(a.dir);
});

test('agent: the spare upload channel a run\'s binary took is opened again at once, for a call that comes while the run goes on', async () => {
  const a = agentEnv();
  const env = goEnv({ goarch: 'arm64', env: a.env });
  const first = startRun(requireWrapper('arm64'), [fx.remote(), '-test.v=true', '-test.run=^TestWaitStdin$'], { cwd: fx.cwd, env, timeoutMs: 120_000, stdin: true });
  try {
    await first.waitFor(/^ready/m, 60_000);
    // The first run's binary is in place (its test runs): what the trace has on uploads now is its.
    const before = fs.readFileSync(a.trace, 'utf8').length;
    // Another binary, on the same connection (the first run holds one of its two places).
    await passes(a.env);
    const second = fs.readFileSync(a.trace, 'utf8').slice(before);
    assert.match(second, / ms connection reused$/m, second);
    assert.deepEqual(second.match(/ ms binary: on (the upload channel opened ahead|an upload channel opened now)$/gm)?.map((l) => l.replace(/^.* ms /, '')), ['binary: on the upload channel opened ahead'], second);
  } finally {
    first.write('go on\n');
  }
  const r = await first.done;
  assert.equal(r.code, 0, describeRun(r));
  agentPids(a.dir);
});

test('agent: a binary the remote has, learned on one connection, is named at once on another connection to the host', async () => {
  // Slots for three runs at once: the third opens a second connection (RUNS_PER_CONNECTION).
  const a = agentEnv({ GOCPU_SLOTS: '8' });
  const env = goEnv({ goarch: 'arm64', env: a.env });
  const once = () => run(requireWrapper('arm64'), [fx.remote(), '-test.run=^TestPass$'], { cwd: fx.cwd, env, timeoutMs: 120_000 });
  // The first connection learns the binary: sent now, or found in the remote's cache.
  let r = await once();
  assert.equal(r.code, 0, describeRun(r));
  const held = [0, 1].map(() => startRun(requireWrapper('arm64'), [fx.remote(), '-test.v=true', '-test.run=^TestWaitStdin$'], { cwd: fx.cwd, env, timeoutMs: 120_000, stdin: true }));
  try {
    for (const h of held) await h.waitFor(/^ready/m, 60_000);
    const before = fs.readFileSync(a.trace, 'utf8').length;
    r = await once();
    assert.equal(r.code, 0, describeRun(r));
    const third = fs.readFileSync(a.trace, 'utf8').slice(before);
    assert.match(third, / ms connected$/m, `the third run at once went to a new connection:\n${third}`);
    assert.match(third, / ms binary: the remote has it$/m, third);
    assert.doesNotMatch(third, / ms binary: (not known to the remote cache yet|in the remote cache)/m, third);
  } finally {
    for (const h of held) h.write('go on\n');
  }
  for (const h of held) {
    const end = await h.done;
    assert.equal(end.code, 0, describeRun(end));
  }
  agentPids(a.dir);
});

test('agent: kill -9 of the agent mid-run fails the run with one line, leaves nothing on the host, and the next call works', async () => {
  const a = agentEnv();
  const marker = `gocpu-e2e-agent-${randomToken()}`;
  const env = goEnv({ goarch: 'arm64', env: { ...a.env, FX_MARKER: marker } });
  const live = startRun(requireWrapper('arm64'), [fx.remote(), '-test.v=true', '-test.run=^TestSleep$', marker], { cwd: fx.cwd, env, timeoutMs: 120_000 });
  await live.waitFor(/^ready/m, 60_000);
  const run = await findRemoteRun(marker);
  const [pid] = agentPids(a.dir);
  process.kill(pid, 'SIGKILL');
  const r = await live.done;
  assert.equal(r.code, 125, describeRun(r));
  const ours = r.stderr.split('\n').filter((l) => l.startsWith('gocpu:'));
  assert.deepEqual(ours, ['gocpu: local: the gocpu agent ended while the test ran, so its result is lost (run the test again; GOCPU_AGENT=0 runs without the agent)']);
  const left = await waitRemoteClean(run, Date.now() + 10_000);
  assert.deepEqual(left, [], 'nothing of the run is left on the host');
  const out = await passes(a.env);
  assert.doesNotMatch(out, /^gocpu:/m);
  const [next] = agentPids(a.dir);
  assert.notEqual(next, pid, 'a new agent serves the next call');
});

test('agent: go\'s SIGKILL of the wrapper ends the remote test, while the agent and its connection live on', async () => {
  const a = agentEnv();
  const marker = `gocpu-e2e-agent-${randomToken()}`;
  const env = goEnv({ goarch: 'arm64', env: { ...a.env, FX_MARKER: marker } });
  const live = startRun(requireWrapper('arm64'), [fx.remote(), '-test.v=true', '-test.run=^TestSleepChild$', marker], { cwd: fx.cwd, env, timeoutMs: 120_000 });
  await live.waitFor(/^ready/m, 60_000);
  const run = await findRemoteRun(marker);
  const [pid] = agentPids(a.dir);
  // go kills the process it started: the launcher; node follows it (launcher.ts).
  live.signal('SIGKILL');
  await live.done;
  const left = await waitRemoteClean(run, Date.now() + 10_000, true);
  assert.deepEqual(left, [], 'the test and what it started are gone within 10 s');
  assert.ok(alive(pid), 'the agent lives on');
  await passes(a.env);
  const lines = fs.readFileSync(a.trace, 'utf8');
  assert.match(lines, / ms connection reused$/m, 'the next call used the same connection');
});

test('agent: a wedged agent means direct mode with one warning line', async () => {
  const a = agentEnv();
  await passes(a.env);
  const [pid] = agentPids(a.dir);
  process.kill(pid, 'SIGSTOP');
  try {
    const r = await goTest({ args: ['-count=1', '-v', '.'], cwd: cache, goarch: 'arm64', env: a.env });
    assert.equal(r.code, 0, describeRun(r));
    const ours = r.output.split('\n').filter((l) => l.startsWith('gocpu:'));
    assert.deepEqual(ours, ['gocpu: local: warning: the gocpu agent did not answer within 3 s; running directly']);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
});

test('agent: a directory open to others is refused (direct mode, one line), and no other user can reach the socket', async () => {
  const a = agentEnv();
  fs.mkdirSync(a.dir, { mode: 0o777 });
  fs.chmodSync(a.dir, 0o777);
  const r = await goTest({ args: ['-count=1', '-v', '.'], cwd: cache, goarch: 'arm64', env: a.env });
  assert.equal(r.code, 0, describeRun(r));
  const ours = r.output.split('\n').filter((l) => l.startsWith('gocpu:'));
  assert.equal(ours.length, 1, r.output);
  assert.match(ours[0], /^gocpu: local: warning: not using the gocpu agent: .* is open to others \(mode 777\); running directly/);
  assert.deepEqual(fs.readdirSync(a.dir), [], 'no socket in a directory others can write');

  if (process.getuid!() !== 0) return; // another user needs root to become
  const b = agentEnv();
  await passes(b.env);
  const [sock] = fs.readdirSync(b.dir).filter((f) => f.endsWith('.sock'));
  agentPids(b.dir);
  const probe = `require('net').connect(${JSON.stringify(path.join(b.dir, sock))}).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',(e)=>{console.log(e.code);process.exit(0)})`;
  const other = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe], { encoding: 'utf8' });
  assert.equal(other.status, 0, other.stderr);
  assert.equal(other.stdout.trim(), 'EACCES', 'user nobody cannot connect to our agent');
});

test('agent: gocpu hosts shows the agent\'s open connection to a host', async () => {
  const a = agentEnv();
  await passes(a.env);
  const [pid] = agentPids(a.dir);
  const env = goEnv({ goarch: 'arm64', env: a.env });
  const r = spawnSync(path.join(repoRoot, 'bin', 'gocpu'), ['hosts'], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^ {4}agent ${pid}: 1 connection open, 0 tests running$`, 'm'), r.stdout);
});

test('agent: a run\'s trace ends with its wrapper (the agent\'s cleanup after an early end writes no more to GOCPU_TRACE_FILE)', async () => {
  const a = agentEnv();
  // -count=1 and no outputs: the agent sends the end before it has cleaned up.
  await passes(a.env);
  const lines = fs.readFileSync(a.trace, 'utf8');
  assert.match(lines, / ms end sent to the wrapper \(the agent goes on cleaning up\)$/m, lines);
  // What a test harness (or a user) does once go test is done: the trace goes.
  fs.rmSync(a.trace);
  const [pid] = agentPids(a.dir);
  const env = goEnv({ goarch: 'arm64', env: a.env });
  const hosts = () => spawnSync(path.join(repoRoot, 'bin', 'gocpu'), ['hosts'], { env, encoding: 'utf8' }).stdout;
  await until('the agent has cleaned up the run', () => new RegExp(`^ {4}agent ${pid}: 1 connection open, 0 tests running$`, 'm').test(hosts()), 20_000, 100);
  assert.ok(!fs.existsSync(a.trace), `the agent wrote to the trace after the wrapper ended:\n${fs.existsSync(a.trace) ? fs.readFileSync(a.trace, 'utf8') : ''}`);
});

test('agent: the test binary runs from the remote cache (sent once), not paged in through FUSE', async () => {
  const a = agentEnv();
  const probe = path.join(repoRoot, 'test', 'fixtures', 'probe');
  const once = async (env: Record<string, string>) => {
    const r = await goTest({ args: ['-count=1', '-v', '-run=^TestExeMount$', '.'], cwd: probe, goarch: 'arm64', env });
    assert.equal(r.code, 0, describeRun(r));
    return /^exe-mount (.*)$/m.exec(r.output)?.[1];
  };
  const first = await once(a.env);
  assert.ok(first && first !== 'none' && !first.startsWith('fuse'), `the binary is a bind of the cached copy: ${first}`);
  assert.match(first!, /\/\.cache\/gocpu\/bin\/[0-9a-f]{64}$/, 'bound from the content-addressed cache');
  await once(a.env);
  const lines = fs.readFileSync(a.trace, 'utf8');
  // Sent by the first call, or by an earlier agent: the cache is the remote user's.
  const put = lines.match(/ ms binary: (sent \d+ bytes|in the remote cache)$/gm) ?? [];
  assert.equal(put.length, 1, lines);
  assert.equal((lines.match(/ ms binary: the remote has it$/gm) ?? []).length, 1, `the second call asked nothing:\n${lines}`);
  // go links each call's binary anew (a new file in its work dir), so neither header could
  // name it: each went before the binary was hashed (and sent), and the run half bound it
  // once told (src/run/late-binary.ts).
  assert.equal((lines.match(/ ms binary: not known to the remote cache yet; the view is built meanwhile$/gm) ?? []).length, 2, lines);
  assert.equal((lines.match(/ ms remote: binary \d+$/gm) ?? []).length, 2, `the run half heard of each binary after its header:\n${lines}`);
  assert.equal(await once({ ...a.env, GOCPU_AGENT: '0' }), 'none', 'direct mode pages it in through its own mount');
});
