/**
 * The watch half: a third channel running watch.sh, the run's dead man's switch
 * on both ends. We send a beat every HEARTBEAT_MS and the remote echoes it:
 *  - if the remote stops hearing us (link cut, gocpu killed) it tears the run
 *    down by itself within REMOTE_LIMIT_S seconds;
 *  - if we stop hearing the remote for SILENCE_MS, the run fails here with a
 *    clear message instead of hanging until go's 10 minute timeout.
 * Each goes as a line of its own (one byte and a newline: the remote reads them with
 * a builtin read, not a fork per byte). "q" says goodbye when the run ends normally;
 * "e" asks how the test ended, as run.sh recorded it (answered by an `end` control
 * line on the channel's stderr);
 * "l" asks for go's test log (a `testlog` line; src/run/test-log.ts).
 * The bytes and words are src/remote/contract.ts's.
 */
import type { Client, ClientChannel } from 'ssh2';
import { GocpuError } from '../errors.js';
import { exec } from '../ssh/connect.js';
import { HEARTBEAT, WORDS } from '../remote/contract.js';
import { remoteScript } from '../remote/scripts.js';
import { shellJoin } from '../util/shell-quote.js';
import { ControlStream } from './control.js';
import { bindSpare } from './program.js';
import { trace } from '../util/trace.js';

// The remote gives up after REMOTE_LIMIT_S without a beat and is clean about a
// second later: within the 10 s the issue allows after a cut. A beat every second
// tolerates a local stall (a busy laptop, go test -p 32 on 2 cores) of ~6 s.
const HEARTBEAT_MS = 1000;
export const REMOTE_LIMIT_S = 7;
const SILENCE_MS = 15000;

export interface Watchdog {
  /** Rejects when the remote has gone silent; never resolves. */
  dead: Promise<never>;
  /** Ends the run's pid namespace (the test has exited; its leftovers go too). */
  reap(): void;
  /** Set when the remote tore the run down because it stopped hearing us. */
  tornDown(): GocpuError | undefined;
  /** The run dir's end record (`code C` / `signal N NAME` / `none`), if it answers within ms. */
  askEnd(ms: number): Promise<string | undefined>;
  /**
   * Once the test has started (run.sh made the fifo the pusher waits on): go's test log
   * comes by itself when the test has ended, up to a round trip sooner than asked for.
   */
  pushLog(): void;
  /**
   * The watch half's `testlog` answer (src/run/test-log.ts): the one it pushed if it came
   * within graceMs, else the answer to an ask within askMs.
   */
  testLog(graceMs: number, askMs: number): Promise<string | undefined>;
  stop(): Promise<void>;
  /** Ends the stream without goodbye: the remote tears the run down (its wrapper is gone). */
  abandon(): Promise<void>;
}

/** A watch half opened before its run exists (src/agent/spare.ts, src/remote/spare.sh): startWatchdog gives it its run. */
export function openSpareWatch(client: Client, shared: boolean): Promise<ClientChannel> {
  return exec(client, shellJoin(['sh', '-c', remoteScript('spare'), 'gocpu-spare', remoteScript('watch'), 'gocpu-watch', String(REMOTE_LIMIT_S), shared ? '1' : '0']));
}

/**
 * shared: the connection carries other runs; the remote's teardown must spare it.
 * spare: a watch half from openSpareWatch, bound to this run by its first line.
 */
export async function startWatchdog(client: Client, host: string, nonce: string, shared = false, spare?: ClientChannel): Promise<Watchdog> {
  let channel: ClientChannel;
  if (spare) {
    channel = spare;
    bindSpare(channel, nonce);
  } else channel = await exec(client, shellJoin(['sh', '-c', remoteScript('watch'), 'gocpu-watch', nonce, String(REMOTE_LIMIT_S), shared ? '1' : '0']));
  const send = (b: string) => channel.write(`${b}\n`);
  let lastHeard = Date.now();
  let torn: GocpuError | undefined;
  channel.on('data', (d: Buffer) => {
    lastHeard = Date.now();
    if (d.includes(HEARTBEAT.torn)) {
      torn = new GocpuError('REMOTE_WATCHDOG', `${host} heard no heartbeat from gocpu for ${REMOTE_LIMIT_S} s and stopped the test`, {
        side: 'remote',
        hint: 'the link stalled or this machine was too busy to answer; run again',
      });
    }
  });
  const ends: ((detail: string) => void)[] = [];
  // The first `testlog` line (pushed or asked for) is the answer; it may come before anyone waits.
  let logLine: string | undefined;
  const logWaiters: ((detail: string) => void)[] = [];
  channel.stderr.pipe(new ControlStream(nonce, null, (l) => {
    if (l.word === WORDS.end) ends.shift()?.(l.detail);
    if (l.word === WORDS.testlog && logLine === undefined) {
      logLine = l.detail;
      for (const w of logWaiters.splice(0)) w(l.detail);
    }
  }));
  const within = <T>(ms: number, wait: (resolve: (v: T) => void) => void) =>
    new Promise<T | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), ms);
      wait((v) => {
        clearTimeout(t);
        resolve(v);
      });
    });
  /** The test log's line, as soon as it is here (sending `byte` first, to ask for it), or undefined after ms. */
  const logWithin = (ms: number, byte?: string) =>
    logLine !== undefined ? Promise.resolve(logLine) : within<string>(ms, (resolve) => {
      logWaiters.push(resolve);
      if (byte) send(byte);
    });
  let fail: (e: GocpuError) => void = () => {};
  const dead = new Promise<never>((_, reject) => {
    fail = reject;
  });
  dead.catch(() => {});
  const timer = setInterval(() => {
    if (Date.now() - lastHeard > SILENCE_MS) {
      clearInterval(timer);
      fail(new GocpuError('REMOTE_SILENT', `${host} stopped answering for ${SILENCE_MS / 1000} s (network down, or the host hangs)`, {
        side: 'remote',
        hint: 'check the link to the host; the remote side cleans up by itself',
      }));
      return;
    }
    send(HEARTBEAT.beat);
  }, HEARTBEAT_MS);
  timer.unref();
  const closed = new Promise<void>((r) => channel.on('close', () => r()));
  const closedWithin = async (ms: number) => {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
  };
  return {
    dead,
    tornDown: () => torn,
    reap: () => {
      send(HEARTBEAT.reap);
    },
    askEnd: (ms) =>
      within<string>(ms, (resolve) => {
        ends.push(resolve);
        send(HEARTBEAT.askEnd);
      }),
    pushLog: () => {
      send(HEARTBEAT.pushLog);
    },
    async testLog(graceMs: number, askMs: number) {
      const pushed = await logWithin(graceMs);
      if (pushed !== undefined) return pushed;
      trace(`test log: not pushed within ${graceMs} ms; asking`);
      return logWithin(askMs, HEARTBEAT.askLog);
    },
    async stop() {
      clearInterval(timer);
      channel.end(`${HEARTBEAT.quit}\n`);
      await closedWithin(2000);
    },
    async abandon() {
      clearInterval(timer);
      channel.end();
      // The teardown waits up to 3 s for the mount half to remove the run dir.
      await closedWithin(5000);
    },
  };
}
