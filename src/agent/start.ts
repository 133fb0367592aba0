/**
 * Starting the agent from a wrapper: a detached node process in its own session,
 * cwd /, stdin/stdout/stderr on /dev/null (it must never hold go's pipes: go waits
 * for every writer of the test's output to close it). It says "ready" on a pipe
 * once its socket is in place (or another agent's already was), and the wrapper
 * connects then: an event, not a guess at how long a start takes.
 */
import { spawn } from 'node:child_process';
import { setAside } from '../cli/node-startup-env.js';
import { agentMainPath } from './socket-path.js';

/** Longer than any healthy start; a start that takes longer is treated as failed. */
const START_MS = 5000;

export function startAgent(socket: string, env: NodeJS.ProcessEnv): Promise<{ ok: true } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const childEnv = { ...setAside(env), GOCPU_AGENT_SOCKET: socket };
    const child = spawn(process.execPath, [agentMainPath()], {
      detached: true,
      cwd: '/',
      env: childEnv,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    const ready = child.stdio[3]!;
    let said = '';
    let settled = false;
    const settle = (r: { ok: true } | { ok: false; why: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ready.destroy();
      child.unref();
      resolve(r);
    };
    const timer = setTimeout(() => settle({ ok: false, why: `no word from it within ${START_MS / 1000} s` }), START_MS);
    ready.on('data', (d: Buffer) => {
      said += d.toString();
      if (said.includes('ready\n')) settle({ ok: true });
      else if (said.includes('\n')) settle({ ok: false, why: said.trim() });
    });
    ready.on('error', () => {});
    // The pipe closes when the agent closes it after "ready", or dies: whatever it
    // said before is the answer (an agent that found another one live says ready
    // and exits).
    ready.on('close', () => settle(said.includes('ready\n') ? { ok: true } : { ok: false, why: said.trim() || 'it exited without a word' }));
    child.on('error', (e) => settle({ ok: false, why: e.message }));
  });
}
