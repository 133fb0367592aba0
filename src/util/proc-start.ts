/**
 * When a process started, from /proc (Linux): who it is (with its pid: a pid is reused,
 * this pair is not), and when in epoch ms, which GOCPU_TRACE counts a call's steps from.
 */
import { readFileSync } from 'node:fs';

/** The fields of /proc/PID/stat after the command's name (which may hold spaces and parentheses). */
export function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The process's start, in clock ticks since boot. */
export function startTicks(pid: number): number {
  return Number(statFields(pid)[19]);
}

/**
 * Epoch ms of a start in ticks (USER_HZ is 100 on every Linux userspace sees), from
 * the uptime's hundredths: the boot time /proc/stat gives is in whole seconds.
 */
export function startEpochMs(ticks: number): number {
  const uptimeS = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
  return Date.now() - (uptimeS - ticks / 100) * 1000;
}
