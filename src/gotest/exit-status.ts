/**
 * How the remote test's end becomes ours. go reports a wrapper that died by a
 * signal as "signal: killed", and one that exited 137 as "exit status 137"; to
 * print what a local run prints we die by the same signal, after cleanup. Where
 * that is impossible the shell convention 128+N stands in.
 */
import { constants } from 'node:os';

export type RemoteEnd = { code: number } | { signal: string };

export function signalNumber(name: string): number | undefined {
  const key = (name.startsWith('SIG') ? name : `SIG${name}`) as keyof typeof constants.signals;
  return constants.signals[key];
}

/** The shell's view of a signal death: 128+N (N unknown -> 255). */
export function exitCodeFor(end: RemoteEnd): number {
  if ('code' in end) return end.code;
  const n = signalNumber(end.signal);
  return n === undefined ? 255 : 128 + n;
}

/**
 * The signals whose default action ends a process (signal(7): Term and Core), by
 * name with the aliases Node knows. Only these may travel as "die by N": a launcher
 * that sent itself SIGTSTP or SIGCHLD would stop, or live on.
 */
const DEADLY = new Set([
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'IOT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE',
  'ALRM', 'TERM', 'STKFLT', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'IO', 'POLL', 'PWR', 'SYS', 'UNUSED',
]);

/** The local number of the signal the test died by, when we can and should die by it too. */
export function deathSignal(end: RemoteEnd): number | undefined {
  if (!('signal' in end)) return undefined;
  const name = end.signal.startsWith('SIG') ? end.signal.slice(3) : end.signal;
  return DEADLY.has(name) ? signalNumber(name) : undefined;
}

/**
 * What node exits with under bin/gocpu, and whether it first tells the launcher
 * (SIGURG) that the status is a signal number to die by rather than a status to
 * pass on. A status is 0-255 either way, so the marker is what tells them apart.
 */
export function launcherExit(end: RemoteEnd): { status: number; signal: boolean } {
  const n = deathSignal(end);
  return n === undefined ? { status: exitCodeFor(end), signal: false } : { status: n, signal: true };
}
