/**
 * A wrapper's call as the agent serves it (serve-run.ts), whichever way it came:
 * over the agent's socket from the node wrapper (socket-caller.ts), or through the
 * door from bin/gocpu itself, with no node started (door-caller.ts). Both give the
 * run the same request, streams and signals, and take its end the same way.
 */
import type { PassThrough, Writable } from 'node:stream';
import type { DirectMessage, EndMessage, RunRequest } from './frames.js';

export interface Caller {
  readonly req: RunRequest;
  /** Aborted when the wrapper goes before its end was sent (go SIGKILLed it). */
  readonly abort: AbortSignal;
  /** The wrapper's stdin, flowing once started() was called: none of it is read before. */
  readonly stdin: PassThrough;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Set by the run: where a signal the wrapper got goes (the first one; a second ends the wrapper). */
  forward?: (signal: string) => void;
  /** The remote test runs. */
  started(): void;
  /** The call's last word. Nothing is written to the wrapper after it. */
  send(last: LastWord): void;
}

/** How the test ended, or "run it yourself" (before anything of the test was written). */
export type LastWord = { end: EndMessage } | { direct: DirectMessage };
