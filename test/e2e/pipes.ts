/**
 * The wrapper's stdio as go gives it: pipes (os.Pipe), stdout and stderr one pipe when
 * they are the same file (go test's), stdin /dev/null unless asked for. Node's 'pipe'
 * is a socket pair, and the agent's door (src/agent/door-caller.ts) opens the wrapper's
 * descriptors anew by their /proc links, which a socket has not: under node's pipes a
 * call takes the node wrapper's way, so the door would go untested. Fifos are pipes.
 */
import { execFileSync } from 'node:child_process';
import { Socket } from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './harness.js';

/** A fifo's two ends: ours as a stream, the child's as a descriptor (blocking, as a pipe's). */
function fifo(dir: string, name: string, childReads: boolean): { ours: Socket; theirs: number } {
  const p = path.join(dir, name);
  execFileSync('mkfifo', [p]);
  const { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK } = fs.constants;
  // Neither open may block: the read end first (non-blocking), or the child's stdin read-write.
  if (childReads) {
    const theirs = fs.openSync(p, O_RDWR);
    return { theirs, ours: new Socket({ fd: fs.openSync(p, O_WRONLY | O_NONBLOCK), readable: false, writable: true }) };
  }
  const ours = new Socket({ fd: fs.openSync(p, O_RDONLY | O_NONBLOCK), readable: true, writable: false });
  return { ours, theirs: fs.openSync(p, O_WRONLY) };
}

export interface ChildPipes {
  /** For spawn's stdio: the child's ends. Close them with `spawned` once it started. */
  stdio: (number | 'ignore')[];
  stdin?: Socket;
  stdout: Socket;
  /** The same stream as stdout when merged. */
  stderr: Socket;
  /** Resolves once every output pipe is at EOF: the child and all it left behind closed them. */
  ended: Promise<void>;
  spawned(): void;
}

export function childPipes(opts: { merged?: boolean; stdin?: boolean }): ChildPipes {
  const t = tempDir(undefined, 'gocpu-e2e-pipes-');
  try {
    const stdin = opts.stdin ? fifo(t.dir, 'in', true) : undefined;
    const out = fifo(t.dir, 'out', false);
    const err = opts.merged ? out : fifo(t.dir, 'err', false);
    const outs = opts.merged ? [out] : [out, err];
    return {
      stdio: [stdin?.theirs ?? 'ignore', out.theirs, err.theirs],
      stdin: stdin?.ours,
      stdout: out.ours,
      stderr: err.ours,
      ended: Promise.all(outs.map((f) => new Promise((r) => f.ours.once('close', r)))).then(() => {}),
      spawned: () => {
        for (const f of [stdin, ...outs]) if (f) fs.closeSync(f.theirs);
      },
    };
  } finally {
    t.cleanup(); // the names go; the open ends stay
  }
}
