/**
 * Issue 8's host pools against two test hosts (gocpu-test and gocpu-test2, see
 * testhost2.ts): calls spread over the pool; slots are respected (a call waits for
 * one, first come first served, and then runs where one came free); a stopped
 * host is skipped with one warning line, in the agent and in direct mode, and a
 * call fails only when no host of its pool can take it. The fixture's tests print
 * the hostname they run on (each test host's is its alias). Every test has an
 * agent of its own (own GOCPU_AGENT_DIR), warmed by one call first: wrappers
 * that start at once could each start an agent, and two agents do not share slots.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRun, goEnv, requireWrapper, run, tempDir, testHost } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { type LiveRun, startRun } from './live-run.js';
import { SECOND_ALIAS, bothHosts, downSecondHost, upSecondHost } from './testhost2.js';
import { agentScratch } from './agent-scratch.js';
import { until } from './until.js';

const fx = fixtureBinaries('pool');
const FIRST = 'gocpu-test';
const { dirs, pidsIn } = agentScratch();
let sshConfig = '';

before(async () => {
  const t = tempDir(undefined, 'gocpu-e2e-pool-');
  dirs.push(t.cleanup);
  sshConfig = await bothHosts(t.dir);
});


interface PoolEnv {
  dir: string;
  trace: string;
  env: Record<string, string | undefined>;
}

function poolEnv(extra: Record<string, string | undefined>): PoolEnv {
  const t = tempDir(undefined, 'gocpu-e2e-pool-agent-');
  dirs.push(t.cleanup);
  const dir = path.join(t.dir, 'agent');
  const trace = path.join(t.dir, 'trace');
  return {
    dir,
    trace,
    env: {
      GOCPU_AGENT_DIR: dir,
      GOCPU_TRACE_FILE: trace,
      GOCPU_AGENT_LOG: path.join(t.dir, 'log'),
      GOCPU_SSH_CONFIG: sshConfig,
      GOCPU_HOST_LINUX_ARM64: `${FIRST},${SECOND_ALIAS}`,
      ...extra,
    },
  };
}

function rememberAgents(p: PoolEnv): void {
  pidsIn(p.dir);
}

/** One call that says where it ran and ends: its host, its gocpu lines. */
async function where(p: PoolEnv, extra: Record<string, string | undefined> = {}): Promise<{ host: string; ours: string[] }> {
  const r = await run(requireWrapper('arm64'), [fx.remote(), '-test.v=true', '-test.run=^TestWhere$'], {
    cwd: fx.cwd,
    env: goEnv({ goarch: 'arm64', env: { ...p.env, ...extra } }),
    timeoutMs: 120_000,
  });
  rememberAgents(p);
  assert.equal(r.code, 0, describeRun(r));
  const m = /^on (\S+)$/m.exec(r.stdout);
  assert.ok(m, describeRun(r));
  return { host: m[1], ours: r.output.split('\n').filter((l) => l.startsWith('gocpu:')) };
}

/** A call that holds its slot until released. */
function holder(p: PoolEnv): LiveRun {
  return startRun(requireWrapper('arm64'), [fx.remote(), '-test.v=true', '-test.run=^TestWhereWait$'], {
    cwd: fx.cwd,
    env: goEnv({ goarch: 'arm64', env: p.env }),
    timeoutMs: 180_000,
    stdin: true,
  });
}

async function hostOf(live: LiveRun): Promise<string> {
  await live.waitFor(/^ready on \S+$/m, 120_000);
  return /^ready on (\S+)$/m.exec(live.output())![1];
}

async function release(live: LiveRun): Promise<void> {
  live.write('go\n');
  const r = await live.done;
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stdout, /^released$/m);
  assert.doesNotMatch(r.output, /gocpu:/, 'nothing of ours on a call that waited or spread');
}

function traceLines(p: PoolEnv, re: RegExp): string[] {
  return fs.existsSync(p.trace) ? fs.readFileSync(p.trace, 'utf8').split('\n').filter((l) => re.test(l)) : [];
}

test('pool: the two test hosts share neither /tmp nor the gocpu user\'s home (gocpu keeps per-host state there)', () => {
  const token = `gocpu-e2e-pool-${process.pid}-${Date.now()}`;
  const ssh = (host: string, cmd: string) => execFileSync('ssh', ['-F', sshConfig, host, cmd], { encoding: 'utf8' }).trim();
  try {
    ssh(SECOND_ALIAS, `touch /tmp/${token} ~/${token}`);
    assert.equal(ssh(SECOND_ALIAS, `ls /tmp/${token} ~/${token} | wc -l`), '2');
    assert.equal(ssh(FIRST, `ls /tmp/${token} ~/${token} 2>/dev/null | wc -l`), '0');
    assert.equal(ssh(FIRST, 'hostname'), FIRST);
    assert.equal(ssh(SECOND_ALIAS, 'hostname'), SECOND_ALIAS);
  } finally {
    ssh(SECOND_ALIAS, `rm -f /tmp/${token} ~/${token}`);
  }
});

