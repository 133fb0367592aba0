/**
 * The agent's door (src/agent/door.ts, door-caller.ts; bin/gocpu's door()): a warm
 * call that starts no node in the wrapper. GOCPU_NODE=/bin/false proves it: the
 * launcher's node would fail the call at once, so a call that passes with it never
 * started one. Through the door: exact output and status, stdin, a first signal
 * passed to the test and a second one ending the wrapper; a stdout the door cannot
 * write exactly (a file opened without O_APPEND) goes node's way, and lands where
 * the file's offset was; one opened for appending takes the door. go's SIGKILL of the
 * wrapper and kill -9 of the agent end as they do over the socket (agent.test.ts). The
 * first and the signal cases run the launcher under each shell a /bin/sh may be too
 * (launcher-shells.ts): the door is sourced shell, run by whatever sh the laptop has.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRun, goEnv, randomToken, repoRoot, requireWrapper, run, tempDir } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { startRun } from './live-run.js';
import { agentScratch, processGone } from './agent-scratch.js';
import { LAUNCHER_SHELLS, LauncherShell, underShell } from './launcher-shells.js';
import { findRemoteRun, waitRemoteClean } from './remote-state.js';

const fx = fixtureBinaries('faults');
const { dirs, agentsLater, pidsIn } = agentScratch();
const NO_NODE = { GOCPU_NODE: '/bin/false' };

function doorEnv(): { dir: string; trace: string; env: NodeJS.ProcessEnv } {
  const t = tempDir(undefined, 'gocpu-e2e-door-');
  dirs.push(t.cleanup);
  const dir = path.join(t.dir, 'agent');
  const trace = path.join(t.dir, 'trace');
  const env = goEnv({ goarch: 'arm64', env: { GOCPU_AGENT_DIR: dir, GOCPU_TRACE_FILE: trace, GOCPU_AGENT_LOG: path.join(t.dir, 'log') } });
  return { dir, trace, env };
}

function traceLines(trace: string, end: string): number {
  return fs.existsSync(trace) ? fs.readFileSync(trace, 'utf8').split('\n').filter((l) => l.endsWith(end)).length : 0;
}
const doorCalls = (trace: string) => traceLines(trace, ' ms it came through the door (no node in the wrapper)');
/** Calls whose own node ran (its trace line counts from the launcher's start: trace.ts). */
const nodeCalls = (trace: string) => traceLines(trace, ' ms node running (the wrapper\'s own node: the call did not go through the door)');

/** A wrapper call with pipes as go gives them (pipes.ts); run by its #!, or under shell. */
function viaPipes(args: string[], env: NodeJS.ProcessEnv, stdin = false, shell?: LauncherShell) {
  const argv = [fx.remote(), ...args];
  const [cmd, cmdArgs] = shell ? underShell(shell, requireWrapper('arm64'), argv) : [requireWrapper('arm64'), argv];
  return startRun(cmd, cmdArgs, { cwd: fx.cwd, env, timeoutMs: 120_000, stdin });
}

/** The launcher as #! runs it (dash here), and under the other shells a /bin/sh may be. */
const SHELLS: readonly (LauncherShell | undefined)[] = [undefined, ...LAUNCHER_SHELLS];
const under = (shell: LauncherShell | undefined) => (shell ? ` (launcher run by ${shell.name})` : '');

/**
 * The first call starts the agent (a cold call through the door); its pid for the cleanup.
 * Its trace goes, so that the test's counts of door and node calls are its own calls'.
 */
