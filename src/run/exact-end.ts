/**
 * sshd (OpenSSH 9.2) names only RFC 4254's 13 signals in its exit-signal message;
 * a test killed by any other (BUS, SYS, XCPU, TRAP, ...) arrives as
 * "SIG@openssh.com" (ssh2 makes it "SIGSIG@openssh.com"). run.sh recorded the exact
 * end in the run dir; the watch half reads it back to us (src/remote/contract.ts).
 */
import { constants } from 'node:os';
import type { RemoteEnd } from '../gotest/exit-status.js';
import { END_CODE, END_SIGNAL, SSHD_OTHER_SIGNAL } from '../remote/contract.js';

/** The end as ssh2 reported it does not name the signal. */
export function unnamedSignal(end: RemoteEnd): boolean {
  return 'signal' in end && end.signal.replace(/^SIG/, '') === SSHD_OTHER_SIGNAL;
}

/**
 * `code C` or `signal N NAME` (NAME from the remote's `kill -l N`). The name wins:
 * signal numbers differ between architectures (SIGBUS is 7 on arm64, 10 on mips).
 */
export function parseEndRecord(rec: string | undefined): RemoteEnd | undefined {
  const [kind, a, b] = (rec ?? '').trim().split(' ');
  if (kind === END_CODE && /^\d+$/.test(a ?? '')) return { code: Number(a) };
  if (kind !== END_SIGNAL) return undefined;
  const signals = constants.signals as Record<string, number>;
  const n = b && signals[`SIG${b}`] !== undefined ? signals[`SIG${b}`] : Number(a);
  // Node's own name for the number, as it names a local death: busybox's `kill -l 29` says
  // POLL where dash, bash and node say IO (and IOT is node's ABRT).
  const name = Object.keys(signals).find((k) => signals[k] === n);
  return name ? { signal: name } : undefined;
}

export async function exactEnd(end: RemoteEnd, askEnd: (ms: number) => Promise<string | undefined>): Promise<RemoteEnd> {
  if (!unnamedSignal(end)) return end;
  return parseEndRecord(await askEnd(5000)) ?? end;
}
