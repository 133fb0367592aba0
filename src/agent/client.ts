/**
 * The wrapper's side of agent mode: what the process go starts does on the warm
 * path. It connects to the per-host agent (starting one if there is none), hands
 * it the run (argv, cwd, environment as bytes), then only relays: stdin to the
 * agent, stdout and stderr from it, signals to it, and the test's end back to
 * go through the launcher. Imports only node:* and small local modules; the
 * ssh, sftp and planning code stay in the agent.
 *
 * A missing agent is started (when several wrappers start one at once, one of
 * them serves and the others' starts answer "ready" once it does: claim.ts). One
 * that closes before accepting the call (it was leaving, idle) gets the call
 * again from the next agent, once. An agent that is wedged, or gone before the test
 * started, means direct mode (undefined is returned) with one warning line; one
 * that goes away while the test runs fails the run with a clear line, never a hang.
 */
import type { Socket } from 'node:net';
import { closeSync, openSync } from 'node:fs';
import { sameOutput } from '../util/same-output.js';
import { rawArgs, rawEnv } from '../cli/raw-argv.js';
import { EXIT_GOCPU_FAILURE, exitNowBy, statusFor } from '../cli/exit.js';
import { onForwardedSignal } from '../cli/launcher.js';
import { traceOrigin } from '../util/trace.js';
import { type DirectMessage, type EndMessage, FRAME, readFrames, type RunRequest, frame } from './frames.js';
import { ACCEPT_MS, AgentDirError, gocpuVersion, socketPath, tryConnect } from './socket-path.js';

function warn(line: string): void {
  process.stderr.write(`gocpu: local: warning: ${line}\n`);
}

/** Whether direct mode could ask for a passphrase (src/ssh/tty-prompt.ts asks on /dev/tty). */
function hasTty(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r+'));
    return true;
  } catch {
    return false;
  }
}

/** Whether this call should go to an agent at all. */
export function agentWanted(env: NodeJS.ProcessEnv): boolean {
  return env.GOCPU_AGENT !== '0' && env.GOCPU_AGENT !== 'off';
}

/** Starts an agent this many times at most for one call: each start that found the agent gone meanwhile (it left, idle) is another's progress. */
const STARTS = 3;

async function reachAgent(env: NodeJS.ProcessEnv): Promise<Socket | undefined> {
  let path: string;
  try {
    path = socketPath(env);
  } catch (e) {
    if (!(e instanceof AgentDirError)) throw e;
    warn(`not using the gocpu agent: ${e.message}; running directly (fix or remove that directory, or set GOCPU_AGENT_DIR)`);
    return undefined;
  }
  for (let starts = 0; ; starts++) {
    const s = await tryConnect(path);
    if (s) return s;
    if (starts === STARTS) break;
    // "ready" means an agent answered on the path: this one, or the one that won
    // the path when several wrappers started agents at once (claim.ts).
    // Only a cold call needs it (node:child_process): the warm path does not load it.
    const { startAgent } = await import('./start.js');
    const started = await startAgent(path, env);
    if (!started.ok) {
      warn(`could not start the gocpu agent (${started.why}); running directly`);
      return undefined;
    }
  }
  warn('the gocpu agent started but does not take connections; running directly');
  return undefined;
}

/** The agent closed before it accepted the call: it never started it (it was leaving, idle). */
const AGAIN = Symbol('again');

/**
 * Runs the call through the agent; the exit status for main's caller, or
 * undefined for "run it in this process" (direct mode).
 */
export async function runViaAgent(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  // An agent that leaves as we connect closes without a word; the call then goes to
  // the next one (that start is reachAgent's), once.
  for (let attempt = 1; ; attempt++) {
    const sock = await reachAgent(env);
    if (!sock) return undefined;
    const r = await callAgent(sock, argv, env, attempt < 2);
    if (r !== AGAIN) return r;
  }
}

