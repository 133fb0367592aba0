/**
 * The agent process (started by src/agent/start.ts, detached): listens on the
 * user's private socket, serves each wrapper's call (serve-run.ts) over warm
 * connections (connections.ts), and exits after GOCPU_AGENT_IDLE seconds
 * (default 60) without a run.
 *
 * One agent serves a socket path at a time (claim.ts): several wrappers starting
 * at once start several agents; the one that takes the path's lock serves, and
 * the others say "ready" once it answers, and exit, so their wrappers connect to
 * it. Those never load the ssh and run code: it is imported once the lock is ours.
 */
import { appendFileSync, closeSync, realpathSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { putBack } from '../cli/node-startup-env.js';
import { claimSocket } from './claim.js';
import { ACCEPT_MS, socketPath } from './socket-path.js';
import type { AgentState } from './serve-run.js';
import type { Door } from './door.js';

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

/** The serving code, loaded once the lock is ours; the build's code cache holds it too (hack/code-cache.mjs). */
export function loadServing() {
  return Promise.all([import('./connections.js'), import('./pool.js'), import('./socket-caller.js'), import('./door.js'), import('./door-caller.js')]);
}

async function agentMain(): Promise<void> {
  putBack();
  // Started by a wrapper's node (start.ts), which names the socket; or by the launcher
  // alone (bin/gocpu, a cold call through the door), which cannot compute the agent's
  // key: then the socket is where a wrapper would look for it in this environment.
  let path = process.env.GOCPU_AGENT_SOCKET;
  if (!path) {
    try {
      path = socketPath(process.env);
    } catch (e) {
      say(`failed: ${(e as Error).message}`);
      process.exit(2);
    }
  }
  const claim = await claimSocket(path, log);
  if (!claim) {
    log('another agent serves the path: our wrapper connects to it');
    say('ready');
    process.exit(0);
  }
  const [{ Connections }, { Pool }, { serveSocket }, { openDoor }, { serveDoorCall }] = await loadServing();
  const idleS = Number(process.env.GOCPU_AGENT_IDLE ?? '60');
  const idleMs = Number.isFinite(idleS) && idleS >= 0 ? idleS * 1000 : 60_000;
  const state: AgentState = { connections: new Connections(), pool: new Pool(), directHosts: new Set(), log };
  let runs = 0;
  /** Connections ever accepted: one that came while the agent was leaving keeps it. */
  let arrived = 0;
  let leaving = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let door: Door | undefined;
  const arrive = () => {
    runs++;
    arrived++;
    clearTimeout(idleTimer);
  };
  const done = () => {
    runs--;
    idle();
  };
  const openOurDoor = () =>
    openDoor(dirname(path), (line) => {
      arrive();
      serveDoorCall(line, dirname(path), state, done);
    }, log).catch((e) => {
      log(`no door: ${(e as Error).message}`);
      return undefined;
    });

  const quit = async () => {
    leaving = true;
    const before = arrived;
    // Hidden, the door lets nobody in anew; a launcher that opened it before is still
    // heard: the drain waits for it to knock (door.ts), and its call counts as one that came.
    log('idle: hiding the door');
    door?.hide();
    await door?.drain();
    const gone = await claim.leave(server, () => runs > 0 || arrived !== before, async () => {
      door?.close();
      door = await openOurDoor();
    });
    leaving = false;
    if (!gone) return idle();
    door?.close();
    log(`exiting: idle for ${idleS} s`);
    await state.connections.closeAll();
    process.exit(0);
  };
  const idle = () => {
    clearTimeout(idleTimer);
    if (runs > 0 || leaving) return;
    // Until its first call has come, an agent waits for it at least ACCEPT_MS: it was
    // started for a call, and a launcher knocks only after its "ready" and its own checks
    // (bin/gocpu's door_start). With GOCPU_AGENT_IDLE=0 it left before that knock, and the
    // cold call went node's way and started a second agent.
    idleTimer = setTimeout(() => void quit(), arrived === 0 ? Math.max(idleMs, ACCEPT_MS) : idleMs);
  };
  const server = createServer((sock) => {
    arrive();
    serveSocket(sock, state, done);
  });
  // The door before the socket: whoever finds the socket finds the door too (a
  // launcher that started an agent which found this one serving goes on to knock).
  door = await openOurDoor();
  await claim.place(server);
  say('ready');
  idle();
}

export function runAgent(): void {
  agentMain().catch((e) => {
    log(`failed: ${(e as Error)?.stack ?? String(e)}`);
    say(`failed: ${(e as Error)?.message ?? String(e)}`);
    process.exit(1);
  });
}

// tsc's output run as a file (node dist/src/agent/main.js); bundled, dist/bundle/agent/main.js runs it.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) runAgent();
