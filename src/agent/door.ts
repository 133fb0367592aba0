/**
 * The agent's door: a fifo beside its socket, door-<build id>, through which
 * bin/gocpu hands over a call without starting node at all (issue 8's warm path:
 * node's own start, ~120 ms on the bench machine, was most of a warm call). The
 * launcher writes one line, "PID NAME NARGS", and door-caller.ts takes it from
 * there. Beside it, door-<build id>.owner says "PID ROOT": the agent that serves
 * it and the installation it belongs to, which the launcher checks (test -ef)
 * along with the pid, so that a copy of this build elsewhere (another version in
 * its package.json, as an upgrade test makes) is never served by this agent.
 *
 * The build id (dist/bundle/build-id, written by hack/bundle.mjs) is what the
 * launcher can know without node: the socket's name needs a hash it cannot make.
 * One door per build id and directory: an agent that finds another live agent's
 * door leaves it be, and its wrappers take the socket.
 */
import { execFile } from 'node:child_process';
import { constants, fstatSync, lstatSync, openSync, readFileSync, readSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidAlive } from './agent-alive.js';
import { othersHold } from './door-holders.js';
import { unlinkQuietly } from '../util/quietly.js';

export interface Door {
  /** Takes the door's name away: nobody opens the door anew. */
  hide(): void;
  /**
   * After hide(): waits until no other process holds the door (a launcher that opened it
   * before it was hidden and has not knocked yet), at most DRAIN_MS, then reads what is
   * in the pipe, so that every knock is served before the agent decides to leave.
   */
  drain(): Promise<void>;
  close(): void;
}

/** Longer than any launcher waits for its answer (bin/gocpu: 3 s, 8 s for a cold call). */
const DRAIN_MS = 10_000;
const DRAIN_POLL_MS = 20;

/** The bundle's build id; undefined when this is not the bundle (dist/src: tsc's output alone). */
function buildId(): string | undefined {
  try {
    const id = readFileSync(new URL('../build-id', import.meta.url), 'latin1').trim();
    return /^[0-9a-f]{8,}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}


function someoneElses(owner: string): boolean {
  try {
    const pid = Number(readFileSync(owner, 'latin1').split(' ')[0]);
    if (pid === process.pid || !pidAlive(pid)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('/agent/main.js');
  } catch {
    return false;
  }
}

/** Cuts the bytes it is given, however they were read, into whole lines for f. */
function lineCutter(f: (line: string) => void): (d: Buffer) => void {
  let rest = '';
  return (d) => {
    const lines = (rest + d.toString('latin1')).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) f(l);
  };
}

/** Calls f with each whole line read from a fifo (the door's, a launcher's c<PID>.u). */
export function onLines(from: Socket, f: (line: string) => void): void {
  from.on('data', lineCutter(f));
}

/** What the pipe holds now, without waiting (the descriptor is non-blocking). */
function readNow(fd: number, cut: (d: Buffer) => void): void {
  const buf = Buffer.alloc(4096);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch {
      return; // EAGAIN: empty
    }
    if (n <= 0) return;
    cut(Buffer.from(buf.subarray(0, n)));
  }
}

/** Opens the door in dir (already checked private: it holds our socket); undefined when there is none to open. */
export async function openDoor(dir: string, onCall: (line: string) => void, log: (line: string) => void): Promise<Door | undefined> {
  const id = buildId();
  if (!id || process.platform !== 'linux') return undefined;
  const path = join(dir, `door-${id}`);
  const owner = `${path}.owner`;
  if (someoneElses(owner)) {
    log(`the door ${path} is another agent's: this one's calls come over its socket`);
    return undefined;
  }
  const tmp = `${path}.${process.pid}`;
  unlinkQuietly(tmp);
  try {
    // node has no mkfifo; coreutils' is on every Linux the door is for.
    await new Promise<void>((resolve, reject) => execFile('mkfifo', ['-m', '600', tmp], (e) => (e ? reject(e) : resolve())));
  } catch (e) {
    log(`no door (mkfifo: ${(e as Error).message}): calls come over the socket`);
    return undefined;
  }
  // Read-write: never a reader's EOF when no launcher has it open, and never a blocked open.
  const fd = openSync(tmp, constants.O_RDWR | constants.O_NONBLOCK);
  const { dev, ino } = fstatSync(fd);
  const root = realpathSync(fileURLToPath(new URL('../../../', import.meta.url)));
  writeFileSync(`${owner}.${process.pid}`, `${process.pid} ${root}\n`);
  renameSync(tmp, path);
  renameSync(`${owner}.${process.pid}`, owner);
  const sock = new Socket({ fd, readable: true, writable: false });
  sock.on('error', () => {});
  const cut = lineCutter(onCall);
  sock.on('data', cut);
  log(`door open: ${path}`);
  let hidden = false;
  const hide = () => {
    if (hidden) return;
    hidden = true;
    try {
      if (lstatSync(path).ino === ino) {
        unlinkQuietly(owner);
        unlinkQuietly(path);
      }
    } catch {
      // Gone already.
    }
  };
  return {
    hide,
    async drain() {
      const until = Date.now() + DRAIN_MS;
      while (othersHold(dev, ino) && Date.now() < until) await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
      readNow(fd, cut);
    },
    close() {
      hide();
      sock.destroy(); // and with it the descriptor
    },
  };
}
