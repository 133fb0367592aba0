/**
 * One remote run, top to bottom:
 *   1. connect (ssh config, agent/keys, known_hosts: src/ssh), or in the agent
 *      lease a warm connection (src/agent/connections.ts)
 *   2. start the mount half: remote sshfs -o passive <-> our SFTP server
 *   3. start the run half: header on stdin, wait for the mount, namespace, exec
 *   4. relay stdio and signals until the test ends
 *   5. close: end the SFTP stream (sshfs unmounts, mount.sh removes the run's
 *      remote dir and its namespace), wait for that, close the connection
 *      (direct mode only); then move redirected outputs (profiles) into place
 *      (outputs.ts).
 * Every resource is registered for cleanup as it is acquired; cleanup runs in
 * `finally`, and a failed cleanup is a warning, not the run's result.
 */
import type { Client, ClientChannel } from 'ssh2';
import { resolveHostConfig } from '../ssh/ssh-config.js';
import { clientError, closeClient } from '../ssh/connect.js';
import { connectWithRetry } from '../ssh/retry.js';
import type { RemoteEnd } from '../gotest/exit-status.js';
import { GocpuError } from '../errors.js';
import { Cleanup } from '../util/cleanup.js';
import { trace } from '../util/trace.js';
import { exactEnd } from './exact-end.js';
import { type Mount, startMount } from './mount.js';
import { collectOutputs, prepareOutputs } from './outputs.js';
import type { RunPlan } from './plan.js';
import { bindSpare, openRunChannel, type ProgramIo, startProgram } from './program.js';
import { signalRemote } from './signals.js';
import { startWatchdog, type Watchdog } from './watchdog.js';
import { chooseMode, forgetMode, modeKey } from './mode.js';
import { MissingPaths } from './missing-paths.js';
import { isAtOrBelow } from '../sftp/exports.js';
import { rebaseArgs } from '../copy/rebase.js';
import { type CachedBinary, RemoteBinaries } from '../agent/binary-cache.js';
import { followBinary } from './late-binary.js';
import { bringTestLog, TEST_LOG_GRACE_MS, TEST_LOG_WAIT_MS, wantsLog } from './test-log.js';

export interface RunHooks {
  /** Called with a function that forwards a signal to the remote test. */
  onSignalForwarder?: (forward: ((signal: string) => void) | undefined) => void;
  /** Called once the remote test has been started (the agent tells its wrapper). */
  onStarted?: () => void;
  /**
   * Called with the test's end as soon as it is known, when nothing is left that the
   * caller must wait for (no outputs to move into place): the agent's wrapper can
   * exit while the teardown goes on, which otherwise costs every call its duration.
   */
  onEarlyEnd?: (end: RemoteEnd) => void;
}

export interface ClientRunOptions extends RunHooks {
  /**
   * The connection carries other runs (the agent): the run's teardown must not
   * end it (watch.sh then spares its sshd session).
   */
  shared?: boolean;
  /** Aborted when whoever asked for the run is gone (the agent's wrapper was killed). */
  abort?: AbortSignal;
  /** The run's files on a mount shared with other runs (the agent's); default: a mount of its own. */
  mount?: (plan: RunPlan, stderr: NodeJS.WritableStream) => Promise<Mount>;
  /**
   * Puts the test binary into the remote's cache: its sha256 (with `arriving` while it is
   * still on its way), or undefined to page it in through the mount; not a promise when it
   * is known at once (src/run/late-binary.ts).
   */
  binary?: (plan: RunPlan) => CachedBinary | Promise<CachedBinary | undefined> | undefined;
  /** Run and watch halves opened before this run (the agent's, src/agent/spare.ts), if there are. */
  spare?: () => { run: ClientChannel; watch: ClientChannel } | undefined;
}

/** Direct mode: a connection of our own for this one run. */
export async function runRemote(plan: RunPlan, io: ProgramIo, env: NodeJS.ProcessEnv, hooks: RunHooks = {}): Promise<RemoteEnd> {
  const cleanup = new Cleanup((l) => io.stderr.write(l + '\n'));
  try {
    const hostConfig = resolveHostConfig(plan.host, { configFile: env.GOCPU_SSH_CONFIG || undefined, env });
    trace('connecting');
    const client = await connectWithRetry(hostConfig);
    trace('connected');
    cleanup.add('close the ssh connection', () => closeClient(client));
    return await runOnClient(client, plan, io, hooks);
  } finally {
    await cleanup.run();
  }
}