async function warm(a: ReturnType<typeof doorEnv>): Promise<void> {
  const r = await run(requireWrapper('arm64'), [fx.remote(), '-test.run=^TestPass$'], { cwd: fx.cwd, env: a.env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, describeRun(r));
  pidsIn(a.dir);
  fs.rmSync(a.trace, { force: true });
}

for (const shell of SHELLS) test(`door: a warm call starts no node, and its output and status are direct mode's${under(shell)}`, async () => {
  const a = doorEnv();
  await warm(a);
  for (const args of [['-test.v=true', '-test.run=^TestPass$'], ['-test.run=^TestSleep$'], ['-test.run=^TestNone$']]) {
    const env = { ...a.env, FX_SLEEP_SECONDS: '0' };
    const door = await viaPipes(args, { ...env, ...NO_NODE }, false, shell).done;
    const direct = await run(requireWrapper('arm64'), [fx.remote(), ...args], { cwd: fx.cwd, env: { ...env, GOCPU_AGENT: '0' }, timeoutMs: 120_000 });
    const norm = (s: string) => s.replace(/\(\d+\.\d+s\)/g, '(T)').replace(/\t\d+\.\d+s/g, '\tT');
    assert.equal(door.code, direct.code, `${args}: ${describeRun(door)}`);
    assert.equal(norm(door.stdout), norm(direct.stdout), `${args}: stdout`);
    assert.equal(norm(door.stderr), norm(direct.stderr), `${args}: stderr`);
  }
  assert.equal(doorCalls(a.trace), 3);
});

test('door: stdout a file opened without O_APPEND goes node\'s way and lands at its offset; opened for appending, it takes the door', async () => {
  const a = doorEnv();
  await warm(a);
  const t = tempDir(undefined, 'gocpu-e2e-door-out-');
  dirs.push(t.cleanup);
  const out = path.join(t.dir, 'out');
  const wrapper = requireWrapper('arm64');
  const call = (redirect: '>' | '>>') =>
    spawnSync('sh', ['-c', `printf 'before\\n' >"$1"; { printf 'held\\n'; "$0" "$2" -test.v=true -test.run=^TestPass$; printf 'after\\n'; } ${redirect}"$1" 2>&1`, wrapper, out, fx.remote()], { cwd: fx.cwd, env: a.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // ">": one description, shared offset: node's way writes through it.
  const warmNodes = nodeCalls(a.trace);
  let r = call('>');
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(out, 'utf8'), /^held\n=== RUN {3}TestPass\npassing\n--- PASS: TestPass \(\d+\.\d+s\)\nPASS\nafter\n$/);
  assert.equal(doorCalls(a.trace), 0, 'not through the door');
  const nodes = nodeCalls(a.trace);
  assert.equal(nodes, warmNodes + 1, 'the trace says when the wrapper\'s own node ran');
  r = call('>>');
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(out, 'utf8'), /^before\nheld\n=== RUN {3}TestPass\npassing\n--- PASS: TestPass \(\d+\.\d+s\)\nPASS\nafter\n$/);
  assert.equal(doorCalls(a.trace), 1, 'through the door');
  assert.equal(nodeCalls(a.trace), nodes, 'no node of its own');
});

for (const shell of SHELLS) test(`door: stdin reaches the test, a first SIGINT is the test's, a second ends the wrapper${under(shell)}`, async () => {
  const a = doorEnv();
  await warm(a);
  const env = { ...a.env, ...NO_NODE };
  const fed = viaPipes(['-test.v=true', '-test.run=^TestWaitStdin$'], env, true, shell);
  await fed.waitFor(/^ready/m, 60_000);
  fed.write('go on\n');
  let r = await fed.done;
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stdout, /released by "go on\\n"/);

  const notified = viaPipes(['-test.v=true', '-test.run=^TestNotify$'], env, false, shell);
  await notified.waitFor(/^ready/m, 60_000);
  notified.signal('SIGINT');
  r = await notified.done;
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stdout, /^got interrupt$/m);

  const ignoring = viaPipes(['-test.v=true', '-test.run=^TestIgnoreInterrupt$'], env, false, shell);
  await ignoring.waitFor(/^ready/m, 60_000);
  ignoring.signal('SIGINT');
  await ignoring.waitFor(/^got interrupt, going on$/m, 30_000);
  ignoring.signal('SIGINT');
  r = await ignoring.done;
  assert.equal(r.signal, 'SIGINT', describeRun(r));
  assert.equal(doorCalls(a.trace), 3);
});

test('door: go\'s SIGKILL of the wrapper ends the remote test, and the agent lives on', async () => {
  const a = doorEnv();
  await warm(a);
  const marker = `gocpu-e2e-door-${randomToken()}`;
  const live = viaPipes(['-test.v=true', '-test.run=^TestSleepChild$', marker], { ...a.env, ...NO_NODE, FX_MARKER: marker });
  await live.waitFor(/^ready/m, 60_000);
  const run = await findRemoteRun(marker);
  live.signal('SIGKILL');
  const r = await live.done;
  assert.equal(r.signal, 'SIGKILL', describeRun(r));
  const left = await waitRemoteClean(run, Date.now() + 10_000, true);
  assert.deepEqual(left, [], 'the test and what it started are gone within 10 s');
  assert.equal(doorCalls(a.trace), 1);
  const after = await viaPipes(['-test.run=^TestPass$'], { ...a.env, ...NO_NODE }).done;
  assert.equal(after.code, 0, describeRun(after));
});

