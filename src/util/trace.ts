/**
 * GOCPU_TRACE=1 prints how long each step of a run took, on stderr. Off by
 * default: on success the wrapper prints nothing.
 *
 * GOCPU_TRACE_FILE=PATH appends the same lines to PATH instead, each led by the
 * wrapper's pid, and never writes to stderr: under `go test` stderr is the test's
 * output, and one file can collect the lines of every wrapper go starts in parallel
 * (each line is one O_APPEND write, so lines do not interleave). The e2e load test
 * learns each run's nonce (its remote directory) from it without racing the run.
 */
import { appendFileSync } from 'node:fs';

const start = performance.now();
const file = process.env.GOCPU_TRACE_FILE || undefined;
const on = !!process.env.GOCPU_TRACE || file !== undefined;
let fileFailed = false;

export function trace(step: string): void {
  if (!on) return;
  const ms = (performance.now() - start).toFixed(1);
  if (file === undefined) {
    process.stderr.write(`gocpu: trace: ${ms} ms ${step}\n`);
    return;
  }
  try {
    appendFileSync(file, `${process.pid} ${ms} ms ${step}\n`);
  } catch (e) {
    // A trace is a diagnostic: losing it must not change how the run ends. Say so once.
    if (!fileFailed) process.stderr.write(`gocpu: warning: cannot write GOCPU_TRACE_FILE: ${(e as Error).message}\n`);
    fileFailed = true;
  }
}

export function tracing(): boolean {
  return on;
}
