/**
 * Signals for the remote test, sent with kill(1) over a fresh channel by
 * src/remote/kill.sh, which finds the test below run.sh's pid.
 * Not the SSH "signal" request: OpenSSH before 10.0 ignores it for root logins
 * (NOTES.md), and where it is honoured it reaches run.sh, not the test. A signal
 * that arrives before the test started is handled by ending the run instead
 * (src/cli/main.ts).
 */
import type { Client } from 'ssh2';
import { exec } from '../ssh/connect.js';
import { remoteScript } from '../remote/scripts.js';
import { shellJoin } from '../util/shell-quote.js';

export async function signalRemote(client: Client, nonce: string, pid: number | undefined, signal: string): Promise<void> {
  const name = signal.replace(/^SIG/, '');
  if (pid === undefined) return;
  const ch = await exec(client, shellJoin(['sh', '-c', remoteScript('kill'), 'gocpu-kill', nonce, String(pid), name]));
  await new Promise<void>((resolve) => {
    ch.on('close', () => resolve());
    ch.resume();
    ch.stderr.resume();
    ch.end();
  });
}
