/**
 * Issue 8's cold start: `go test -p N ./...` starts N wrappers at once and no agent
 * runs yet. Each may start an agent; exactly one of them may serve (the lock in
 * src/agent/agent-lock.ts), and every wrapper reaches that one: no warning, one
 * agent's pid in every trace line, one pid file and one socket, one ssh connection.
 * The same after kill -9 of the agent: its stale socket, pid file and lock are
 * replaced by one new agent, not by one per wrapper.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunResult, describeRun, goEnv, requireWrapper, run, tempDir } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { agentScratch, processGone } from './agent-scratch.js';
import { until } from './until.js';

const fx = fixtureBinaries('faults');
const { dirs, agents } = agentScratch();
const WRAPPERS = 6;

function agentEnv(): { dir: string; trace: string; env: Record<string, string> } {
  const t = tempDir(undefined, 'gocpu-e2e-agent-cold-');
  dirs.push(t.cleanup);
  const dir = path.join(t.dir, 'agent');
  const trace = path.join(t.dir, 'trace');
  // Two slots: the six runs take turns on one connection (RUNS_PER_CONNECTION is 2),
  // so one agent opens exactly one; a second agent would open one of its own.
  return { dir, trace, env: { GOCPU_AGENT_DIR: dir, GOCPU_TRACE_FILE: trace, GOCPU_AGENT_LOG: path.join(t.dir, 'log'), GOCPU_SLOTS: '2' } };
}

/** All wrappers spawned in one go, as go test -p N starts them. */
async function coldStart(a: ReturnType<typeof agentEnv>): Promise<RunResult[]> {
  const env = goEnv({ goarch: 'arm64', env: a.env });
  const wrapper = requireWrapper('arm64');
  const runs: Promise<RunResult>[] = [];
  for (let i = 0; i < WRAPPERS; i++) runs.push(run(wrapper, [fx.remote(), '-test.v=true', '-test.run=^TestPass$'], { cwd: fx.cwd, env, timeoutMs: 120_000 }));
  return Promise.all(runs);
}

function files(dir: string, ext: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith(ext));
}

/** Every run passed, silently, through one agent that opened one connection: its pid. */
function assertOneAgent(a: ReturnType<typeof agentEnv>, results: RunResult[]): number {
  const pids = files(a.dir, '.pid').map((f) => Number(fs.readFileSync(path.join(a.dir, f), 'utf8')));
  agents.push(...pids);
  for (const r of results) {
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^--- PASS: TestPass/m, describeRun(r));
    assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('gocpu:')), [], describeRun(r));
  }
  const lines = fs.readFileSync(a.trace, 'utf8').split('\n');
  const log = () => `${lines.join('\n')}\n--- agent log:\n${fs.existsSync(path.join(a.dir, '..', 'log')) ? fs.readFileSync(path.join(a.dir, '..', 'log'), 'utf8') : ''}`;
  const served = new Set(lines.flatMap((l) => / agent (\d+): request read$/.exec(l)?.[1] ?? []));
  assert.equal(served.size, 1, `one agent served every call:\n${log()}`);
  assert.equal(lines.filter((l) => / agent \d+: request read$/.test(l)).length, WRAPPERS, log());
  assert.equal(lines.filter((l) => / ms connected$/.test(l)).length, 1, `one ssh connection:\n${log()}`);
  assert.equal(lines.filter((l) => / ms connection reused$/.test(l)).length, WRAPPERS - 1, log());
  // Nothing else: no second socket or pid file, no lock a breaker left, no half-made name;
  // and one door (src/agent/door.ts), whose owner file names the agent too.
  const names = fs.readdirSync(a.dir).sort();
  assert.deepEqual(names.map((f) => path.extname(f)), ['.lock', '.pid', '.sock', '', '.owner'], names.join(' '));
  const [pid] = served;
  assert.equal(pids[0], Number(pid), 'the pid file names the agent that served');
  assert.match(fs.readlinkSync(path.join(a.dir, names[0])), new RegExp(`^${pid} `), 'the lock names it too');
  assert.match(names[3], /^door-[0-9a-f]+$/);
  assert.match(fs.readFileSync(path.join(a.dir, names[4]), 'utf8'), new RegExp(`^${pid} `), 'the door is its');
  return pids[0];
}

test(`agent: ${WRAPPERS} wrappers started at once with no agent reach one agent, which opens one connection`, async () => {
  const a = agentEnv();
  assertOneAgent(a, await coldStart(a));
});

test(`agent: after kill -9 of the agent, ${WRAPPERS} wrappers at once replace its stale socket with one new agent`, async () => {
  const a = agentEnv();
  const old = assertOneAgent(a, await coldStart(a));
  process.kill(old, 'SIGKILL');
  // Dead, not dying: a launcher that looks while its exit is under way sees it alive, knocks
  // at its door and runs directly after 3 s with one warning line (door.sh), as promised for
  // an agent that dies before a call starts; this test is about the state it leaves.
  await until(`agent ${old} gone after kill -9`, () => processGone(old), 10_000);
  fs.rmSync(a.trace);
  const next = assertOneAgent(a, await coldStart(a));
  assert.notEqual(next, old);
});
