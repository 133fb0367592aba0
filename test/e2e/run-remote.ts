/**
 * Drives runRemote (src/run/run.ts) in-process against the test host: the
 * RemoteEnd it returns is what the bin/ launcher turns into the wrapper's end, and
 * it is visible here even for the signals Node itself cannot die by.
 */
import { PassThrough } from 'node:stream';
import { planRun, type RunPlan } from '../../src/run/plan.js';
import { runRemote } from '../../src/run/run.js';
import type { RemoteEnd } from '../../src/gotest/exit-status.js';
import { goEnv, testHost } from './harness.js';

export interface RemoteRun { end: RemoteEnd; stdout: string; stderr: string }

export async function runOnTestHost(opts: {
  command: string[];
  cwd: string;
  /** Forwarded to the test exactly (nothing else of this process's env is). */
  forward: Record<string, string>;
  generic?: boolean;
  /** Two streams (false) or one, as go gives a test binary (true). */
  merge?: boolean;
  tweak?: (p: RunPlan) => void;
}): Promise<RemoteRun> {
  const th = testHost();
  const env = goEnv({ goarch: 'arm64' });
  const plan = planRun({
    target: { goos: 'linux', goarch: 'arm64' },
    host: th.host,
    command: opts.command.map((a) => Buffer.from(a)),
    cwd: opts.cwd,
    env,
    rawEnv: Object.entries(opts.forward).map(([k, v]) => Buffer.from(`${k}=${v}`)),
    config: {},
    generic: opts.generic,
  });
  plan.merge = opts.merge ?? false;
  opts.tweak?.(plan);
  const out = collected();
  const err = collected();
  const end = await runRemote(plan, { stdin: null, stdout: out.stream, stderr: err.stream }, env);
  return { end, stdout: out.text(), stderr: err.text() };
}

/** A stream for a run's stdout or stderr, and what was written to it so far. */
export function collected(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (b: Buffer) => chunks.push(b));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}
