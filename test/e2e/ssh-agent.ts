/** A real, empty ssh-agent on a socket of our choosing, for tests that set SSH_AUTH_SOCK. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

export interface Agent { socket: string; stop: () => void }

export async function startAgent(socket: string): Promise<Agent> {
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const until = Date.now() + 10_000;
  while (!fs.existsSync(socket)) {
    if (Date.now() > until || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`ssh-agent did not create ${socket} within 10 s: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { socket, stop: () => child.kill('SIGTERM') };
}