async function callAgent(sock: Socket, argv: string[], env: NodeJS.ProcessEnv, mayRetry: boolean): Promise<number | undefined | typeof AGAIN> {
  const args = argv.slice(1);
  // entry.ts sends a terminal's stdin to direct mode; a pipe or file always travels.
  const forwardStdin = !process.stdin.isTTY;
  const req: RunRequest = {
    version: gocpuVersion(),
    name: (argv[0] ?? '').replace(/.*\//, ''),
    rawArgs: rawArgs(args).map((b) => b.toString('base64')),
    rawEnv: rawEnv(env).map((b) => b.toString('base64')),
    cwd: process.cwd(),
    merge: sameOutput(),
    stdin: forwardStdin,
    tty: hasTty(),
    pid: process.pid,
    origin: traceOrigin(),
  };
  sock.write(frame(FRAME.request, JSON.stringify(req)));

  return await new Promise<number | undefined | typeof AGAIN>((resolve) => {
    let accepted = false;
    let started = false;
    let done = false;
    let signals = 0;
    const finish = (v: number | undefined | typeof AGAIN) => {
      if (done) return;
      done = true;
      clearTimeout(acceptTimer);
      stopSignals();
      // Nothing was read from stdin before the test started: the next agent gets it whole.
      if (forwardStdin && v !== AGAIN) {
        process.stdin.unpipe();
        process.stdin.destroy();
      }
      sock.destroy();
      resolve(v);
    };
    const acceptTimer = setTimeout(() => {
      warn(`the gocpu agent did not answer within ${ACCEPT_MS / 1000} s; running directly`);
      finish(undefined);
    }, ACCEPT_MS);
    const stopSignals = onForwardedSignal((sig) => {
      signals++;
      // Before the test started, or a second time: stop now, as direct mode does;
      // the agent sees us go and takes the remote run down.
      if (!started || signals > 1) exitNowBy(sig);
      sock.write(frame(FRAME.signal, sig));
    });
    readFrames(sock, (type, payload) => {
      switch (type) {
        case FRAME.accepted:
          accepted = true;
          clearTimeout(acceptTimer);
          break;
        case FRAME.started:
          started = true;
          if (forwardStdin) relayStdin(sock);
          break;
        case FRAME.stdout:
          writeOut(process.stdout, payload, sock);
          break;
        case FRAME.stderr:
          writeOut(process.stderr, payload, sock);
          break;
        case FRAME.direct: {
          const m = JSON.parse(payload.toString()) as DirectMessage;
          if (m.warn) warn(m.warn);
          finish(undefined);
          break;
        }
        case FRAME.end: {
          const m = JSON.parse(payload.toString()) as EndMessage;
          if ('error' in m) {
            process.stderr.write(m.error + '\n');
            finish(m.status);
          } else finish(statusFor(m));
          break;
        }
      }
    });
    sock.on('close', () => {
      if (done) return;
      if (!accepted && mayRetry) {
        finish(AGAIN);
        return;
      }
      if (!started) {
        warn(`the gocpu agent went away ${accepted ? 'before the test started' : 'without answering'}; running directly`);
        finish(undefined);
        return;
      }
      process.stderr.write('gocpu: local: the gocpu agent ended while the test ran, so its result is lost (run the test again; GOCPU_AGENT=0 runs without the agent)\n');
      finish(EXIT_GOCPU_FAILURE);
    });
  });
}

/** A slow reader of our stdout slows the remote test down, as a pipe would. */
function writeOut(out: NodeJS.WriteStream, data: Buffer, sock: Socket): void {
  if (!out.write(data)) {
    sock.pause();
    out.once('drain', () => sock.resume());
  }
}

function relayStdin(sock: Socket): void {
  process.stdin.on('data', (d: Buffer) => {
    if (!sock.write(frame(FRAME.stdin, d))) {
      process.stdin.pause();
      sock.once('drain', () => process.stdin.resume());
    }
  });
  process.stdin.on('end', () => sock.write(frame(FRAME.stdinEof)));
  process.stdin.on('error', () => sock.write(frame(FRAME.stdinEof)));
}
