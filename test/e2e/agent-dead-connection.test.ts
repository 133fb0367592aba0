/**
 * Issue 8, a warm connection that died while idle: the agent's next run on it must
 * not fail. The remote sshd of the agent's connection is SIGKILLed between two
 * calls, once plainly (the agent may hear the FIN before the next call) and once
 * with the link cut meanwhile, so that the agent finds out only when it uses the
 * connection (the host answers with a reset), and once with the link still cut
 * when the next call comes: it finds the connection dead (keepalives unanswered;
 * short ones, from an ssh config of its own) before its test started. Every time
 * the next call passes on a fresh connection of the same agent and says nothing
 * (a retry that changes nothing the user sees is the agent's business: its log).
 * Every test has an agent directory of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRun, goTest, repoRoot, tempDir, testHost } from './harness.js';
import { connectionPort, cutLink, healLink, killSshdSession } from './remote-state.js';
import { agentScratch } from './agent-scratch.js';

const cache = path.join(repoRoot, 'test', 'fixtures', 'cache');
const { dirs, pidsIn } = agentScratch();

function agentEnv(): { dir: string; trace: string; log: string; tmp: string; env: Record<string, string> } {
  const t = tempDir(undefined, 'gocpu-e2e-agent-dead-');
  dirs.push(t.cleanup);
  const dir = path.join(t.dir, 'agent');
  const trace = path.join(t.dir, 'trace');
  const log = path.join(t.dir, 'log');
  return { dir, trace, log, tmp: t.dir, env: { GOCPU_AGENT_DIR: dir, GOCPU_TRACE_FILE: trace, GOCPU_AGENT_LOG: log } };
}

function agentPid(dir: string): number {
  const pids = pidsIn(dir);
  assert.equal(pids.length, 1, `one agent: ${pids.join(' ')}`);
  return pids[0];
}

/** -v: go shows a passing test binary's output (the wrapper's lines included) only then. */
async function passes(env: Record<string, string>): Promise<string> {
  const r = await goTest({ args: ['-count=1', '-v', '.'], cwd: cache, goarch: 'arm64', env });
  assert.equal(r.code, 0, describeRun(r));
  return r.output;
}

/** The next call passes, silently, on a fresh connection; whether the agent found the old one dead in a run (and retried it). */
async function nextCallPasses(a: ReturnType<typeof agentEnv>, pid: number): Promise<boolean> {
  const out = await passes(a.env);
  assert.doesNotMatch(out, /^gocpu:/m, 'the dead connection is not the user\'s business');
  assert.equal(agentPid(a.dir), pid, 'the same agent served the call');
  const connected = fs.readFileSync(a.trace, 'utf8').split('\n').filter((l) => / ms connected$/.test(l));
  assert.equal(connected.length, 2, 'the second call opened a fresh connection');
  return /dead connection .* dropped/.test(fs.readFileSync(a.log, 'utf8'));
}

test('agent: a warm connection whose sshd was killed while idle; the next call passes on a fresh one', async (t) => {
  const a = agentEnv();
  await passes(a.env);
  const pid = agentPid(a.dir);
  const port = await connectionPort(pid);
  await killSshdSession(port);
  // Whether the agent heard of it first (the FIN, an error) or found out in the run is a race here.
  t.diagnostic((await nextCallPasses(a, pid)) ? 'found dead by the run, which was retried' : 'the agent heard of it before the run');
});

test('agent: a warm connection whose sshd was killed behind a cut link, healed before the next call; that call passes on a fresh one', async (t) => {
  const a = agentEnv();
  await passes(a.env);
  const pid = agentPid(a.dir);
  const port = await connectionPort(pid);
  // Cut first: the FIN of the killed sshd never arrives, so the agent still takes the
  // connection for live; once healed, its first packet on it gets a reset.
  await cutLink(port, 0);
  try {
    await killSshdSession(port);
  } finally {
    await healLink(port);
  }
  // Whether the agent heard of it first (the FIN, an error) or found out in the run is a race here.
  t.diagnostic((await nextCallPasses(a, pid)) ? 'found dead by the run, which was retried' : 'the agent heard of it before the run');
});

test('agent: a warm connection whose link is still cut when the next call comes; that call passes on a fresh one', async () => {
  const sshConfig = testHost().env.GOCPU_SSH_CONFIG!;
  const a = agentEnv();
  // Keepalives every 3 s, three unanswered mean dead (the first value given wins): the
  // next call must lease the connection before the agent's keepalives find it dead by
  // themselves (9 to 12 s after the cut), and go test's start takes seconds on a busy
  // machine (with 1 s and 2 it lost that race under load); the run's own wait is the same.
  const own = path.join(a.tmp, 'ssh_config');
  fs.writeFileSync(own, `Host *\n  ServerAliveInterval 3\n  ServerAliveCountMax 3\n${fs.readFileSync(sshConfig, 'utf8')}`);
  a.env.GOCPU_SSH_CONFIG = own;
  await passes(a.env);
  const pid = agentPid(a.dir);
  const port = await connectionPort(pid);
  await cutLink(port, 0);
  try {
    await killSshdSession(port);
    assert.ok(await nextCallPasses(a, pid), 'the run found the connection dead and was retried');
  } finally {
    await healLink(port);
  }
});
