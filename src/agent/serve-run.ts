/**
 * One wrapper's call, in the agent: plan the run exactly as direct mode would
 * (same config, same environment: the wrapper's), lease a warm connection and run
 * it there (src/run/run.ts), relaying the test's bytes and end back to the caller
 * (caller.ts: the node wrapper over the socket, or bin/gocpu through the door). When
 * the wrapper goes (go SIGKILLed it on a timeout), the run is aborted: the remote
 * takes it down as if its own connection had dropped, while the connection lives
 * on for other runs.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/config-file.js';
import { targetHosts } from '../config/host.js';
import { targetFromProgramName } from '../config/target.js';
import { EXIT_GOCPU_FAILURE } from '../cli/exit.js';
import { GocpuError, isGocpuError } from '../errors.js';
import { planRun } from '../run/plan.js';
import { runOnClient } from '../run/run.js';
import { sha256Of } from '../util/file-hash.js';
import { trace, traceSinkFor, withTraceSink, type TraceSink } from '../util/trace.js';
import type { Caller, LastWord } from './caller.js';
import type { Connections } from './connections.js';
import type { RunRequest } from './frames.js';
import { placeRun } from './place.js';
import type { Pool } from './pool.js';
import { gocpuVersion } from './socket-path.js';

export interface AgentState {
  connections: Connections;
  /** Slots per host, and the calls waiting for one (host pools). */
  pool: Pool;
  /** Hosts (pools) this agent hands back to direct mode: their login needs a terminal (said once). */
  directHosts: Set<string>;
  log: (line: string) => void;
}

function envOf(raw: Buffer[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const b of raw) {
    const i = b.indexOf('=');
    if (i > 0) env[b.subarray(0, i).toString()] = b.subarray(i + 1).toString();
  }
  return env;
}

/**
 * Serves one call: plans it as direct mode would, places it on a host, runs it,
 * and tells the caller how it ended. Resolves once the run is cleaned up (after
 * an early end, later than the caller's end).
 */
