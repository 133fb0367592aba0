/**
 * A run the test can act on while it is going: wait for a line of its output, send
 * it a signal, write to its stdin, see when it exited. harness.ts's run() only
 * reports the end; signal and cleanup tests must act in the middle.
 */
import { spawn } from 'node:child_process';
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
  const t = opts.merged ? tempDir(undefined, 'gocpu-e2e-live-') : undefined;
  const file = t ? path.join(t.dir, 'out') : '';
  const fd = t ? fs.openSync(file, 'w') : undefined;
  const stdio = [opts.stdin ? 'pipe' : 'ignore', fd ?? 'pipe', fd ?? 'pipe'] as ('pipe' | 'ignore' | number)[];
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio, detached: true });
  if (fd !== undefined) fs.closeSync(fd);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const all: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => (out.push(b), all.push(b)));
  child.stderr?.on('data', (b: Buffer) => (err.push(b), all.push(b)));
  child.stdin?.on('error', () => {}); // the process may be gone before we write
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
    child.on('close', (code, signal) => finish(code, signal));
  });
  let ended = false;
  done.finally(() => (ended = true)).catch(() => {});

  return {
    pid: child.pid!,
    output,
    exitedAt: () => exitedAt,
    done,
    signal: (sig) => process.kill(child.pid!, sig),
    write: (text) => void child.stdin?.write(text),
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
