/**
 * What the door's caller learns of a wrapper from /proc (src/agent/proc-facts.ts),
 * against real processes: a child's arguments, exec-time environment, directory and
 * start; and which of its descriptors the agent may open anew (a pipe, /dev/null, a
 * file opened for appending) and which it must leave to the node wrapper (a socket,
 * a file opened without O_APPEND, whose offset our open would not share).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openFdOf, procFacts, stdinServable, stillRunning } from '../../src/agent/proc-facts.js';
import { startTicks } from '../../src/util/proc-start.js';

/** A sh that waits (on its stdin, or a fifo), with the descriptors given. */
function child(stdio: (number | 'ignore' | 'pipe')[], cwd: string, args: string[] = []): ChildProcess {
  return spawn('sh', ['-c', 'read -r x <"$0"', path.join(cwd, 'hold'), ...args], { cwd, stdio, env: { ONLY: 'this', 'WITH=EQUALS': 'x' } });
}

function scratch(): { dir: string; done: () => void } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-procfacts-')));
  execFileSync('mkfifo', [path.join(dir, 'hold')]);
  return { dir, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function ended(c: ChildProcess, dir: string): Promise<void> {
  const exited = new Promise((r) => c.once('exit', r));
  fs.writeFileSync(path.join(dir, 'hold'), 'go\n');
  await exited;
}

test('procFacts: a live process\'s arguments as bytes, its exec-time environment, its directory; stillRunning follows it', async () => {
  const s = scratch();
  const c = child(['ignore', 'ignore', 'ignore'], s.dir, ['a b', '', 'é']);
  try {
    await new Promise((r) => c.once('spawn', r));
    const f = procFacts(c.pid!);
    assert.deepEqual(f.argv.slice(-3).map((b) => b.toString()), ['a b', '', 'é']);
    assert.deepEqual(f.env.map((b) => b.toString()).sort(), ['ONLY=this', 'WITH=EQUALS=x']);
    assert.equal(f.cwd, s.dir);
    assert.equal(f.ticks, startTicks(c.pid!));
    assert.ok(stillRunning(c.pid!, f.ticks));
    assert.ok(!stillRunning(c.pid!, f.ticks + 1), 'another start is another process');
    await ended(c, s.dir);
    assert.ok(!stillRunning(c.pid!, f.ticks), 'gone (reaped)');
  } finally {
    c.kill();
    s.done();
  }
});

test('openFdOf: a pipe, /dev/null and an appended file are opened anew; a socket and a file without O_APPEND are not', async () => {
  const s = scratch();
  const plain = fs.openSync(path.join(s.dir, 'plain'), 'w');
  const appended = fs.openSync(path.join(s.dir, 'appended'), 'a');
  const devNull = fs.openSync('/dev/null', 'r');
  // stdio: 0 /dev/null, 1 a pipe (a fifo's), 2 a socket pair (node's 'pipe'), 3 plain, 4 appended
  execFileSync('mkfifo', [path.join(s.dir, 'out')]);
  const reader = fs.openSync(path.join(s.dir, 'out'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writer = fs.openSync(path.join(s.dir, 'out'), fs.constants.O_WRONLY);
  const c = child([devNull, writer, 'pipe', plain, appended], s.dir);
  try {
    await new Promise((r) => c.once('spawn', r));
    const pid = c.pid!;
    assert.ok(stdinServable(pid, 0), '/dev/null as stdin');
    assert.ok(!stdinServable(pid, 3), 'a file as stdin: our offset would not be its');
    const pipe = openFdOf(pid, 1);
    assert.equal(pipe?.kind, 'pipe');
    fs.writeSync(pipe!.fd, 'through the link\n');
    const buf = Buffer.alloc(64);
    assert.equal(buf.toString('utf8', 0, fs.readSync(reader, buf)), 'through the link\n');
    assert.equal(openFdOf(pid, 0, true)?.kind, 'null');
    assert.equal(openFdOf(pid, 2), undefined, 'a socket (it cannot be opened by its link)');
    assert.equal(openFdOf(pid, 3), undefined, 'a file without O_APPEND');
    const app = openFdOf(pid, 4);
    assert.equal(app?.kind, 'file');
    fs.writeFileSync(path.join(s.dir, 'appended'), 'first\n');
    fs.writeSync(app!.fd, 'second\n');
    assert.equal(fs.readFileSync(path.join(s.dir, 'appended'), 'utf8'), 'first\nsecond\n');
    for (const o of [pipe, app]) fs.closeSync(o!.fd);
    await ended(c, s.dir);
  } finally {
    c.kill();
    for (const fd of [plain, appended, devNull, reader, writer]) fs.closeSync(fd);
    s.done();
  }
});
