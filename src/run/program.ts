/**
 * The run half: one exec channel runs run.sh, which reads the run header from
 * stdin, waits for the mount, builds the view, runs the test and ends as it did.
 * Its stdout is the test's stdout byte for byte; its stderr is ours until the exec
 * marker, the test's after it; its exit status or signal is the test's (a signal
 * sshd cannot name comes back through the watch half: exact-end.ts).
 * With a local terminal (io.terminal) the run channel gets a pty instead: its output
 * is the program's stdout and stderr as one stream, the header and the control
 * lines go on a channel of their own (src/remote/ctl.sh), and the exit status is
 * what a shell sees (128+N for a death by signal N).
 */
import { AsyncResource } from 'node:async_hooks';
import type { Client, ClientChannel } from 'ssh2';
import { QEMU_BINFMT, UNAME_MACHINES } from '../config/target.js';
import { GocpuError } from '../errors.js';
import { exec } from '../ssh/connect.js';
import { RUN_MODES, WORDS } from '../remote/contract.js';
import { droppedEnvNames, encodeHeader } from '../remote/header.js';
import { remoteScript } from '../remote/scripts.js';
import { shellJoin } from '../util/shell-quote.js';
import { trace, tracing } from '../util/trace.js';
import type { LocalTerminal } from '../terminal/local-terminal.js';
import type { RemoteEnd } from '../gotest/exit-status.js';
import { type ControlLine, ControlStream } from './control.js';
import type { HeaderBinary } from './late-binary.js';
import type { Mount } from './mount.js';
import type { RunPlan } from './plan.js';
import { explainRemoteFailure } from './remote-errors.js';
import { wantsLog } from './test-log.js';

export interface ProgramIo {
  stdin: NodeJS.ReadableStream | null;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Set when stdin and stdout are a terminal: the program runs on a remote pty. */
  terminal?: LocalTerminal;
}

export interface Program {
  /** The test's end, or a GocpuError if it never started. */
  end: Promise<RemoteEnd>;
  /** The remote pid of run.sh, once known: the test is below it (src/remote/kill.sh). */
  pid(): number | undefined;
  /** Resolves when the test has started (exec.sh's last word before it becomes the test). */
  started: Promise<void>;
  channel: ClientChannel;
}

function waitFor<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts run.sh on a channel of its own (no pty). It waits for its header on stdin,
 * so the channel can open, and the remote shell start, while the mount half and the
 * binary cache are still being set up: a round trip and a process start off every
 * call. Closing the channel before startProgram wrote the header ends run.sh quietly.
 */
export function openRunChannel(client: Client, plan: RunPlan): Promise<ClientChannel> {
  return exec(client, shellJoin(['sh', '-c', remoteScript('run'), 'gocpu-run', plan.nonce]));
}

/**
 * A run half opened before its run exists (src/agent/spare.ts, src/remote/spare.sh):
 * bindSpare gives it its run, and it becomes what openRunChannel starts.
 */
export function openSpareRunChannel(client: Client): Promise<ClientChannel> {
  return exec(client, shellJoin(['sh', '-c', remoteScript('spare'), 'gocpu-spare', remoteScript('run'), 'gocpu-run']));
}

/** Gives a spare half (spare.sh) its run: the nonce, on the first line of its input. */
export function bindSpare(channel: ClientChannel, nonce: string): void {
  channel.write(`${nonce}\n`);
}

/**
 * binary: the test binary's sha256 in the remote's cache (src/agent/binary-cache.ts), or
 * a promise of it while it is hashed and sent (src/run/late-binary.ts): the header then
 * says so, and the sha256 follows it on a line of its own (with the id of the upload still
 * committing it; an empty line: it could not be cached, and is paged in through the
 * mount) before the test's stdin.
 * opened: the run channel from openRunChannel (not for a terminal session, whose
 * channel has a pty and a control channel beside it).
 */
