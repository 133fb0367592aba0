/**
 * Whether a process other than this one holds a file open, by its device and inode:
 * a leaving agent's drain (door.ts). A launcher opens the door, then knocks; an agent
 * that hid the door's name and closed its end between the two lost that knock, and the
 * launcher waited 3 s for nothing (stop 19's CI failure). Once the name is hidden nobody
 * can open the fifo anew, so "nobody else holds it" is final: every knock is in the pipe.
 *
 * /proc/PID/fd of our own user's processes is readable to us; the others' are not, and
 * cannot hold our door either (the directory is 0700). A process that exits while we
 * look simply holds nothing.
 */
import { readdirSync, statSync } from 'node:fs';

export function othersHold(dev: number, ino: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return false;
  }
  const self = String(process.pid);
  for (const pid of pids) {
    if (pid === self || !/^\d+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours
    }
    for (const fd of fds) {
      try {
        const st = statSync(`/proc/${pid}/fd/${fd}`);
        if (st.ino === ino && st.dev === dev) return true;
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return false;
}