test('door: kill -9 of the agent mid-run fails the run with one line, and the next call works', async () => {
  const a = doorEnv();
  await warm(a);
  const marker = `gocpu-e2e-door-${randomToken()}`;
  const live = viaPipes(['-test.v=true', '-test.run=^TestSleep$', marker], { ...a.env, ...NO_NODE, FX_MARKER: marker });
  await live.waitFor(/^ready/m, 60_000);
  const run = await findRemoteRun(marker);
  const [pid] = pidsIn(a.dir);
  process.kill(pid, 'SIGKILL');
  const r = await live.done;
  assert.equal(r.code, 125, describeRun(r));
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('gocpu:')), ['gocpu: local: the gocpu agent ended while the test ran, so its result is lost (run the test again; GOCPU_AGENT=0 runs without the agent)']);
  assert.deepEqual(await waitRemoteClean(run, Date.now() + 10_000), [], 'nothing of the run is left on the host');
  // Its door is stale (its owner is dead): the next call is a cold one, through the door,
  // and starts one node, the new agent.
  const n = loggingNode(false);
  const before = doorCalls(a.trace);
  const next = await viaPipes(['-test.run=^TestPass$'], { ...a.env, GOCPU_NODE: n.node }).done;
  assert.equal(next.code, 0, describeRun(next));
  assert.doesNotMatch(next.stderr, /^gocpu:/m);
  assert.deepEqual(n.started(), ['agent/main.js']);
  assert.equal(doorCalls(a.trace), before + 1);
});

/** A GOCPU_NODE that records what each node it starts runs (its pid and script), and fails the agent's when told. */
function loggingNode(failAgent: boolean): { node: string; started: () => string[] } {
  const t = tempDir(undefined, 'gocpu-e2e-door-node-');
  dirs.push(t.cleanup);
  const log = path.join(t.dir, 'started');
  const node = path.join(t.dir, 'node');
  const fail = failAgent ? 'case $1 in */agent/main.js) exit 1 ;; esac\n' : '';
  fs.writeFileSync(node, `#!/bin/sh\nprintf '%s %s\\n' "$$" "\${1##*/dist/bundle/}" >>'${log}'\n${fail}exec '${process.execPath}' "$@"\n`, { mode: 0o755 });
  const lines = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []).map((l) => l.split(' '));
  // exec keeps the pid: the agents it started are killed after the file, however their tests ended.
  agentsLater.push(() => lines().filter(([, s]) => s === 'agent/main.js').map(([pid]) => Number(pid)));
  return { node, started: () => lines().map(([, s]) => s) };
}

test('door: a cold call starts one node, the agent, and takes the door; the next call starts none', async () => {
  const a = doorEnv();
  const n = loggingNode(false);
  const env = { ...a.env, GOCPU_NODE: n.node };
  let r = await viaPipes(['-test.v=true', '-test.run=^TestPass$'], env).done;
  pidsIn(a.dir);
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stdout, /^--- PASS: TestPass /m);
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('gocpu:')), [], describeRun(r));
  assert.deepEqual(n.started(), ['agent/main.js'], 'no node for the wrapper');
  assert.equal(doorCalls(a.trace), 1);
  r = await viaPipes(['-test.run=^TestPass$'], env).done;
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual(n.started(), ['agent/main.js'], 'the warm call started no node');
  assert.equal(doorCalls(a.trace), 2);
});

test('door: an agent that cannot start means direct mode with one warning line', async () => {
  const a = doorEnv();
  const n = loggingNode(true);
  const env = { ...a.env, GOCPU_NODE: n.node };
  const door = await viaPipes(['-test.v=true', '-test.run=^TestPass$'], env).done;
  const direct = await run(requireWrapper('arm64'), [fx.remote(), '-test.v=true', '-test.run=^TestPass$'], { cwd: fx.cwd, env: { ...a.env, GOCPU_AGENT: '0' }, timeoutMs: 120_000 });
  assert.equal(door.code, 0, describeRun(door));
  assert.equal(door.code, direct.code);
  const norm = (s: string) => s.replace(/\(\d+\.\d+s\)/g, '(T)').replace(/\t\d+\.\d+s/g, '\tT');
  assert.equal(norm(door.stdout), norm(direct.stdout));
  assert.deepEqual(door.stderr.split('\n').filter((l) => l.startsWith('gocpu:')), ['gocpu: local: warning: could not start the gocpu agent (it exited without a word); running directly']);
  // The launcher's start, then node for the wrapper in direct mode (which starts no agent again).
  assert.deepEqual(n.started(), ['agent/main.js', 'cli/entry.js']);
  assert.equal(doorCalls(a.trace), 0);
});

test('door: with GOCPU_AGENT_IDLE=0 an agent started for a call still takes it, and no call starts a node of its own', async () => {
  const a = doorEnv();
  const n = loggingNode(false);
  const env = { ...a.env, GOCPU_NODE: n.node, GOCPU_AGENT_IDLE: '0' };
  for (let i = 0; i < 3; i++) {
    const r = await viaPipes(['-test.run=^TestPass$'], env).done;
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('gocpu:')), [], describeRun(r));
  }
  // Each call's agent leaves right after it (or the next call keeps it): agents only.
  assert.ok(n.started().length >= 1 && n.started().every((s) => s === 'agent/main.js'), n.started().join(' '));
  assert.equal(doorCalls(a.trace), 3);
});

