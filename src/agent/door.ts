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
import { constants, fstatSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidAlive } from './agent-alive.js';
import { unlinkQuietly } from '../util/quietly.js';

export interface Door {
  /** Takes the door's name away (a launcher that opened it already is still heard). */
  hide(): void;
  close(): void;
}

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

/** Calls f with each whole line read from a fifo (the door's, a launcher's c<PID>.u). */
export function onLines(from: Socket, f: (line: string) => void): void {
  let rest = '';
  from.on('data', (d: Buffer) => {
    const lines = (rest + d.toString('latin1')).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) f(l);
  });
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
  const ino = fstatSync(fd).ino;
  const root = realpathSync(fileURLToPath(new URL('../../../', import.meta.url)));
  writeFileSync(`${owner}.${process.pid}`, `${process.pid} ${root}\n`);
  renameSync(tmp, path);
  renameSync(`${owner}.${process.pid}`, owner);
  const sock = new Socket({ fd, readable: true, writable: false });
  sock.on('error', () => {});
  onLines(sock, onCall);
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
    close() {
      hide();
      sock.destroy(); // and with it the descriptor
    },
  };
}