export async function serveCall(caller: Caller, state: AgentState): Promise<void> {
  const { abort, stdin } = caller;
  let started = false;
  // The run's trace ends with its wrapper: go may be done and the user may have removed
  // GOCPU_TRACE_FILE's directory while the agent still cleans up (after an early END), and
  // an append then would make the file again (CI's stop 13: rmdir ENOTEMPTY in a test).
  let sink: TraceSink | undefined;
  const send = (last: LastWord) => {
    if (sink) {
      withTraceSink(sink, () => trace('end sent to the wrapper (the agent goes on cleaning up)'));
      sink.on = false;
    }
    caller.send(last);
  };
  await handle(caller.req);

  async function handle(req: RunRequest): Promise<void> {
    if (req.version !== gocpuVersion()) {
      send({ direct: { warn: `the gocpu agent is version ${gocpuVersion()}, not ${req.version}` } });
      return;
    }
    const raw = req.rawEnv.map((b) => Buffer.from(b, 'base64'));
    const env = envOf(raw);
    const { stderr } = caller;
    sink = traceSinkFor(env, req.pid, req.origin, (l) => stderr.write(l));
    await withTraceSink(sink, async () => {
      let host = '';
      try {
        trace(`agent ${process.pid}: request read`);
        if (req.door) trace('it came through the door (no node in the wrapper)');
        const target = targetFromProgramName(req.name);
        if (!target) throw new GocpuError('USAGE', `the agent serves go_linux_ARCH_exec only, not ${req.name}`);
        const config = loadConfig(env);
        const hosts = targetHosts(target, env, config);
        host = hosts.join(',');
        if (state.directHosts.has(host)) {
          send({ direct: {} });
          return;
        }
        const planned = planRun({
          target,
          host,
          command: req.rawArgs.map((b) => Buffer.from(b, 'base64')),
          cwd: req.cwd,
          env,
          rawEnv: raw,
          config,
          merge: req.merge,
        });
        trace(`run ${planned.nonce} on ${planned.host}`);
        // The binary's hash (binary-cache.ts) goes on while we connect: on a cold call
        // it was 35 ms after "connected" on the bench machine, the last thing the test waited for.
        if (planned.binary) sha256Of(planned.binary).catch(() => {});
        // Before the test starts, two things send the run to another connection:
        // - a server with fewer sessions per connection than we use (MaxSessions)
        //   refuses a channel: that connection takes no more runs. Same nonce: nothing
        //   of it is on the remote yet (run.sh makes the run dir, and the run half
        //   opens last; the cleanup took back the rest).
        // - the warm connection turns out dead (its sshd killed, the link dropped while
        //   it was idle): it leaves the pool, and the run goes to a fresh one, silently
        //   (the user's run is as it would have been; the agent's log says it). A new
        //   nonce: what of it reached the remote before the connection died is taken
        //   down there by itself (watch.sh) and must not meet the retry.
        // Once the test started, a dead connection fails the run (issue 8's rule).
        let planNow = planned;
        for (let attempt = 1; ; attempt++) {
          const placed = await placeRun(state.pool, state.connections, hosts, env, config, {
            signal: abort,
            stderr: (l) => stderr.write(l + '\n'),
            log: state.log,
          });
          const { lease } = placed;
          const plan = { ...planNow, host: placed.host };
          trace(lease.fresh ? 'connected' : 'connection reused');
          try {
            const end = await runOnClient(lease.client, plan, { stdin: req.stdin ? stdin : null, stdout: caller.stdout, stderr }, {
              shared: true,
              abort: abort,
              onStarted: () => {
                started = true;
                caller.started();
              },
              onSignalForwarder: (f) => (caller.forward = f),
              // After the core count's trace line, if it was still on its way: the trace ends with the end.
              onEarlyEnd: (end) => void placed.probed.then(() => send({ end })),
              mount: (p) => lease.mount(p),
              binary: (p) => lease.binary(p),
              spare: () => lease.spare(),
            });
            await placed.probed;
            send({ end });
            return;
          } catch (e) {
            if (started || attempt >= 3 || abort.aborted) throw e;
            // Whatever the error says, a dead connection is why (a step of the setup fails on it).
            const died = lease.died();
            if (died) {
              lease.drop();
              planNow = { ...planned, nonce: randomBytes(12).toString('hex') };
              const why = died === 'closed' ? 'closed' : died.message;
              trace(`the connection was dead before the test started (${why}); the run goes to a fresh one`);
              state.log(`dead connection to ${placed.host} dropped (${why}); run ${plan.nonce} retried as ${planNow.nonce}`);
            } else if (isGocpuError(e) && e.code === 'SSH_CHANNEL_OPEN') {
              lease.full();
              trace(`a channel was refused (${e.message}); the run goes to another connection`);
              state.log(`channel refused on ${placed.host}: ${e.message}`);
            } else throw e;
          } finally {
            placed.release();
          }
        }
      } catch (e) {
        if (abort.aborted) return;
        if (isGocpuError(e) && e.code === 'SSH_AUTH' && host && !started && req.tty) {
          // No terminal in the agent: the wrapper has one, so it logs in itself
          // (a passphrase, a password). Without one it would fail the same way.
          state.directHosts.add(host);
          send({ direct: { warn: `the gocpu agent cannot log in to ${host} without a terminal (${e.message}); running directly` } });
          return;
        }
        const line = isGocpuError(e) ? e.oneLine() : `gocpu: local: internal error in the agent: ${(e as Error)?.message ?? String(e)} (please report it)`;
        state.log(`run failed: ${line}${(e as Error)?.stack ? `\n${(e as Error).stack}` : ''}`);
        send({ end: { error: line, status: EXIT_GOCPU_FAILURE } });
      }
    });
  }
}
