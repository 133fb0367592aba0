/**
 * gocpu at a real terminal (issue 9), driven through tmux: a remote pty of the
 * window's size with our TERM, every key to the remote program (^C interrupts it,
 * not gocpu), window changes passed on, and the local terminal exactly as it was
 * (`stty -a`) after every way out: normal exit, the remote program killed by a
 * signal, SIGTERM and SIGHUP to gocpu, a cut link. Each test waits for what it
 * expects on the screen, never for time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, goEnv, randomToken, testHost } from './harness.js';
import { connectionPort, cutLink, healLink } from './remote-state.js';
import { sttyModes, Tmux } from './tmux.js';

const gocpu = path.join(binDir, 'gocpu');
const START_MS = 60_000;
/** A remote command that says it is ready (the shell computes 42, so the echoed command line does not match). */
const READY = /^ready-42$/m;
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function term(): Tmux {
  testHost();
  return new Tmux(goEnv({ goarch: 'arm64' }));
}

/** gocpu -host=H ARGS, as typed at the prompt, through `sh -c 'echo $$ >pid; exec ...'` so that its pid is known. */
function gocpuLine(args: string[]): string {
  return `sh -c 'echo $$ >pid; exec "$0" "$@"' ${[gocpu, `-host=${testHost().host}`, ...args].map(sq).join(' ')}`;
}

function assertRestored(e: { before: string; after: string }, what: string, sizeChanged = false): void {
  const [b, a] = sizeChanged ? [sttyModes(e.before), sttyModes(e.after)] : [e.before, e.after];
  assert.equal(a, b, `${what}: the local terminal differs after gocpu (stty -a)`);
  assert.match(e.before, /\bicanon\b/, 'the pane started in cooked mode');
}

test('no command: the login shell on a pty of the window size and TERM; typed input reaches it; its exit status comes back', { timeout: 120_000 }, async () => {
  const t = term();
  try {
    const token = randomToken();
    t.start(gocpuLine([]));
    t.type('echo ready-$((6*7))');
    t.keys('Enter');
    await t.waitFor(READY, START_MS);
    t.type('tty; stty size; echo "term=$TERM"; read line; echo "got:$line"; exit 7');
    t.keys('Enter');
    await t.waitFor(/^term=/m, 30_000);
    t.type(`typed-${token}`);
    t.keys('Enter');
    await t.waitFor(new RegExp(`^got:typed-${token}$`, 'm'), 30_000);
    const e = await t.ended(30_000);
    const screen = t.screen();
    assert.equal(e.rc, 7, screen);
    assert.match(screen, /^\/dev\/pts\/\d+$/m, 'tty names a pty');
    assert.match(screen, new RegExp(`^${t.rows} ${t.cols}$`, 'm'), 'stty size is the window');
    const localTerm = execFileSync('tmux', ['-f', '/dev/null', 'start-server', ';', 'show-options', '-gv', 'default-terminal'], { encoding: 'utf8' }).trim();
    assert.match(screen, new RegExp(`^term=${localTerm}$`, 'm'), 'TERM is the local one');
    assert.doesNotMatch(screen, /gocpu-[0-9a-f]{24}|gocpu_env|export /, 'no header or control line on the terminal');
    assertRestored(e, 'normal exit');
  } finally {
    t.close();
  }
});

test('^C interrupts the remote program, not gocpu; a second ^C kills it and gocpu says so (130)', { timeout: 120_000 }, async () => {
  const t = term();
  try {
    t.start(gocpuLine(['sh', '-c', 'trap "echo caught-INT; trap - INT" INT; echo ready-$((6*7)); while :; do sleep 1; done']));
    await t.waitFor(READY, START_MS);
    t.keys('C-c');
    // The remote pty echoes ^C (echoctl) just before the trap speaks.
    await t.waitFor(/caught-INT$/m, 30_000);
    t.keys('C-c');
    const e = await t.ended(30_000);
    assert.equal(e.rc, 130, t.screen());
    assertRestored(e, 'remote program killed by ^C');
  } finally {
    t.close();
  }
});

