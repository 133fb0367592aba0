/**
 * The agent process (started by src/agent/start.ts, detached): listens on the
 * user's private socket, serves each wrapper's call (serve-run.ts) over warm
 * connections (connections.ts), and exits after GOCPU_AGENT_IDLE seconds
 * (default 60) without a run, or as soon as it is idle once another agent has
 * taken its socket path.
 *
 * Taking the path: listen on a private name, then rename it into place, so a
 * wrapper never finds a half-made socket. Two agents started at once by two
 * wrappers both do this; the later rename wins, and the other agent serves the
 * calls it already took and then leaves.
 */
import { createServer } from 'node:net';
import { appendFileSync, closeSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { Connections } from './connections.js';
import { Pool } from './pool.js';
import { pidFile } from './socket-path.js';
import { type AgentState, serveRun } from './serve-run.js';

const READY_FD = 3;

function say(line: string): void {
  try {
    writeSync(READY_FD, line + '\n');
    closeSync(READY_FD);
  } catch {
    // Started by hand, without the pipe: nobody to tell.
  }
}

function log(line: string): void {
  const f = process.env.GOCPU_AGENT_LOG;
  if (!f) return;
  try {
    appendFileSync(f, `${new Date().toISOString()} agent ${process.pid}: ${line}\n`);
  } catch {
    // A log is a diagnostic only.
  }
}

function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

async function agentMain(): Promise<void> {
  const path = process.env.GOCPU_AGENT_SOCKET;
  if (!path) {
    say('GOCPU_AGENT_SOCKET is not set');
    process.exit(2);
  }
  if (await alive(path)) {
    say('ready');
    process.exit(0);
  }
  const idleS = Number(process.env.GOCPU_AGENT_IDLE ?? '60');
  const idleMs = Number.isFinite(idleS) && idleS >= 0 ? idleS * 1000 : 60_000;
  const state: AgentState = { connections: new Connections(), pool: new Pool(), directHosts: new Set(), log };
  let runs = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let myIno: number | undefined;

  const quit = async (why: string) => {
    log(`exiting: ${why}`);
    server.close();
    if (myIno !== undefined && inode(path) === myIno) {
      for (const f of [path, pidFile(path)]) {
        try {
          unlinkSync(f);
        } catch {
          // Gone already.
        }
      }
    }
    await state.connections.closeAll();
    process.exit(0);
  };
  const idle = () => {
    clearTimeout(idleTimer);
    if (runs > 0) return;
    idleTimer = setTimeout(() => void quit(`idle for ${idleS} s`), idleMs);
  };
  const server = createServer((sock) => {
    runs++;
    clearTimeout(idleTimer);
    serveRun(sock, state, () => {
      runs--;
      if (runs === 0 && myIno !== undefined && inode(path) !== myIno) void quit('another agent took the socket');
      else idle();
    });
  });
  const tmp = `${path}.${process.pid}`;
  try {
    unlinkSync(tmp);
  } catch {
    // Not there: the usual case.
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(tmp, () => resolve());
  });
  renameSync(tmp, path);
  myIno = inode(path);
  // Who serves this socket, for `gocpu hosts`, a user's kill, and the tests.
  writeFileSync(pidFile(path), `${process.pid}\n`);
  log(`listening on ${path}`);
  say('ready');
  idle();
}

agentMain().catch((e) => {
  log(`failed: ${(e as Error)?.stack ?? String(e)}`);
  say(`failed: ${(e as Error)?.message ?? String(e)}`);
  process.exit(1);
});
