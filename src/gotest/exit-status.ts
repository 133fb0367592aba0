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
