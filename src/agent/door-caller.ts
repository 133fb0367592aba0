/**
 * A call through the door (door.ts): bin/gocpu, with no node of its own, wrote
 * "PID NAME NARGS" and waits on two fifos it made beside the door, c<PID>.d (ours
 * to it) and c<PID>.u (its to us). Everything the node wrapper would send we read
 * from /proc (proc-facts.ts), and the test's bytes go straight into go's pipes,
 * opened anew by the launcher's /proc links.
 *
 * To the launcher, one line each: "a" (accepted: it may stop waiting for us), "t"
 * (the test started), then "e N" (exit with N) or "k N" (die by signal N); or "d"
 * (take the node wrapper's way: a stdout we cannot write exactly, a host to log in
 * to from a terminal). From it: the name of a signal to pass on, a line each. Its
 * death closes c<PID>.u; a death before it opened that is seen by its pid.
 *
 * Every write to go's pipes has reached them, and our copies are closed, before
 * the end is said: once the launcher exits nothing of ours holds go's output.
 */
import { constants, createWriteStream, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { launcherExit } from '../gotest/exit-status.js';
import type { Caller, LastWord } from './caller.js';
import type { RunRequest } from './frames.js';
import { type OpenedFd, type ProcFacts, openFdOf, procFacts, stdinServable, stillRunning } from './proc-facts.js';
import { startEpochMs } from '../util/proc-start.js';
import { serveCall, type AgentState } from './serve-run.js';
import { onLines } from './door.js';
import { gocpuVersion } from './socket-path.js';
import { closeQuietly, unlinkQuietly } from '../util/quietly.js';

/** A launcher that dies before it opened c<PID>.u closes nothing we wait on: its pid is looked at this often. */
const PID_CHECK_MS = 1000;
/** How long an accepted call waits for the launcher's "go" (it waits 3 s for our "a"). */
const GO_MS = 10_000;
/** Where bin/gocpu keeps its stdin, stdout and stderr for us: a shell's builtin with a redirection (`read <&5`) puts another file on fd 0 or 1 while it runs. */
const STDIN_FD = 3;
const STDOUT_FD = 7;
const STDERR_FD = 8;
const SIGNALS = new Set(['INT', 'TERM', 'HUP', 'QUIT']);
const NAME = /^go_[a-z0-9]+_[a-z0-9]+_exec$/;

/** Writes into one of go's descriptors; each write's callback once its bytes are there. Dropped once the call is over. */
class Relay extends Writable {
  constructor(private readonly target: Writable, private readonly over: { now: boolean }) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.over.now || this.target.destroyed) return cb();
    this.target.write(chunk, () => cb());
  }
}

/** A pipe goes through libuv's event loop (never a blocked thread); /dev/null, a terminal or an appended file is written as a file. */
function writerOf(o: OpenedFd): Writable {
  const w: Writable = o.kind === 'pipe' ? new Socket({ fd: o.fd, readable: false, writable: true }) : createWriteStream('', { fd: o.fd });
  w.on('error', () => {}); // go stopped reading (EPIPE): the bytes have nowhere to go, as for the node wrapper
  return w;
}

const finished = (w: Writable) => new Promise<void>((resolve) => (w.writableFinished || w.destroyed ? resolve() : w.once('finish', resolve).once('close', resolve)));

/** Serves the request line "PID NAME NARGS" that came through the door in dir. */
export function serveDoorCall(line: string, dir: string, state: AgentState, onDone: () => void): void {
  const m = /^(\d+) (\S+) (\d+)$/.exec(line);
  const pid = Number(m?.[1]);
  const nargs = Number(m?.[3]);
  if (!m || !NAME.test(m[2]) || pid <= 1) {
    state.log(`door: a request that is not one: ${JSON.stringify(line.slice(0, 100))}`);
    return onDone();
  }
  const downPath = `${dir}/c${pid}.d`;
  const upPath = `${dir}/c${pid}.u`;
  const opened: number[] = [];
  let down: Socket | undefined;
  let up: Socket | undefined;
  try {
    // The launcher holds c<PID>.d open (read-write) before it knocks: none holds it when it is gone (ENXIO).
    const downFd = openSync(downPath, constants.O_WRONLY | constants.O_NONBLOCK);
    opened.push(downFd);
    const upFd = openSync(upPath, constants.O_RDONLY | constants.O_NONBLOCK);
    opened.push(upFd);
    down = new Socket({ fd: downFd, readable: false, writable: true });
    down.on('error', () => {});
    up = new Socket({ fd: upFd, readable: true, writable: false });
    up.on('error', () => {});
    opened.length = 0;
    // The launcher opens them again by name once accepted: their names go with its "go".
    const unlink = () => {
      unlinkQuietly(downPath);
      unlinkQuietly(upPath);
    };
    accept(pid, m[2], nargs, down, up, state, unlink, onDone);
  } catch (e) {
    opened.forEach(closeQuietly);
    down?.destroy();
    up?.destroy();
    unlinkQuietly(downPath);
    unlinkQuietly(upPath);
    state.log(`door: call of pid ${pid} dropped: ${(e as Error).message}`);
    onDone();
  }
}

/**
 * Says "a" and waits for the launcher's "go": one that gave up on us first (3 s, a
 * wedged agent) runs the call itself, and it must not run twice. Only then are go's
 * pipes opened, so that a call that never goes holds none of them.
 */