test('a window change reaches the remote program (SIGWINCH, new size)', { timeout: 120_000 }, async () => {
  const t = term();
  try {
    t.start(gocpuLine(['sh', '-c', 'trap "stty size" WINCH; stty size; echo ready-$((6*7)); while :; do sleep 1; done']));
    await t.waitFor(READY, START_MS);
    assert.match(t.screen(), new RegExp(`^${t.rows} ${t.cols}$`, 'm'));
    t.resize(120, 40);
    await t.waitFor(/^40 120$/m, 30_000);
    t.keys('C-c');
    const e = await t.ended(30_000);
    assert.equal(e.rc, 130, t.screen());
    assertRestored(e, 'after a resize', true);
  } finally {
    t.close();
  }
});

test('the remote program killed by a signal: the terminal is restored, the status is 128+N', { timeout: 120_000 }, async () => {
  const t = term();
  try {
    t.start(gocpuLine(['sh', '-c', 'echo ready-$((6*7)); kill -KILL $$']));
    const e = await t.ended(START_MS);
    assert.match(t.screen(), READY);
    assert.equal(e.rc, 137, t.screen());
    assertRestored(e, 'remote death by SIGKILL');
  } finally {
    t.close();
  }
});

for (const [sig, rc] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  test(`${sig} to gocpu ends the remote program and restores the terminal`, { timeout: 120_000 }, async () => {
    const t = term();
    try {
      t.start(gocpuLine(['sh', '-c', 'echo ready-$((6*7)); exec sleep 300']));
      const pid = await t.pid(START_MS);
      await t.waitFor(READY, START_MS);
      process.kill(pid, sig);
      const e = await t.ended(30_000);
      assert.equal(e.rc, rc, t.screen());
      assertRestored(e, sig);
    } finally {
      t.close();
    }
  });
}

test('a cut link: gocpu fails in one line within 30 s and restores the terminal', { timeout: 120_000 }, async () => {
  const t = term();
  let port: number | undefined;
  try {
    t.start(gocpuLine(['sh', '-c', 'echo ready-$((6*7)); exec sleep 300']));
    const pid = await t.pid(START_MS);
    await t.waitFor(READY, START_MS);
    port = await connectionPort(pid);
    await cutLink(port, 60);
    const e = await t.ended(40_000);
    assert.equal(e.rc, 125, t.screen());
    assert.match(t.screen(), /^gocpu: remote: .*stopped answering/m);
    assertRestored(e, 'cut link');
  } finally {
    if (port !== undefined) await healLink(port);
    t.close();
  }
});

test('node killed by SIGKILL: bin/gocpu puts the terminal back (it was raw)', { timeout: 120_000 }, async () => {
  const t = term();
  try {
    t.start(gocpuLine(['sh', '-c', 'echo ready-$((6*7)); exec sleep 300']));
    const pid = await t.pid(START_MS);
    await t.waitFor(READY, START_MS);
    assert.match(t.paneStty(), /(^|\s)-icanon\b/, 'raw while the remote program runs');
    const node = Number(fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]);
    assert.ok(node > 0, 'the launcher runs node');
    process.kill(node, 'SIGKILL');
    const e = await t.ended(30_000);
    assert.equal(e.rc, 137, t.screen());
    assertRestored(e, 'node SIGKILLed');
  } finally {
    t.close();
  }
});

test('a run that cannot start (no sshfs on the remote, mount mode forced): one line saying why, quickly, and the terminal as it was', { timeout: 120_000 }, async () => {
  const t = term();
  try {
    const t0 = Date.now();
    t.start(`GOCPU_MODE=mount GOCPU_REMOTE_SSHFS=/nonexistent/sshfs ${gocpuLine(['true'])}`);
    const e = await t.ended(START_MS);
    assert.equal(e.rc, 125, t.screen());
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
    const lines = t.screen().split('\n').filter((l) => /^gocpu: /.test(l));
    assert.equal(lines.length, 1, t.screen());
    assert.match(lines[0], /^gocpu: remote: .*sshfs/);
    assertRestored(e, 'failed start');
  } finally {
    t.close();
  }
});
