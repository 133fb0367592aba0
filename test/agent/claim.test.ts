/**
 * How an agent takes its socket path and leaves it (src/agent/claim.ts), with real
 * unix sockets: the lock's holder serves and the others find it; a started agent
 * waits for a holder's socket (an event, not a guess) and gives up on one that
 * never comes; a dead agent's socket is replaced; and an agent leaving when idle
 * stays for a call that connected just before it went.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { type Server, createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { claimSocket } from '../../src/agent/claim.js';
import { lockHolder } from '../../src/agent/agent-lock.js';
import { pidAlive } from '../../src/agent/agent-alive.js';
import { lockFile, pidFile } from '../../src/agent/socket-path.js';
import { isGocpuError } from '../../src/errors.js';

const quiet = () => {};
// Every claim of this file is in one process: the test's pid is the live holder.
const opts = { alive: pidAlive, waitMs: 10_000 };

function temp(): { sock: string; dir: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-claim-'));
  return { dir, sock: path.join(dir, 'agent-x.sock'), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A server that counts the connections it accepted. */
function counting(): { server: Server; arrived: () => number } {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.destroy();
  });
  return { server, arrived: () => n };
}

/** Connects to the socket from another process while this one's event loop is blocked: the connection waits in the backlog. */
function connectBlocking(sock: string): void {
  const r = spawnSync(process.execPath, ['-e', `require('net').connect(${JSON.stringify(sock)}).on('connect', () => process.exit(0)).on('error', () => process.exit(3))`]);
  assert.equal(r.status, 0, 'connected');
}

test('the first claim serves; a claim made while it starts waits for its socket, then leaves the path to it', async () => {
  const t = temp();
  const { server } = counting();
  try {
    const first = await claimSocket(t.sock, quiet, opts);
    assert.ok(first, 'nobody held the path');
    assert.equal(lockHolder(fs.readlinkSync(lockFile(t.sock))), process.pid);
    // Started before the holder listens: it finds the lock held and waits.
    const second = claimSocket(t.sock, quiet, opts);
    await new Promise((r) => setImmediate(r));
    await first.place(server);
    assert.equal(await second, undefined, 'the holder serves: the second agent steps aside');
    assert.equal(fs.readFileSync(pidFile(t.sock), 'utf8'), `${process.pid}\n`);
    assert.equal(await claimSocket(t.sock, quiet, opts), undefined, 'a later one finds it at once');
    assert.ok(await first.leave(server, () => false));
    assert.deepEqual(fs.readdirSync(t.dir), [], 'socket, pid file and lock are gone');
  } finally {
    server.close();
    t.done();
  }
});

test('a holder that never opens its socket fails the waiting start, with the holder named', async () => {
  const t = temp();
  const { server } = counting();
  try {
    const first = await claimSocket(t.sock, quiet, opts);
    assert.ok(first);
    await assert.rejects(claimSocket(t.sock, quiet, { ...opts, waitMs: 300 }), (e) => isGocpuError(e) && e.code === 'AGENT_WAIT' && e.message.includes(`agent ${process.pid} holds`));
    await first.place(server);
    assert.ok(await first.leave(server, () => false));
  } finally {
    server.close();
    t.done();
  }
});

test('a dead agent\'s socket, pid file and lock are replaced', async () => {
  const t = temp();
  const { server } = counting();
  try {
    // An agent killed while it served: its socket stays, nobody listens on it.
    const dead = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(t.sock)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((r) => dead.once('exit', r));
    fs.symlinkSync(`${dead.pid} 0123abcd`, lockFile(t.sock));
    fs.writeFileSync(pidFile(t.sock), `${dead.pid}\n`);
    assert.ok(fs.statSync(t.sock).isSocket());
    const claim = await claimSocket(t.sock, quiet, opts);
    assert.ok(claim, 'the dead agent holds nothing');
    await claim.place(server);
    assert.equal(await claimSocket(t.sock, quiet, opts), undefined, 'the path answers again');
    assert.equal(fs.readFileSync(pidFile(t.sock), 'utf8'), `${process.pid}\n`);
    assert.ok(await claim.leave(server, () => false));
    assert.deepEqual(fs.readdirSync(t.dir), []);
  } finally {
    server.close();
    t.done();
  }
});

test('leaving when idle: a call that connected just before stays served, and the agent with it', async () => {
  const t = temp();
  const { server, arrived } = counting();
  try {
    const claim = await claimSocket(t.sock, quiet, opts);
    assert.ok(claim);
    await claim.place(server);
    const before = arrived();
    // The call connects as the idle timer fires: accepted only once the agent's loop runs again.
    connectBlocking(t.sock);
    assert.equal(await claim.leave(server, () => arrived() !== before), false, 'it stays');
    assert.equal(arrived(), before + 1, 'the call was accepted');
    assert.ok(fs.statSync(t.sock).isSocket(), 'the socket is back in place');
    assert.equal(await claimSocket(t.sock, quiet, opts), undefined, 'and answers');
    const later = arrived();
    assert.equal(await claim.leave(server, () => arrived() !== later), true);
    assert.deepEqual(fs.readdirSync(t.dir), []);
  } finally {
    server.close();
    t.done();
  }
});