export async function startProgram(client: Client, plan: RunPlan, io: ProgramIo, mount: Mount, onExit: () => void = () => {}, binary?: HeaderBinary, opened?: ClientChannel): Promise<Program> {
  const header = encodeHeader({ cwd: plan.cwd, exports: mount.copy?.exports ?? plan.viewExports, root: plan.remoteRoot, merge: plan.merge, trace: tracing(), env: plan.env, argv: plan.argv, shared: mount.shared, aliased: mount.aliased, asUser: plan.asUser,
    copy: mount.copy ? { readOnly: mount.copy.readOnly, inPlace: mount.copy.inPlace } : undefined,
    binary: binary && plan.binary ? { sha: typeof binary === 'string' ? binary : undefined, path: plan.binary } : undefined,
    testLog: wantsLog(plan, mount),
    arch: plan.binaryTarget ? { machines: UNAME_MACHINES[plan.binaryTarget.goarch], binfmt: QEMU_BINFMT[plan.binaryTarget.goarch] } : undefined,
  });
  const dropped = droppedEnvNames(plan.env);
  if (dropped.length > 0) {
    io.stderr.write(`gocpu: local: warning: not forwarding ${dropped.join(', ')} (names the remote shell or gocpu's scripts reserve)\n`);
  }
  const terminal = io.terminal;
  const pty = terminal?.pty();
  if (pty && opened) throw new Error('startProgram: a terminal session opens its own run channel');
  if (pty && typeof binary === 'object') throw new Error('startProgram: a terminal session\'s header comes from ctl.sh, with the binary in the cache');
  const [channel, ctl] = await Promise.all([
    pty
      ? exec(client, shellJoin(['sh', '-c', remoteScript('run'), 'gocpu-run', plan.nonce, RUN_MODES.pty]), { pty: { ...pty, width: 0, height: 0 } })
      : (opened ?? openRunChannel(client, plan)),
    pty ? exec(client, shellJoin(['sh', '-c', remoteScript('ctl'), 'gocpu-ctl', plan.nonce])) : undefined,
  ]);
  let remotePid: number | undefined;
  let markStarted = () => {};
  const started = new Promise<void>((r) => (markStarted = r));
  // Bound: the channel's events come from the connection's context, and in the
  // agent the trace of this run lives in the run's (src/util/trace.ts).
  const control = new ControlStream(plan.nonce, io.stderr, AsyncResource.bind((l: ControlLine) => {
    if (l.word === WORDS.pid) remotePid = Number(l.detail);
    if (l.word === WORDS.exec) markStarted();
    if (l.word === WORDS.trace) trace(`remote: ${l.detail}`);
  }));
  (ctl ?? channel).stderr.pipe(control);
  channel.pipe(io.stdout as NodeJS.WritableStream, { end: false });
  if (ctl) {
    ctl.resume();
    channel.stderr.pipe(io.stderr as NodeJS.WritableStream, { end: false });
  }
  const controlDone = new Promise<void>((r) => control.on('finish', r));

  let exit: RemoteEnd | undefined;
  channel.on('exit', AsyncResource.bind((code: number | null, signal?: string) => {
    exit = signal ? { signal } : { code: code ?? 255 };
    trace(`remote exit: ${JSON.stringify(exit)}`);
    // A process the test left behind may hold the channel's stdout open; sshd
    // closes the channel only when nothing does.
    onExit();
  }));
  const closed = new Promise<void>((r) => channel.on('close', r));

  const stdin = io.stdin;
  let stopResize = () => {};
  if (ctl && terminal) {
    // A mount half that ended before the program started means it never will: hang
    // up the pty (sshd sends SIGHUP to run.sh, which may wait on ctl.sh's fifos).
    mount.closed.then(() => {
      if (!control.started) channel.close();
    }).catch(() => {});
    ctl.end(withLength(header));
    terminal.raw();
    stopResize = terminal.onResize((s) => channel.setWindow(s.rows, s.cols, 0, 0));
  } else {
    channel.write(withLength(header));
  }
  // A terminal ends only by a ^D typed before raw mode began (cooked mode): that is
  // no EOF for a pty, whose program reads ^D itself.
  const relayStdin = () => {
    if (stdin) stdin.pipe(channel, { end: !ctl });
    else channel.end();
  };
  if (typeof binary === 'object' && plan.binary) {
    binary.late.then((line) => {
      trace(!line ? 'binary: the run half pages it in through the mount' : line.includes(' ') ? 'binary: being committed to the remote cache; the run half told' : 'binary: in the remote cache; the run half told');
      // The run may have ended meanwhile (its view failed, the wrapper went).
      if (!channel.writable) return;
      channel.write(`${line ?? ''}\n`);
      relayStdin();
    });
  } else relayStdin();

  const end = (async (): Promise<RemoteEnd> => {
    await closed;
    stopResize();
    terminal?.restore();
    await waitFor(controlDone, 2000);
    if (stdin) {
      stdin.unpipe(channel);
      (stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
    if (!control.started) {
      // The mount half's messages say why more often than ours; let them arrive.
      await waitFor(mount.closed, 3000);
      throw explainRemoteFailure({
        host: plan.host,
        target: plan.binaryTarget,
        errors: [...mount.control.errors(), ...control.errors()],
        other: [...mount.control.other, ...control.other],
        exitCode: exit && 'code' in exit ? exit.code : null,
      });
    }
    if (!exit) {
      throw new GocpuError('REMOTE_LOST', `the connection to ${plan.host} ended while the test ran, without an exit status`, {
        side: 'remote',
        hint: 'check the network and the remote host; run `gocpu doctor` for this host',
      });
    }
    return exit;
  })();
  end.catch(() => {});
  return { end, pid: () => remotePid, started, channel };
}

/** What run.sh reads first: the header's length on a line, then the header. */
function withLength(header: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${header.length}\n`), header]);
}
