/**
 * GOCPU_TRACE=1 prints how long each step of a run took, on stderr. Off by
 * default: on success the wrapper prints nothing.
 *
 * GOCPU_TRACE_FILE=PATH appends the same lines to PATH instead, each led by the
 * wrapper's pid, and never writes to stderr: under `go test` stderr is the test's
 * output, and one file can collect the lines of every wrapper go starts in parallel
 * (each line is one O_APPEND write, so lines do not interleave). The e2e load test
 * learns each run's nonce (its remote directory) from it without racing the run.
 *
 * The agent (src/agent/) runs many wrappers' runs in one process: each run traces
 * into its own sink (the wrapper's settings, its stderr, its clock), kept in an
 * AsyncLocalStorage so that the code of a run calls trace() as in direct mode.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import { startEpochMs, startTicks } from './proc-start.js';

export interface TraceSink {
  on: boolean;
  /** GOCPU_TRACE_FILE of the wrapper, if any. */
  file?: string;
  /** Whose lines these are (the wrapper's pid in the file). */
  pid: number;
  /** Epoch ms the times count from (the wrapper's start). */
  origin: number;
  /** stderr of the run. */
  write: (line: string) => void;
  fileFailed?: boolean;
}

/** The sink GOCPU_TRACE and GOCPU_TRACE_FILE in `env` ask for (ours, or an agent's wrapper's). */
export function traceSinkFor(env: NodeJS.ProcessEnv, pid: number, origin: number, write: (line: string) => void): TraceSink {
  return { on: !!env.GOCPU_TRACE || !!env.GOCPU_TRACE_FILE, file: env.GOCPU_TRACE_FILE || undefined, pid, origin, write };
}

// From node's own start (its ~50 ms and more are part of a call), or the launcher's (below).
const processSink = traceSinkFor(process.env, process.pid, performance.timeOrigin, (l) => process.stderr.write(l));
const perRun = new AsyncLocalStorage<TraceSink>();

/**
 * Under bin/gocpu, a call's time starts with the launcher, not with this node: before
 * it started us, the launcher may have tried the agent's door (and started an agent)
 * first. entry.ts says when node's own code began to run.
 */
export function traceFromLauncher(pid: number): void {
  if (!processSink.on) return;
  try {
    processSink.origin = startEpochMs(startTicks(pid));
  } catch {
    // Not readable (not Linux): the times count from node's start, as without a launcher.
  }
}

/** Epoch ms this process's trace counts from: the agent counts a call's steps from it too. */
export function traceOrigin(): number {
  return processSink.origin;
}

/** Runs fn with trace() going to sink (every async step fn starts included). */
export function withTraceSink<T>(sink: TraceSink, fn: () => T): T {
  return perRun.run(sink, fn);
}

export function trace(step: string): void {
  const s = perRun.getStore() ?? processSink;
  if (!s.on) return;
  const ms = (Date.now() - s.origin).toFixed(1);
  if (s.file === undefined) {
    s.write(`gocpu: trace: ${ms} ms ${step}\n`);
    return;
  }
  try {
    appendFileSync(s.file, `${s.pid} ${ms} ms ${step}\n`);
  } catch (e) {
    // A trace is a diagnostic: losing it must not change how the run ends. Say so once.
    if (!s.fileFailed) s.write(`gocpu: warning: cannot write GOCPU_TRACE_FILE: ${(e as Error).message}\n`);
    s.fileFailed = true;
  }
}

/**
 * trace() bound to the current run's sink, for code that runs outside the run's async
 * context (the SFTP server answers a shared mount's requests in the connection's), or
 * undefined when that run does not trace.
 */
export function traceHere(): ((step: string) => void) | undefined {
  const s = perRun.getStore() ?? processSink;
  if (!s.on) return undefined;
  return (step) => perRun.run(s, () => trace(step));
}

export function tracing(): boolean {
  return (perRun.getStore() ?? processSink).on;
}
