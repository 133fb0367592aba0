/**
 * How an agent comes to serve its socket path, and how it leaves it: at most one
 * agent serves a path at any time, however many wrappers start one at once.
 *
 * Coming: the agent that takes the path's lock (agent-lock.ts) serves it; any
 * other one started meanwhile waits for the path to answer, then says "ready" to
 * its wrapper and exits, so that wrapper connects to the holder. The lock's holder
 * listens on a private name and renames it onto the path, replacing a dead agent's
 * socket at once: a socket found at the path always listens (or is stale). The
 * waiting is on the directory's changes (the holder's rename, its lock's removal),
 * bounded: a holder that neither serves nor dies (stopped, wedged in its start)
 * fails the start, and the wrapper runs directly with one warning line.
 *
 * Leaving (idle): rename the socket away first, so no new wrapper reaches us, and
 * let one turn of the event loop accept what connected before that; a call that did
 * arrives in time puts the socket back and is served, as if the agent had not been
 * idle. Only then the listener closes, the pid file goes and, last, the lock.
 */
import { type FSWatcher, renameSync, watch, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { basename, dirname } from 'node:path';
import { GocpuError } from '../errors.js';
import { tryLock } from './agent-lock.js';
import { agentAlive } from './agent-alive.js';
import { lockFile, pidFile, tryConnect } from './socket-path.js';
import { unlinkQuietly } from '../util/quietly.js';

/** How long a started agent waits for another one's socket; under start.ts's START_MS, so it can say why. */
const WAIT_MS = 4000;

export interface Claim {
  /** Listens on the path (replacing a dead agent's socket), with the pid file beside it. */
  place(server: Server): Promise<void>;
  /**
   * Leaves the path if nothing connected meanwhile (`busy()` false after one turn of
   * the event loop): true once gone (listener closed, files and lock removed), false
   * when a call arrived and the agent serves on: then `stay` runs before the socket is
   * back in place (the agent's door goes back first, as at its start).
   */
  leave(server: Server, busy: () => boolean, stay?: () => Promise<void>): Promise<boolean>;
}

export interface ClaimOptions {
  /** Whether a lock's holder lives (tests: agents that are not processes of their own). */
  alive?: (pid: number) => boolean;
  waitMs?: number;
}

async function answers(path: string): Promise<boolean> {
  const s = await tryConnect(path);
  s?.destroy();
  return s !== undefined;
}


/**
 * The directory's changes as a wait: `next()` resolves at the first change since
 * the last call (or at once when there was one), false at the deadline. Without
 * inotify (a limit reached), a bounded backoff stands in for it.
 */
function changes(dir: string, deadline: number): { next(): Promise<boolean>; close(): void } {
  let changed = false;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  const poke = () => {
    changed = true;
    wake?.();
  };
  try {
    watcher = watch(dir, { persistent: false }, poke);
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  let backoff = 10;
  return {
    next: () =>
      new Promise<boolean>((resolve) => {
        if (changed) {
          changed = false;
          return resolve(true);
        }
        const left = deadline - Date.now();
        if (left <= 0) return resolve(false);
        const timer = setTimeout(() => {
          wake = undefined;
          resolve(!watcher && Date.now() < deadline);
        }, watcher ? left : Math.min(left, (backoff = Math.min(backoff * 2, 250))));
        wake = () => {
          wake = undefined;
          changed = false;
          clearTimeout(timer);
          resolve(true);
        };
      }),
    close: () => watcher?.close(),
  };
}

/**
 * The path's claim for this agent, or undefined when another agent serves it (this
 * one then says "ready" and exits). Throws when the holder does not serve in time.
 */
export async function claimSocket(path: string, log: (line: string) => void, opts: ClaimOptions = {}): Promise<Claim | undefined> {
  const { alive = agentAlive, waitMs = WAIT_MS } = opts;
  const lock = lockFile(path);
  // Watching before the first look: a change between a look and the wait is not lost.
  const dir = changes(dirname(path), Date.now() + waitMs);
  try {
    let holder = 0;
    for (;;) {
      if (await answers(path)) return undefined;
      const l = tryLock(lock, alive);
      if (l.held) return claimOf(path, l.release, log);
      if (l.holder !== holder) log(`agent ${l.holder} holds ${basename(lock)}: waiting for its socket`);
      holder = l.holder;
      if (!(await dir.next())) throw new GocpuError('AGENT_WAIT', `agent ${holder} holds ${lock} but did not open its socket within ${waitMs / 1000} s`);
    }
  } finally {
    dir.close();
  }
}

function claimOf(path: string, release: () => void, log: (line: string) => void): Claim {
  const away = `${path}.${process.pid}`;
  return {
    async place(server) {
      unlinkQuietly(away); // a dead agent's of our pid: listen fails on an existing name
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(away, () => {
            server.off('error', reject);
            resolve();
          });
        });
        // Who serves this socket, for a user's kill and the tests: in place before the socket is.
        writeFileSync(`${pidFile(path)}.${process.pid}`, `${process.pid}\n`);
        renameSync(`${pidFile(path)}.${process.pid}`, pidFile(path));
        renameSync(away, path);
      } catch (e) {
        server.close();
        unlinkQuietly(away);
        release();
        throw e;
      }
      log(`listening on ${path}`);
    },
    async leave(server, busy, stay) {
      try {
        renameSync(path, away);
      } catch {
        // Removed under us (the directory went): nothing to hide.
      }
      // The accept of what connected before the rename happens in this turn's poll phase.
      await new Promise((r) => setImmediate(r));
      if (busy()) {
        await stay?.();
        try {
          renameSync(away, path); // ours: nobody else places a socket while we hold the lock
        } catch {
          // As above.
        }
        log('a call came as the agent was leaving: it stays');
        return false;
      }
      server.close();
      unlinkQuietly(away);
      unlinkQuietly(pidFile(path));
      release();
      return true;
    },
  };
}
