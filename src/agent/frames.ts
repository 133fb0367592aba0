/**
 * The wrapper <-> agent protocol on the agent's unix socket: frames of
 * [type: 1 byte][length: 4 bytes, big endian][payload]. One connection is one run.
 *
 *   wrapper -> agent: REQUEST (JSON, first), STDIN, STDIN_EOF, SIGNAL (a name);
 *                     or STATUS alone (`gocpu hosts`), answered by STATUS_REPLY
 *   agent -> wrapper: ACCEPTED (the agent is alive and took the request),
 *                     STARTED (the remote test runs), STDOUT, STDERR,
 *                     END (JSON: how it ended), DIRECT (JSON: run it yourself)
 *
 * Only node:* imports here and in everything the wrapper loads: the wrapper's
 * start is on every call's path (issue 8's warm path).
 */
export const FRAME = {
  request: 1,
  stdin: 2,
  stdinEof: 3,
  signal: 4,
  /** Instead of a request: what the agent holds (`gocpu hosts`); answered by STATUS_REPLY. */
  status: 5,
  accepted: 10,
  started: 11,
  stdout: 12,
  stderr: 13,
  end: 14,
  direct: 15,
  statusReply: 16,
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

/** Larger frames are a broken or hostile peer: the connection is dropped. */
export const MAX_FRAME = 16 << 20;

export function frame(type: FrameType, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Feeds bytes in, calls onFrame per complete frame; throws on an oversized one. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (type: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (len > MAX_FRAME) throw new Error(`frame of ${len} bytes is over the limit`);
      if (this.buf.length < 5 + len) return;
      const type = this.buf[0];
      const payload = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.subarray(5 + len);
      this.onFrame(type, payload);
    }
  }
}

/** Reads frames from a socket; a broken or oversized frame drops the connection. */
export function readFrames(sock: { on(ev: 'data', f: (d: Buffer) => void): unknown; on(ev: 'error', f: () => void): unknown; destroy(): void }, onFrame: (type: number, payload: Buffer) => void): void {
  const reader = new FrameReader(onFrame);
  sock.on('data', (d: Buffer) => {
    try {
      reader.push(d);
    } catch {
      sock.destroy();
    }
  });
  sock.on('error', () => {});
}

/** What a wrapper asks for: everything planRun needs that only the wrapper knows. */
export interface RunRequest {
  /** Protocol check: an agent of another version must not serve us. */
  version: string;
  /** The wrapper's name (go_linux_arm64_exec), and its arguments as bytes (base64). */
  name: string;
  rawArgs: string[];
  rawEnv: string[];
  cwd: string;
  /** stdout and stderr are one pipe (go test): the remote merges them too. */
  merge: boolean;
  /** stdin is forwarded (not a terminal). */
  stdin: boolean;
  /** The wrapper has a terminal to ask a passphrase or password on. */
  tty: boolean;
  pid: number;
  /** Epoch ms of the wrapper's start, for its trace. */
  origin: number;
  /** It came through the door (door-caller.ts): bin/gocpu started no node. */
  door?: boolean;
}

/** END's payload: how the remote test ended, or why there was no test. */
export type EndMessage =
  | { code: number }
  | { signal: string }
  | { error: string; status: number };

/** DIRECT's payload: the agent cannot serve this run; warn says a line to print first. */
export interface DirectMessage {
  warn?: string;
}

/** STATUS_REPLY's payload. */
export interface AgentStatus {
  pid: number;
  /** One entry per open connection: the host alias it was opened for, and its runs now. */
  connections: { host: string; runs: number }[];
}