// A remote root is shown in place of / by the view: without one, it cannot be.
const noUserns = (host: string) => new GocpuError('REMOTE_NO_USERNS', `${host} does not allow unprivileged user namespaces, which a remote root ("remoteRoot") needs`, {
  side: 'remote',
  hint: `on ${host}: sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=10000 (Ubuntu 24.04+: kernel.apparmor_restrict_unprivileged_userns=0); gocpu doctor ${host} says which`,
});

const wrapperGone = () => new GocpuError('WRAPPER_GONE', 'the wrapper that asked for this run is gone');

function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_, reject) => {
    const fail = () => reject(wrapperGone());
    if (signal?.aborted) fail();
    signal?.addEventListener('abort', fail, { once: true });
  });
}

/** The run on a connection that is already up (direct mode's own, or the agent's). */
export async function runOnClient(client: Client, plan: RunPlan, io: ProgramIo, opts: ClientRunOptions = {}): Promise<RemoteEnd> {
  const cleanup = new Cleanup((l) => io.stderr.write(l + '\n'));
  const abort = aborted(opts.abort);
  abort.catch(() => {});
  try {
    if (plan.outputs) {
      // First registered, so it runs last: after the unmount, when the remote can no longer write.
      const scratch = prepareOutputs(plan.outputs);
      cleanup.add('move the test outputs into place', () => collectOutputs(scratch));
    }
    const mode = await chooseMode(client, { host: plan.host, setting: plan.mode.setting, forced: plan.mode.forced, sshfs: plan.sshfs, sshfsOptions: plan.sshfsOptions, remoteRoot: plan.remoteRoot }, process.env, io.stderr);
    if (mode.mode === 'copy' && !mode.userns) {
      if (plan.remoteRoot) throw noUserns(plan.host);
      // No view: the test runs in the copy, its paths rebased (src/copy/rebase.ts).
      plan = { ...plan, ...rebaseArgs(plan) };
    }
    // Copy mode binds the binary from the cache over its placeholder: it needs the cache.
    const binary = opts.binary ?? (mode.mode === 'copy' ? async (p: RunPlan) => ({ sha: await new RemoteBinaries().ensure(client, p.binary!) }) : undefined);
    // Each half is registered for cleanup as soon as it is up, even when another
    // failed to start: a shared mount keeps a run's subtree until it is stopped, and
    // the agent may retry the run on another connection under the same nonce.
    // The run half's channel opens meanwhile: run.sh waits for its header (program.ts).
    // The agent may have both channels open already (src/agent/spare.ts).
    const spare = io.terminal ? undefined : opts.spare?.();
    if (spare) {
      trace('run and watch halves: the spare pair');
      bindSpare(spare.run, plan.nonce);
    }
    const binaryPlace = followBinary(plan.binary && binary ? binary(plan) : undefined);
    // Each opened channel is a step of its own in the trace: on a new connection they are
    // most of a cold call's time (a channel costs two round trips, the login shell and sh).
    const [m, w, r] = await Promise.allSettled([
      traced(mode.mode === 'copy' ? startCopyHalf(client, plan, io.stderr, mode.userns) : opts.mount ? opts.mount(plan, io.stderr) : startMount(client, plan, io.stderr), mode.mode === 'copy' ? 'copy half done' : 'mount half up'),
      traced(startWatchdog(client, plan.host, plan.nonce, opts.shared === true, spare?.watch), spare ? undefined : 'watch half: channel open'),
      io.terminal ? Promise.resolve(undefined) : spare ? Promise.resolve(spare.run) : traced(openRunChannel(client, plan), 'run half: channel open'),
    ]);
    let programStarted = false;
    if (r.status === 'fulfilled' && r.value) {
      const early = r.value;
      cleanup.add('close the unused run channel', () => {
        if (!programStarted) early.close();
      });
    }
    if (m.status === 'fulfilled') {
      const mount = m.value;
      cleanup.add('unmount and remove the remote run directory', () => mount.stop());
    }
    if (w.status === 'fulfilled') {
      const watchdog = w.value;
      // A wrapper that is gone leaves as a killed one would: the watch half hears
      // the stream end without goodbye and takes the run down on the remote.
      cleanup.add('stop the watch half', () => (opts.abort?.aborted ? watchdog.abandon() : watchdog.stop()));
    }
    for (const x of [m, w, r]) if (x.status === 'rejected') throw x.reason;
    const mount = (m as PromiseFulfilledResult<Mount>).value;
    const watchdog = (w as PromiseFulfilledResult<Watchdog>).value;
    const headerBinary = await binaryPlace.forHeader(mode.mode !== 'copy' && !io.terminal);
    if (opts.abort?.aborted) throw wrapperGone();

    trace('all halves up');
    const opened = (r as PromiseFulfilledResult<ClientChannel | undefined>).value;
    const program = await Promise.race([startProgram(client, plan, io, mount, () => watchdog.reap(), headerBinary, opened), abort]);
    programStarted = true;
    cleanup.add('close the run half', () => {
      if (opts.abort?.aborted) program.channel.close();
    });
    trace('run half started');
    const missing = new MissingPaths(plan.cwd);
    program.channel.on('data', missing.feed);
    program.channel.stderr.on('data', missing.feed);
    // Not before: until the test runs, the agent may still take the run to another
    // connection (a warm one found dead), which a spare pair, already open, does not show.
    program.started.then(() => {
      opts.onStarted?.();
      if (wantsLog(plan, mount)) watchdog.pushLog();
    }, () => {});
    opts.onSignalForwarder?.((signal) => {
      signalRemote(client, plan.nonce, program.pid(), signal).catch(() => {});
    });
    try {
      const end = await Promise.race([program.end, watchdog.dead, abort]);
      const torn = watchdog.tornDown();
      if (torn) throw torn;
      // Before go hears the end (it reads the log once its wrapper has exited), and before
      // an `end` question: the watch half's answers are lines, and the log's may be long.
      if (wantsLog(plan, mount)) await bringTestLog(plan.testLog, watchdog.testLog(TEST_LOG_GRACE_MS, TEST_LOG_WAIT_MS), io.stderr);
      // Before the mount half goes: it removes the run dir with the end record.
      const exact = await exactEnd(end, (ms) => watchdog.askEnd(ms));
      // Here, not in the teardown: an agent's run ends its trace with the early end.
      trace(`sftp: ${mount.requests()} requests (round trips) for this run until the test ended`);
      if (!('code' in exact && exact.code === 0)) {
        for (const l of missing.hints(plan.host, (p) => exportedBy(plan, mount, p))) io.stderr.write(l + '\n');
      }
      // A copy's outputs (coverage, the test log) come back in the teardown: go reads them when we end.
      if (!plan.outputs && !mount.copy) opts.onEarlyEnd?.(exact);
      return exact;
    } catch (e) {
      // A dead link makes every graceful step wait for its timeout; the remote
      // cleans up by itself (watch.sh), so drop the connection at once (every run
      // on it is as dead as this one).
      if (e instanceof GocpuError && e.code === 'REMOTE_SILENT') client.destroy();
      throw watchdog.tornDown() ?? ((e instanceof GocpuError && e.code === 'REMOTE_LOST' && clientError(client)) || e);
    } finally {
      trace('test ended');
      opts.onSignalForwarder?.(undefined);
    }
  } catch (e) {
    // The host lost what the cached `auto` answer said it had: ask it again next time.
    if (e instanceof GocpuError && HOST_CHANGED.includes(e.code) && plan.mode.setting === 'auto') forgetMode(modeKey(plan.host, plan.sshfs), process.env);
    throw e;
  } finally {
    await cleanup.run();
    trace('cleaned up');
  }
}

/** Whether the run showed the test this local path (for missing-paths.ts). */
function exportedBy(plan: RunPlan, mount: Mount, p: string): boolean {
  if (!mount.copy) return plan.exports.some((e) => isAtOrBelow(p, e.path));
  return plan.copyRoots.some((r) => (r.what === 'files' ? (r.files ?? []).some((f) => p === `${r.path}/${f}`) : isAtOrBelow(p, r.path)));
}

/**
 * Copy mode's half, imported when a run needs it: tar-stream and its dependencies cost
 * every wrapper and agent start ~50 ms (more on a busy machine) that mount mode, the
 * common case, never uses.
 */
async function startCopyHalf(...args: Parameters<typeof import('../copy/copy-half.js').startCopy>): Promise<Mount> {
  const { startCopy } = await import('../copy/copy-half.js');
  return startCopy(...args);
}

const HOST_CHANGED = ['REMOTE_NO_SSHFS', 'REMOTE_NO_FUSE', 'REMOTE_FUSE_DENIED', 'REMOTE_NO_USERNS'];

/** p, with a trace line when it resolves (none for no step). */
function traced<T>(p: Promise<T>, step: string | undefined): Promise<T> {
  return step ? p.then((v) => (trace(step), v)) : p;
}
