/**
 * Leaving like the remote test left. go prints "signal: killed" for a wrapper that
 * died by SIGKILL and "exit status 137" for one that exited 137, so a test's signal
 * death must be the wrapper's too. Node cannot die by every signal (it ignores
 * SIGPIPE; SIGUSR1 would start its inspector), so bin/gocpu, the process go waits
 * on, does it: we exit with N after telling it that N is a signal (launcher.ts).
 * Without the launcher, the shell convention 128+N stands in.
 */
import { exitCodeFor, launcherExit, type RemoteEnd } from '../gotest/exit-status.js';
import { markSignalDeath } from './launcher.js';

/** gocpu's own failures exit 125, as env(1) and docker do for theirs. */
export const EXIT_GOCPU_FAILURE = 125;

let pendingEnd: RemoteEnd | undefined;

/** Records how the remote ended and returns the exit status main() should return. */
export function statusFor(end: RemoteEnd): number {
  pendingEnd = end;
  return exitCodeFor(end);
}

/** main()'s status, unless it is the signal death statusFor() recorded. */
export function exitWith(code: number): void {
  const end = pendingEnd;
  if (end && code === exitCodeFor(end)) {
    const out = launcherExit(end);
    if (out.signal && markSignalDeath()) {
      process.exitCode = out.status;
      return;
    }
  }
  process.exitCode = code;
}

/** Ends at once as if killed by sig: a second signal, or one before the test started. */
export function exitNowBy(sig: NodeJS.Signals): never {
  const out = launcherExit({ signal: sig });
  process.exit(out.signal && markSignalDeath() ? out.status : exitCodeFor({ signal: sig }));
}
