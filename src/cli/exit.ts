/**
 * Leaving like the remote test left. go prints "signal: killed" for a wrapper that
 * died by SIGKILL and "exit status 137" for one that exited 137, so after cleanup
 * we die by the test's signal ourselves; 128+N only where that cannot work (Node
 * ignores SIGPIPE; a signal we may not take by default).
 */
import { exitCodeFor, type RemoteEnd, signalNumber } from '../gotest/exit-status.js';

let pendingSignal: string | undefined;

/** Records how the remote ended and returns the exit status main() should return. */
export function statusFor(end: RemoteEnd): number {
  pendingSignal = 'signal' in end ? end.signal : undefined;
  return exitCodeFor(end);
}

export function exitWith(code: number): void {
  const sig = pendingSignal;
  if (sig !== undefined && signalNumber(sig) !== undefined && code === exitCodeFor({ signal: sig })) {
    const name = (sig.startsWith('SIG') ? sig : `SIG${sig}`) as NodeJS.Signals;
    process.removeAllListeners(name);
    setTimeout(() => process.exit(code), 100).unref();
    try {
      process.kill(process.pid, name);
      return;
    } catch {
      // fall through to the plain status
    }
  }
  process.exitCode = code;
}
