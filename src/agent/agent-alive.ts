/**
 * Whether a pid named by an agent's lock is still that agent: the lock's `alive`.
 * A pid that is gone, or that is not ours (EPERM: another user's process now), or
 * (where /proc tells) no longer runs this installation's agent (the pid was reused,
 * after a reboot that kept /tmp/gocpu-UID, or it is a zombie that cannot serve),
 * holds nothing. It must never call a live agent dead: that agent's lock would be
 * broken under it.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { agentMainPath } from './socket-path.js';

let procUsable: boolean | undefined;

/** The pid is a live process of ours (ESRCH: gone; EPERM: another user's, so none of ours). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function agentAlive(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  procUsable ??= existsSync('/proc/self/cmdline');
  if (!procUsable) return true;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false; // gone since the kill
  }
  // argv as a wrapper's node spawned it (start.ts): node, then main.js by this path;
  // the launcher (bin/gocpu, a cold call) names it by its physical path too, but a path
  // that differs in spelling only must not make a live agent look dead.
  const main = agentMainPath();
  return cmdline.split('\0').some((a) => a === main || (a.endsWith('/agent/main.js') && sameFile(a, main)));
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
