/**
 * GOCPU_TRACE=1 prints how long each step of a run took, on stderr. Off by
 * default: on success the wrapper prints nothing.
 */
const start = performance.now();
const on = !!process.env.GOCPU_TRACE;

export function trace(step: string): void {
  if (on) process.stderr.write(`gocpu: trace: ${(performance.now() - start).toFixed(1)} ms ${step}\n`);
}

export function tracing(): boolean {
  return on;
}
