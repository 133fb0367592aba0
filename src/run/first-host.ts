/**
 * Direct mode (no agent) with a pool of hosts: the run goes to the first host of
 * the list that connects. One that does not is passed over with one warning line
 * (the same line the agent writes, src/agent/place.ts); the last host's error is
 * the run's. No slots here: there is no state shared between wrapper calls, so
 * each call starts from the top of the list again.
 */
import type { Client } from 'ssh2';
import type { RemoteEnd } from '../gotest/exit-status.js';
import { isGocpuError } from '../errors.js';
import { closeClient } from '../ssh/connect.js';
import { connectWithRetry } from '../ssh/retry.js';
import { resolveHostConfig } from '../ssh/ssh-config.js';
import { Cleanup } from '../util/cleanup.js';
import { trace } from '../util/trace.js';
import type { RunPlan } from './plan.js';
import type { ProgramIo } from './program.js';
import { type RunHooks, runOnClient, runRemote } from './run.js';

/** The warning for a host passed over: `for` says how long the agent skips it. */
export function skipWarning(host: string, e: unknown, forMs?: number): string {
  const why = isGocpuError(e) ? e.message : ((e as Error)?.message ?? String(e));
  return `gocpu: local: warning: ${host}: ${why}; skipping it${forMs === undefined ? '' : ` for ${Math.round(forMs / 1000)} s`}`;
}

export async function runOnFirstHost(hosts: readonly string[], plan: RunPlan, io: ProgramIo, env: NodeJS.ProcessEnv, hooks: RunHooks = {}): Promise<RemoteEnd> {
  if (hosts.length <= 1) return runRemote(plan, io, env, hooks);
  const cleanup = new Cleanup((l) => io.stderr.write(l + '\n'));
  try {
    trace('connecting');
    let client: Client | undefined;
    let host = hosts[0];
    for (const [i, h] of hosts.entries()) {
      try {
        client = await connectWithRetry(resolveHostConfig(h, { configFile: env.GOCPU_SSH_CONFIG || undefined, env }));
        host = h;
        break;
      } catch (e) {
        if (i === hosts.length - 1) throw e;
        io.stderr.write(skipWarning(h, e) + '\n');
      }
    }
    const c = client!;
    trace(`connected to ${host}`);
    cleanup.add('close the ssh connection', () => closeClient(c));
    return await runOnClient(c, { ...plan, host }, io, hooks);
  } finally {
    await cleanup.run();
  }
}
