/**
 * A run the test can act on while it is going: wait for a line of its output, send
 * it a signal, write to its stdin, see when it exited. harness.ts's run() only
 * reports the end; signal and cleanup tests must act in the middle.
 */
import { execFileSync, spawn } from 'node:child_process';
import { Socket } from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunResult } from './harness.js';
import { describeRun, tempDir } from './harness.js';
import { timeLimit } from './time-limit.js';

export interface LiveRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kill the whole process group and report timedOut after this long. */
  timeoutMs: number;
  /** One file as both stdout and stderr (as go gives a test binary); else two pipes. */
  merged?: boolean;
  /** A pipe as stdin (write with `write`); /dev/null otherwise, as go gives. */
  stdin?: boolean;
  /**
   * Pipes (fifos) rather than node's 'pipe', which is a socket pair: go gives its
   * wrapper pipes, and the agent's door (src/agent/door-caller.ts) opens the
   * wrapper's descriptors anew by their /proc links, which a socket has not.
   */
  fifos?: boolean;
}

export interface LiveRun {
  pid: number;
  /** stdout and stderr so far, in arrival order. */
  output(): string;
  /** Resolves once the output matches; rejects (with the output) after `ms` or when the process ends first. */
  waitFor(re: RegExp, ms: number): Promise<void>;
  /** Signals this process only (not its group), as go signals its wrapper. */
  signal(sig: NodeJS.Signals): void;
  write(text: string): void;
  /** Date.now() when the process exited, once it has. */
  exitedAt(): number | undefined;
  done: Promise<RunResult>;
}

/** A fifo's two ends: ours as a stream, the child's as a descriptor (blocking, as a pipe's). */
function fifo(dir: string, name: string, childReads: boolean): { ours: Socket; theirs: number } {
  const p = path.join(dir, name);
  execFileSync('mkfifo', [p]);
  const { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK } = fs.constants;
  // Neither open may block: the read end first (non-blocking), or the child's stdin read-write.
  if (childReads) {
    const theirs = fs.openSync(p, O_RDWR);
    return { theirs, ours: new Socket({ fd: fs.openSync(p, O_WRONLY | O_NONBLOCK), readable: false, writable: true }) };
  }
  const ours = new Socket({ fd: fs.openSync(p, O_RDONLY | O_NONBLOCK), readable: true, writable: false });
  return { ours, theirs: fs.openSync(p, O_WRONLY) };
}

export function startRun(cmd: string, args: readonly string[], opts: LiveRunOptions): LiveRun {
  const started = Date.now();
  const t = opts.merged ? tempDir(undefined, 'gocpu-e2e-live-') : undefined;
  const file = t ? path.join(t.dir, 'out') : '';
  const fd = t ? fs.openSync(file, 'w') : undefined;
  const ff = opts.fifos ? tempDir(undefined, 'gocpu-e2e-fifo-') : undefined;
  const fifos = ff ? { in: opts.stdin ? fifo(ff.dir, 'in', true) : undefined, out: fifo(ff.dir, 'out', false), err: fifo(ff.dir, 'err', false) } : undefined;
  const stdio = (fifos ? [fifos.in?.theirs ?? 'ignore', fifos.out.theirs, fifos.err.theirs] : [opts.stdin ? 'pipe' : 'ignore', fd ?? 'pipe', fd ?? 'pipe']) as ('pipe' | 'ignore' | number)[];
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio, detached: true });
  if (fd !== undefined) fs.closeSync(fd);
  if (fifos) {
    for (const f of [fifos.in, fifos.out, fifos.err]) if (f) fs.closeSync(f.theirs);
    ff!.cleanup();
  }
  const stdoutStream = fifos?.out.ours ?? child.stdout;
  const stderrStream = fifos?.err.ours ?? child.stderr;
  const stdinStream = fifos ? fifos.in?.ours : child.stdin;
  // With fifos the child's exit is not the end of its output: their EOF is.
  const outputsEnded = Promise.all([stdoutStream, stderrStream].map((st) => new Promise((r) => (st ? st.once('close', r) : r(undefined)))));
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const all: Buffer[] = [];
  stdoutStream?.on('data', (b: Buffer) => (out.push(b), all.push(b)));
  stderrStream?.on('data', (b: Buffer) => (err.push(b), all.push(b)));
  stdinStream?.on('error', () => {}); // the process may be gone before we write
  let final: string | undefined;
  const output = () => final ?? (t ? fs.readFileSync(file, 'utf8') : Buffer.concat(all).toString('utf8'));

  let exitedAt: number | undefined;
  const done = new Promise<RunResult>((resolve, reject) => {
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, note = '') => {
      if (finished) return;
      finished = true;
      limit.clear();
      const text = output() + note;
      final = text;
      t?.cleanup();
      const stdout = t ? text : Buffer.concat(out).toString('utf8');
      const stderr = t ? '' : Buffer.concat(err).toString('utf8') + note;
      resolve({ code, signal, stdout, stderr, output: text, timedOut: limit.timedOut(), ms: Date.now() - started });
    };
    const limit = timeLimit(child, opts.timeoutMs, 'live-run', finish);
    child.on('error', (e) => (limit.clear(), reject(e)));
    child.on('exit', () => (exitedAt = Date.now()));
    child.on('close', (code, signal) => void outputsEnded.then(() => finish(code, signal)));
  });
  let ended = false;
  done.finally(() => (ended = true)).catch(() => {});

  return {
    pid: child.pid!,
    output,
    exitedAt: () => exitedAt,
    done,
    signal: (sig) => process.kill(child.pid!, sig),
    write: (text) => void stdinStream?.write(text),
    async waitFor(re, ms) {
      const deadline = Date.now() + ms;
      for (;;) {
        if (re.test(output())) return;
        if (ended || Date.now() > deadline) {
          const r = ended ? await done : undefined;
          const what = r ? `the run ended first: ${describeRun(r)}` : `not within ${ms} ms; output so far:\n${output()}`;
          throw new Error(`waiting for ${re} in the output of ${path.basename(cmd)}: ${what}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
