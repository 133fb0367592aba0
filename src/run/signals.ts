/**
 * Signals for the remote test. The SSH "signal" request is the polite way, but
 * OpenSSH before 10.0 ignores it for root logins and it cannot reach a process
 * that is not the session's own (NOTES.md); so we also send the signal with
 * kill(1) over a fresh channel, to the children of run.sh's pid (nsenter's child
 * is the test). Both are best effort: a signal that arrives before the test
 * started is delivered by ending the run instead.
 */
import type { Client, ClientChannel } from 'ssh2';
import { exec } from '../ssh/connect.js';
import { shellJoin } from '../util/shell-quote.js';

const KILL_CHILDREN = 'p=$1; s=$2; c=$(cat "/proc/$p/task/$p/children" 2>/dev/null) && [ -n "$c" ] && kill -s "$s" $c';

export async function signalRemote(client: Client, channel: ClientChannel, pid: number | undefined, signal: string): Promise<void> {
  const name = signal.replace(/^SIG/, '');
  try {
    channel.signal(name);
  } catch {
    // channel already closing
  }
  if (pid === undefined) return;
  const ch = await exec(client, shellJoin(['sh', '-c', KILL_CHILDREN, 'gocpu-kill', String(pid), name]));
  await new Promise<void>((resolve) => {
    ch.on('close', () => resolve());
    ch.resume();
    ch.stderr.resume();
    ch.end();
  });
}
