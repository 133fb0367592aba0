/**
 * A run the test can act on while it is going: wait for a line of its output, send
 * it a signal, write to its stdin, see when it exited. harness.ts's run() is one of
 * these that only reports the end; signal and cleanup tests must act in the middle.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { RunResult } from './harness.js';
import { describeRun } from './harness.js';
import { childPipes } from './pipes.js';
import { timeLimit } from './time-limit.js';

export interface LiveRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kill the whole process group and report timedOut after this long. */
  timeoutMs: number;
  /** One pipe as both stdout and stderr (as go gives a test binary); else two (pipes.ts). */
  merged?: boolean;
  /** A pipe as stdin (write with `write`); /dev/null otherwise, as go gives. */
  stdin?: boolean;
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

export function startRun(cmd: string, args: readonly string[], opts: LiveRunOptions): LiveRun {
  const started = Date.now();
  const pipes = childPipes(opts);
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: pipes.stdio, detached: true });
  pipes.spawned();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const all: Buffer[] = [];
  pipes.stdout.on('data', (b: Buffer) => (out.push(b), all.push(b)));
  if (!opts.merged) pipes.stderr.on('data', (b: Buffer) => (err.push(b), all.push(b)));
  pipes.stdin?.on('error', () => {}); // the process may be gone before we write
  let final: string | undefined;
  const output = () => final ?? Buffer.concat(all).toString('utf8');

  let exitedAt: number | undefined;
  const done = new Promise<RunResult>((resolve, reject) => {
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, note = '') => {
      if (finished) return;
      finished = true;
      limit.clear();
      pipes.stdout.destroy();
      pipes.stderr.destroy();
      pipes.stdin?.destroy();
      const text = output() + note;
      final = text;
      const stdout = opts.merged ? text : Buffer.concat(out).toString('utf8');
      const stderr = opts.merged ? '' : Buffer.concat(err).toString('utf8') + note;
      resolve({ code, signal, stdout, stderr, output: text, timedOut: limit.timedOut(), ms: Date.now() - started });
    };
    const limit = timeLimit(child, opts.timeoutMs, 'live-run', finish);
    child.on('error', (e) => (limit.clear(), reject(e)));
    child.on('exit', (code, signal) => {
      exitedAt = Date.now();
      void pipes.ended.then(() => finish(code, signal));
    });
  });
  let ended = false;
  done.finally(() => (ended = true)).catch(() => {});

  return {
    pid: child.pid!,
    output,
    exitedAt: () => exitedAt,
    done,
    signal: (sig) => process.kill(child.pid!, sig),
    write: (text) => void pipes.stdin?.write(text),
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
