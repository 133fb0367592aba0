/**
 * The agent's lock (src/agent/agent-lock.ts): one holder at a time; a dead holder's
 * lock (and a dead breaker's) is replaced, a live one's is respected; and when
 * several processes find one stale lock at once, exactly one of them ends up
 * holding it, never two.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { lockHolder, tryLock } from '../../src/agent/agent-lock.js';
import { agentAlive, pidAlive } from '../../src/agent/agent-alive.js';
import { agentMainPath } from '../../src/agent/socket-path.js';

function temp(): { dir: string; lock: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-agentlock-'));
  return { dir, lock: path.join(dir, 'agent.lock'), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A pid that was a process of ours and has exited. */
function deadPid(): number {
  const pid = spawnSync('true').pid!;
  assert.ok(!pidAlive(pid));
  return pid;
}

function breakName(lock: string, content: string): string {
  return `${lock}.break-${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
}

test('one holder: a second taker is told who holds it; release gives it back, once', () => {
  const t = temp();
  try {
    const a = tryLock(t.lock, pidAlive);
    assert.ok(a.held);
    assert.equal(lockHolder(fs.readlinkSync(t.lock)), process.pid);
    assert.deepEqual(tryLock(t.lock, pidAlive), { held: false, holder: process.pid });
    a.release();
    assert.deepEqual(fs.readdirSync(t.dir), []);
    const b = tryLock(t.lock, pidAlive);
    assert.ok(b.held);
    a.release(); // a's release is spent: b's lock stays
    assert.deepEqual(fs.readdirSync(t.dir), ['agent.lock']);
    b.release();
    assert.deepEqual(fs.readdirSync(t.dir), []);
  } finally {
    t.done();
  }
});

test('a live holder\'s lock is respected, a dead holder\'s is replaced', async () => {
  const t = temp();
  const live = spawn('sleep', ['60']);
  try {
    fs.symlinkSync(`${live.pid} 00aa`, t.lock);
    assert.deepEqual(tryLock(t.lock, pidAlive), { held: false, holder: live.pid });
    assert.equal(fs.readlinkSync(t.lock), `${live.pid} 00aa`, 'untouched');
    live.kill('SIGKILL');
    await new Promise((r) => live.once('exit', r));
    const l = tryLock(t.lock, pidAlive);
    assert.ok(l.held, 'the dead holder\'s lock is ours now');
    assert.equal(lockHolder(fs.readlinkSync(t.lock)), process.pid);
    l.release();
    assert.deepEqual(fs.readdirSync(t.dir), [], 'no break lock left behind');
  } finally {
    live.kill('SIGKILL');
    t.done();
  }
});

test('what is not a lock of ours (a file, other content) counts as stale', () => {
  const t = temp();
  try {
    fs.writeFileSync(t.lock, 'junk');
    const a = tryLock(t.lock, pidAlive);
    assert.ok(a.held);
    a.release();
    fs.symlinkSync('not a pid', t.lock);
    const b = tryLock(t.lock, pidAlive);
    assert.ok(b.held);
    b.release();
  } finally {
    t.done();
  }
});

test('a breaker that died mid-break is broken in turn; a live breaker is waited for', () => {
  const t = temp();
  try {
    const stale = `${deadPid()} 01`;
    fs.symlinkSync(stale, t.lock);
    fs.symlinkSync(`${process.pid} 02`, breakName(t.lock, stale));
    assert.deepEqual(tryLock(t.lock, pidAlive), { held: false, holder: process.pid }, 'a live breaker is at work');
    assert.equal(fs.readlinkSync(t.lock), stale);
    fs.unlinkSync(breakName(t.lock, stale));
    fs.symlinkSync(`${deadPid()} 03`, breakName(t.lock, stale));
    const l = tryLock(t.lock, pidAlive);
    assert.ok(l.held);
    l.release();
    assert.deepEqual(fs.readdirSync(t.dir), []);
  } finally {
    t.done();
  }
});

test('agentAlive: only a live agent process of this installation', () => {
  assert.equal(agentAlive(deadPid()), false);
  assert.equal(agentAlive(process.pid), false, 'the test runner is alive, but not an agent');
  assert.equal(agentAlive(0), false);
  assert.equal(agentAlive(-1), false);
});

test('agentAlive: an agent named by another spelling of its path is alive; another main.js is not', async () => {
  const main = agentMainPath();
  // As bin/gocpu would have named it before it took the physical path: DIR/../DIR/agent/main.js.
  const up = path.dirname(path.dirname(main));
  const spelled = `${up}/../${path.basename(up)}/agent/main.js`;
  assert.notEqual(spelled, main);
  const other = path.join(os.tmpdir(), 'not-gocpu', 'agent', 'main.js');
  const alive = async (arg: string): Promise<boolean> => {
    // A stand-in whose argv names main.js as the launcher's start does (bin/gocpu's door_start).
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', arg], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    try {
      return agentAlive(child.pid!);
    } finally {
      child.kill('SIGKILL');
    }
  };
  assert.equal(await alive(spelled), true);
  assert.equal(await alive(other), false);
});

const racer = fileURLToPath(new URL('./lock-racer.js', import.meta.url));

interface Racer {
  ask(line: string): Promise<string>;
  child: ChildProcessWithoutNullStreams;
}

function startRacer(): Racer {
  const child = spawn(process.execPath, [racer]);
  const lines = createInterface({ input: child.stdout });
  const waiting: ((l: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return {
    child,
    ask: (line) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(line + '\n');
      }),
  };
}

test('racing processes: exactly one holds the lock, from nothing and from a dead holder\'s', async () => {
  const t = temp();
  const racers = Array.from({ length: 8 }, startRacer);
  const dead = deadPid();
  try {
    for (let round = 0; round < 40; round++) {
      // Even rounds start from no lock, odd ones from a dead holder's.
      if (round % 2) fs.symlinkSync(`${dead} ${round.toString(16).padStart(4, '0')}`, t.lock);
      const answers = await Promise.all(racers.map((r) => r.ask(`take ${t.lock}`)));
      const held = answers.filter((a) => a === 'held');
      assert.equal(held.length, 1, `round ${round}: ${answers.join(', ')}`);
      const holder = racers[answers.indexOf('held')]!.child.pid;
      assert.equal(lockHolder(fs.readlinkSync(t.lock)), holder, `round ${round}: the lock names the one that holds it`);
      await Promise.all(racers.map((r) => r.ask('release')));
      assert.deepEqual(fs.readdirSync(t.dir), [], `round ${round}: released, nothing left behind`);
    }
  } finally {
    for (const r of racers) r.child.stdin.end();
    t.done();
  }
});