test('door: a launcher that opened the door as its agent went idle is served, not lost', async () => {
  // The launcher opens the door, then makes its fifos, then knocks. A mkfifo of ours on its
  // PATH holds it there until the agent has hidden its door to leave: the agent must wait
  // for the knock (door.ts's drain) rather than close its end under it (stop 19's CI failure:
  // "did not answer within 3 s", or node's way).
  const a = doorEnv();
  const env: NodeJS.ProcessEnv = { ...a.env, GOCPU_AGENT_IDLE: '3' };
  await warm({ ...a, env });
  const t = tempDir(undefined, 'gocpu-e2e-door-held-');
  dirs.push(t.cleanup);
  const mark = path.join(t.dir, 'mark');
  const realMkfifo = spawnSync('sh', ['-c', 'command -v mkfifo'], { encoding: 'utf8' }).stdout.trim();
  fs.writeFileSync(
    path.join(t.dir, 'mkfifo'),
    `#!/bin/sh
case "$*" in
*/c[0-9]*.d*)
	i=0
	until grep -q 'idle: hiding the door' '${env.GOCPU_AGENT_LOG}' 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 600 ] || { echo 'no hide within 30 s' >'${mark}'; exec '${realMkfifo}' "$@"; }
		sleep 0.05
	done
	echo held >'${mark}'
	;;
esac
exec '${realMkfifo}' "$@"
`,
    { mode: 0o755 },
  );
  const before = doorCalls(a.trace);
  const r = await viaPipes(['-test.run=^TestPass$'], { ...env, ...NO_NODE, PATH: `${t.dir}:${env.PATH}` }).done;
  assert.equal(fs.readFileSync(mark, 'utf8'), 'held\n', 'the launcher was held until the agent hid its door');
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('gocpu:')), [], describeRun(r));
  assert.equal(doorCalls(a.trace), before + 1, 'through the door');
  assert.match(fs.readFileSync(env.GOCPU_AGENT_LOG!, 'utf8'), /a call came as the agent was leaving: it stays/);
});

/**
 * A stand-in agent of this build at a's door: it takes one knock, says "a" (accepted) and
 * exits, as an agent killed right after accepting would; with accept false, it exits
 * without a word, as one killed between the knock and its answer. Returns its .owner path.
 */
function dyingAgent(a: ReturnType<typeof doorEnv>, accept = true): string {
  fs.mkdirSync(a.dir, { recursive: true, mode: 0o700 });
  const door = path.join(a.dir, `door-${fs.readFileSync(path.join(repoRoot, 'dist/bundle/build-id'), 'latin1').trim()}`);
  const sh = spawnSync(
    'sh',
    [
      '-c',
      // In the background, in a session of its own: it waits for the knock after we return.
      `mkfifo -m 600 "$1" && (exec 3<>"$1"; read -r pid _ <&3; ${accept ? `printf 'a\\n' >"$2/c$pid.d"` : ':'}) </dev/null >/dev/null 2>&1 &
       echo "$! $3" >"$1.owner"`,
      'sh',
      door,
      a.dir,
      fs.realpathSync(repoRoot),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(sh.status, 0, sh.stderr);
  return `${door}.owner`;
}

/**
 * A call at a stand-in agent that dies after the knock (dyingAgent): it passes in direct
 * mode (node for direct mode only: the launcher said so, and it starts no agent), with
 * exactly the warning line given.
 */
async function directAfterDyingAgent(accept: boolean, warning: string): Promise<void> {
  const a = doorEnv();
  const owner = dyingAgent(a, accept);
  const n = loggingNode(false);
  const r = await viaPipes(['-test.v=true', '-test.run=^TestPass$'], { ...a.env, GOCPU_NODE: n.node }).done;
  assert.equal(r.code, 0, describeRun(r));
  assert.match(r.stdout, /^--- PASS: TestPass /m);
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('gocpu:')), [`gocpu: local: warning: ${warning}; running directly`]);
  assert.deepEqual(n.started(), ['cli/entry.js']);
  assert.equal(doorCalls(a.trace), 0);
  const standIn = Number(fs.readFileSync(owner, 'utf8').split(' ')[0]);
  assert.ok(processGone(standIn), 'the stand-in took the knock and is gone');
}

// Not "did not answer within 3 s": the launcher saw it die.
test('door: an agent gone between the knock and its answer means direct mode with one warning line that says so, not a wait for the timer', () =>
  directAfterDyingAgent(false, 'the gocpu agent went away before it answered'));

test('door: an agent gone after accepting, before the test started, means direct mode with one warning line', () =>
  directAfterDyingAgent(true, 'the gocpu agent went away before the test started'));