function accept(pid: number, name: string, nargs: number, down: Socket, up: Socket, state: AgentState, unlink: () => void, onDone: () => void): void {
  const facts = procFacts(pid);
  if (facts.argv.length < nargs + 1) throw new Error(`its command line has fewer than ${nargs} arguments`);
  let call: ReturnType<typeof startCall> | 'gone' | undefined;
  const drop = () => {
    if (call === undefined) {
      call = 'gone';
      unlink();
      clearTimeout(goTimer);
      up.destroy();
      down.destroy();
      onDone();
    }
  };
  const goTimer = setTimeout(drop, GO_MS);
  up.on('close', drop);
  onLines(up, (l) => {
    if (call === undefined && l === 'go') {
      clearTimeout(goTimer);
      unlink();
      call = startCall(pid, name, nargs, facts, down, up, state, onDone);
    } else if (typeof call === 'object' && SIGNALS.has(l)) call.forward(`SIG${l}`);
  });
  down.write('a\n');
}

function startCall(pid: number, name: string, nargs: number, facts: ProcFacts, down: Socket, up: Socket, state: AgentState, onDone: () => void): { forward(sig: string): void } {
  const none = { forward() {} };
  const fds: (OpenedFd | undefined)[] = [];
  const giveUp = (why: string) => {
    for (const o of fds) if (o) closeQuietly(o.fd);
    state.log(`door: pid ${pid} goes the node wrapper's way: ${why}`);
    up.removeAllListeners('close');
    up.destroy();
    down.end('d\n');
    onDone();
    return none;
  };
  try {
    if (!stdinServable(pid, STDIN_FD)) return giveUp('its stdin is neither a pipe nor /dev/null');
    fds.push(openFdOf(pid, STDOUT_FD), openFdOf(pid, STDERR_FD));
  } catch (e) {
    return giveUp(`its stdin, stdout or stderr cannot be opened (${(e as Error).message})`);
  }
  const [out, err] = fds;
  if (!out || !err) return giveUp('its stdout or stderr is neither a pipe, /dev/null, a terminal nor a file opened for appending');
  // What the launcher's node would take out of its environment (bin/gocpu, node-startup-env.ts, launcher.ts).
  const env = facts.env.filter((b) => !/^GOCPU_(ARGV0|NODE_EXTRA_CA_CERTS|LAUNCHER|LAUNCHER_RELAY|LAUNCHER_DIRECT)=/.test(b.toString('latin1')));
  const req: RunRequest = {
    version: gocpuVersion(),
    name,
    rawArgs: facts.argv.slice(facts.argv.length - nargs).map((b) => b.toString('base64')),
    rawEnv: env.map((b) => b.toString('base64')),
    cwd: facts.cwd,
    merge: out.id === err.id,
    stdin: true,
    tty: facts.tty,
    pid,
    origin: startEpochMs(facts.ticks),
    door: true,
  };
  const over = { now: false };
  // One pipe for both (go test's): one writer, so that their bytes keep their order.
  const outW = writerOf(out);
  const errW = req.merge ? outW : writerOf(err);
  if (req.merge) closeQuietly(err.fd);
  const stdout = new Relay(outW, over);
  const stderr = new Relay(errW, over);
  const abort = new AbortController();
  let stdinSource: Socket | undefined;
  let said = false;
  const close = () => {
    over.now = true;
    clearInterval(pidTimer);
    stdinSource?.destroy();
    outW.destroy();
    errW.destroy();
    up.destroy();
  };
  // The launcher's death: c<PID>.u closes (it opened it after our open, so we see that).
  // Its pid too, as a second guard.
  const gone = (why: string) => {
    if (said) return;
    said = true;
    state.log(`door: pid ${pid}'s run aborted: ${why}`);
    abort.abort();
    close();
    down.destroy();
  };
  const pidTimer = setInterval(() => {
    if (!stillRunning(pid, facts.ticks)) gone('the wrapper is gone (its pid)');
  }, PID_CHECK_MS);
  up.removeAllListeners('close');
  up.on('close', () => gone('the wrapper is gone (its fifo closed)'));
  const caller: Caller = {
    req,
    abort: abort.signal,
    stdin: new PassThrough(),
    stdout,
    stderr,
    started: () => {
      down.write('t\n');
      // Opened only now: nothing of stdin may be read before the test runs (a call sent back is run whole elsewhere).
      try {
        const o = openFdOf(pid, STDIN_FD, true);
        if (o?.kind === 'pipe') {
          stdinSource = new Socket({ fd: o.fd, readable: true, writable: false });
          stdinSource.on('error', () => caller.stdin.end());
          stdinSource.pipe(caller.stdin);
          return;
        }
        if (o) closeQuietly(o.fd);
      } catch {
        // Gone meanwhile: seen as such by c<PID>.u.
      }
      caller.stdin.end();
    },
    send: (last: LastWord) => {
      if (said) return;
      said = true;
      const word = 'direct' in last ? sayDirect(last.direct.warn, stderr) : sayEnd(last.end, stderr);
      void Promise.all([stdout.end(), stderr.end()].map(finished)).then(() => {
        close();
        down.end(`${word}\n`);
      });
    },
  };
  serveCall(caller, state).finally(() => {
    if (!said) gone('the run ended without an end');
    onDone();
  });
  return { forward: (sig) => caller.forward?.(sig) };
}

/** "d"; a warning goes to stderr first, as the node wrapper prints it. */
function sayDirect(warn: string | undefined, stderr: Writable): string {
  if (warn) stderr.write(`gocpu: local: warning: ${warn}\n`);
  return 'd';
}

/** The launcher's line for an end; an error's line goes to stderr first, as the node wrapper prints it. */
function sayEnd(end: Extract<LastWord, { end: unknown }>['end'], stderr: Writable): string {
  if ('error' in end) {
    stderr.write(end.error + '\n');
    return `e ${end.status}`;
  }
  const out = launcherExit(end);
  return `${out.signal ? 'k' : 'e'} ${out.status}`;
}