test('pool: four calls with four slots per host spread two and two over the two hosts', async () => {
  const p = poolEnv({ GOCPU_SLOTS: '4' });
  await where(p);
  const calls = [1, 2, 3, 4].map(() => holder(p));
  try {
    const hosts = await Promise.all(calls.map(hostOf));
    assert.deepEqual(hosts.sort(), [FIRST, FIRST, SECOND_ALIAS, SECOND_ALIAS]);
  } finally {
    await Promise.all(calls.map(release));
  }
  assert.equal(traceLines(p, / ms waiting for a slot$/).length, 0, 'four free slots each: nobody waited');
});

test('pool: with one slot per host (config file), a third call waits and then runs where a slot came free', async () => {
  const t = tempDir(undefined, 'gocpu-e2e-pool-config-');
  dirs.push(t.cleanup);
  const config = path.join(t.dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ hosts: { 'linux/arm64': [FIRST, SECOND_ALIAS] }, slots: { [FIRST]: 1, [SECOND_ALIAS]: 1 } }));
  // The hosts and slots come from the config file only.
  const p = poolEnv({ GOCPU_CONFIG: config, GOCPU_HOST_LINUX_ARM64: undefined, GOCPU_HOST: undefined, GOCPU_SLOTS: undefined });
  await where(p);
  const c1 = holder(p);
  const c2 = holder(p);
  const held = [c1, c2];
  try {
    const [h1, h2] = await Promise.all([hostOf(c1), hostOf(c2)]);
    assert.deepEqual([h1, h2].sort(), [FIRST, SECOND_ALIAS], 'one run per host');
    const c3 = holder(p);
    held.push(c3);
    await until('the third call waits for a slot', () => {
      assert.doesNotMatch(c3.output(), /ready/, 'the third call started while both slots were busy');
      return traceLines(p, / ms waiting for a slot$/).length === 1;
    }, 60_000);
    await release(c1);
    assert.equal(await hostOf(c3), h1, 'it runs where the slot came free');
    assert.ok(c2.exitedAt() === undefined, 'the other host\'s run is still going: one run per host');
  } finally {
    await Promise.all(held.map((c) => (c.exitedAt() === undefined ? release(c) : c.done.then(() => {}))));
  }
  assert.equal(traceLines(p, / ms waiting for a slot$/).length, 1, 'only the third call waited');
});

test('pool: a stopped host is skipped with one warning line, in the agent and in direct mode; a pool with no host left fails', async () => {
  const p = poolEnv({ GOCPU_HOST_LINUX_ARM64: `${SECOND_ALIAS},${FIRST}`, GOCPU_SLOTS: undefined });
  await downSecondHost();
  try {
    const first = await where(p);
    assert.equal(first.host, FIRST);
    assert.equal(first.ours.length, 1, first.ours.join('\n'));
    assert.match(first.ours[0], new RegExp(`^gocpu: local: warning: ${SECOND_ALIAS}: cannot connect to .*connection refused.*; skipping it for 30 s$`));

    const second = await where(p);
    assert.deepEqual(second, { host: FIRST, ours: [] }, 'within 30 s the stopped host is passed over silently');

    // Slots default to the host's core count, asked once.
    const nproc = execFileSync('ssh', ['-F', testHost().sshConfig, FIRST, 'nproc'], { encoding: 'utf8' }).trim();
    assert.deepEqual(
      traceLines(p, / slots \(/).map((l) => l.replace(/^\d+ [\d.]+ ms /, '')),
      [`${FIRST}: ${nproc} slots (nproc)`],
    );

    const direct = await where(p, { GOCPU_AGENT: '0' });
    assert.equal(direct.host, FIRST);
    assert.equal(direct.ours.length, 1, direct.ours.join('\n'));
    assert.match(direct.ours[0], new RegExp(`^gocpu: local: warning: ${SECOND_ALIAS}: cannot connect to .*connection refused.*; skipping it$`));

    for (const mode of ['1', '0']) {
      const r = await run(requireWrapper('arm64'), [fx.remote(), '-test.run=^TestWhere$'], {
        cwd: fx.cwd,
        env: goEnv({ goarch: 'arm64', env: { ...p.env, GOCPU_AGENT: mode, GOCPU_HOST_LINUX_ARM64: SECOND_ALIAS } }),
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 125, describeRun(r));
      const ours = r.output.split('\n').filter((l) => l.startsWith('gocpu:'));
      assert.equal(ours.length, 1, `GOCPU_AGENT=${mode}: ${describeRun(r)}`);
      assert.match(ours[0], /^gocpu: local: cannot connect to .*connection refused/, 'the last host\'s own error');
    }
  } finally {
    await upSecondHost();
  }
});
