/** `gocpu hosts` asks a running agent what it holds; it never starts one for that. */
import { connect } from 'node:net';
import { type AgentStatus, FRAME, FrameReader, frame } from './frames.js';
import { socketPath } from './socket-path.js';

export function askAgentStatus(env: NodeJS.ProcessEnv, ms = 2000): Promise<AgentStatus | undefined> {
  let path: string;
  try {
    path = socketPath(env);
  } catch {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (v: AgentStatus | undefined) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), ms);
    const reader = new FrameReader((type, payload) => {
      if (type === FRAME.statusReply) done(JSON.parse(payload.toString()) as AgentStatus);
    });
    s.on('connect', () => s.write(frame(FRAME.status)));
    s.on('data', (d: Buffer) => {
      try {
        reader.push(d);
      } catch {
        done(undefined);
      }
    });
    s.on('error', () => done(undefined));
    s.on('close', () => done(undefined));
  });
}
