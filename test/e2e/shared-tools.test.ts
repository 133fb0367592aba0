/**
 * What the remote's setsid and unshare can do is asked once per agent connection, by
 * the mount half of its shared mount (RUN_FILES.tools), not by every run: each run read
 * their help texts, a fork and an exec each on a warm call's way to the test (issue 8,
 * "a cheap warm path"). The file is checked against the host's own answer, and each run
 * must go by it: a run after the file says "no" enters the view the way an old
 * util-linux makes it (run.sh execs nsenter; the test stays root of the view), which
 * shows that no run asked the tools again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRun, goEnv, randomToken, requireWrapper, run, fixtureDir, tempDir, type RunResult } from './harness.js';
import { fixtureBinaries } from './fixture-binaries.js';
import { startRun } from './live-run.js';
import { connectionPort, describeProc, findRemoteRun, remoteShell, sharedMountDirs } from './remote-state.js';
import { agentScratch } from './agent-scratch.js';
import { renderPrelude } from '../../src/remote/contract.js';
import { asUser, requireRoot, unprivileged } from './unprivileged.js';

const fx = fixtureBinaries('faults');
const { dirs, pidsIn } = agentScratch();

// The host's own answers, asked by the prelude's probes in a login shell of their own.
const HOST_TOOLS = `${renderPrelude()}
s=0 u=0
gocpu_setsid_fork && s=1
gocpu_unshare_map_user && u=1
echo "$s $u"`;

/** The one shared mount dir of the agent whose pid file is in `agentDir`. */
async function sharedDirOf(agentDir: string): Promise<string> {
  const pids = pidsIn(agentDir);
  assert.equal(pids.length, 1, `one agent in ${agentDir}`);
  const shared = await sharedMountDirs(await connectionPort(pids[0]));
  assert.equal(shared.length, 1, `one shared mount on agent ${pids[0]}'s connection: ${shared.join(' ')}`);
  return shared[0];
}

/** A run of TestWaitStdin through the agent, held until `body` has looked at it on the host. */
async function heldRun(env: NodeJS.ProcessEnv, body: (procs: string[]) => Promise<void>): Promise<RunResult> {
  const marker = `gocpu-e2e-tools-${randomToken()}`;
  const live = startRun(requireWrapper('arm64'), [fx.remote(), '-test.v=true', '-test.run=^TestWaitStdin$', marker], { cwd: fx.cwd, env, timeoutMs: 120_000, stdin: true });
  try {
    await live.waitFor(/^ready/m, 60_000);
    const r = await findRemoteRun(marker);
    await body(r.procs.map(describeProc));
  } finally {
    live.write('go on\n');
  }
  return live.done;
}

test('the agent\'s shared mount asks setsid once: its tools file has the host\'s answer, and a run goes by the file', async () => {
  const t = tempDir(undefined, 'gocpu-e2e-tools-');
  dirs.push(t.cleanup);
  const agentDir = path.join(t.dir, 'agent');
  const trace = path.join(t.dir, 'trace');
  const env = goEnv({ goarch: 'arm64', env: { GOCPU_AGENT_DIR: agentDir, GOCPU_TRACE_FILE: trace } });
  let dir = '';
  const first = await heldRun(env, async (procs) => {
    dir = await sharedDirOf(agentDir);
    const host = (await remoteShell('ssh', HOST_TOOLS)).trim();
    assert.equal(host, '1 1', 'the test host\'s util-linux has setsid --fork --wait and unshare --map-user --root (else this test shows nothing)');
    assert.equal((await remoteShell('ssh', `cat ${dir}/tools`)).trim(), host);
    assert.ok(procs.some((p) => /: setsid -f -w nsenter /.test(p)), `the test below setsid -f -w:\n${procs.join('\n')}`);
    // As a host whose setsid has no --fork --wait would have answered.
    await remoteShell('ssh', `echo '0 1' >${dir}/tools`);
  });
  assert.equal(first.code, 0, describeRun(first));
  const second = await heldRun(env, async (procs) => {
    assert.equal(await sharedDirOf(agentDir), dir, 'the same shared mount');
    assert.ok(!procs.some((p) => /: setsid -f -w /.test(p)), `no setsid -f -w:\n${procs.join('\n')}`);
    assert.ok(procs.some((p) => /: nsenter --target \d+ /.test(p)), `run.sh became nsenter:\n${procs.join('\n')}`);
  });
  assert.equal(second.code, 0, describeRun(second));
  assert.match(second.stdout, /released by "go on\\n"/);
  assert.equal(fs.readFileSync(trace, 'utf8').split('\n').filter((l) => / ms connection reused$/.test(l)).length, 1, 'the second run on the first one\'s connection');
});

test('as a local user who is not root: the shared mount asks unshare once, and a run goes by its tools file', async (t) => {
  requireRoot('starting go as nobody');
  const u = unprivileged();
  t.after(u.cleanup);
  const ids = async () => {
    const r = await run('setpriv', asUser(u, ['go', 'test', '-count=1', '-v', '-run=^TestIDs$', '.']), { cwd: fixtureDir('uid'), env: u.env(true), timeoutMs: 180_000 });
    assert.equal(r.code, 0, describeRun(r));
    const m = /^ids: uid=(\d+) gid=(\d+)$/m.exec(r.stdout);
    assert.ok(m, describeRun(r));
    return Number(m[1]);
  };
  const remoteUid = Number((await remoteShell('ssh', 'id -u')).trim());
  assert.equal(await ids(), remoteUid, 'the remote user, as unshare --map-user makes it');
  const dir = await sharedDirOf(path.join(u.dir, 'agent'));
  assert.equal((await remoteShell('ssh', `cat ${dir}/tools`)).trim(), (await remoteShell('ssh', HOST_TOOLS)).trim());
  // As a host whose unshare has no --map-user would have answered: root of the view, as before issue 10.
  await remoteShell('ssh', `echo '1 0' >${dir}/tools`);
  assert.equal(await ids(), 0);
  assert.equal(await sharedDirOf(path.join(u.dir, 'agent')), dir, 'the same shared mount');
});
