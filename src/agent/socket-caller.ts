/**
 * A call over the agent's socket, from the node wrapper (src/agent/client.ts):
 * frames in (the request, stdin, signals), frames out (accepted, started, the
 * test's bytes, its end). The first frame may instead ask what the agent holds
 * (`gocpu hosts`). The socket's close before the end was sent is the wrapper's
 * death: the run is aborted.
 */
import type { Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import type { Caller, LastWord } from './caller.js';
import { type AgentStatus, FRAME, readFrames, type RunRequest, frame } from './frames.js';
import { serveCall, type AgentState } from './serve-run.js';

const FIRST_FRAME_MS = 10_000;

class FrameWriter extends Writable {
  constructor(private readonly sock: Socket, private readonly type: typeof FRAME.stdout | typeof FRAME.stderr) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    // After END (an early one: the teardown still traces), the wrapper is gone.
    if (this.sock.destroyed || this.sock.writableEnded) return cb();
    if (this.sock.write(frame(this.type, chunk))) cb();
    else this.sock.once('drain', () => cb());
  }
}

export function serveSocket(sock: Socket, state: AgentState, onDone: () => void): void {
  const firstTimer = setTimeout(() => sock.destroy(), FIRST_FRAME_MS);
  const abort = new AbortController();
  let caller: Caller | undefined;
  let endSent = false;
  readFrames(sock, (type, payload) => {
    if (!caller) {
      clearTimeout(firstTimer);
      if (type === FRAME.status) {
        const status: AgentStatus = { pid: process.pid, connections: state.connections.describe() };
        sock.end(frame(FRAME.statusReply, JSON.stringify(status)));
        return;
      }
      if (type !== FRAME.request) return sock.destroy();
      caller = {
        req: JSON.parse(payload.toString()) as RunRequest,
        abort: abort.signal,
        stdin: new PassThrough(),
        stdout: new FrameWriter(sock, FRAME.stdout),
        stderr: new FrameWriter(sock, FRAME.stderr),
        started: () => sock.write(frame(FRAME.started)),
        send: (last: LastWord) => {
          endSent = true;
          if (sock.destroyed || sock.writableEnded) return;
          sock.end('end' in last ? frame(FRAME.end, JSON.stringify(last.end)) : frame(FRAME.direct, JSON.stringify(last.direct)));
        },
      };
      sock.write(frame(FRAME.accepted));
      serveCall(caller, state).finally(onDone);
      return;
    }
    if (type === FRAME.stdin) caller.stdin.write(payload);
    else if (type === FRAME.stdinEof) caller.stdin.end();
    else if (type === FRAME.signal) caller.forward?.(payload.toString());
  });
  sock.on('close', () => {
    clearTimeout(firstTimer);
    // A wrapper that leaves after its END (an early one) leaves a run that is over.
    if (!endSent) abort.abort();
    caller?.stdin.end();
    if (!caller) onDone();
  });
}
