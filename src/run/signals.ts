/**
 * Signals for the remote test, sent with kill(1) over a fresh channel to the
 * children of run.sh's pid (run.sh became nsenter, whose child is the test).
 * Not the SSH "signal" request: OpenSSH before 10.0 ignores it for root logins
 * (NOTES.md), and where it is honoured it reaches nsenter, not the test, and
 * nsenter dies of it while the test runs on. A signal that arrives before the
 * test started is handled by ending the run instead (src/cli/main.ts).
 */
import type { Client } from 'ssh2';
import { exec } from '../ssh/connect.js';
import { shellJoin } from '../util/shell-quote.js';

// The namespace holder is nsenter's child too (run.sh started it before it
// became nsenter): it must be spared, or the namespace and the test die with it.
const KILL_CHILDREN = `p=$1 s=$2 d=\${TMPDIR:-/tmp}/gocpu.$3
h=$(cat "$d/holder.pid" 2>/dev/null)
for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do
  [ "$c" = "$h" ] || kill -s "$s" "$c"
done`;

export async function signalRemote(client: Client, nonce: string, pid: number | undefined, signal: string): Promise<void> {
  const name = signal.replace(/^SIG/, '');
  if (pid === undefined) return;
  const ch = await exec(client, shellJoin(['sh', '-c', KILL_CHILDREN, 'gocpu-kill', String(pid), name, nonce]));
  await new Promise<void>((resolve) => {
    ch.on('close', () => resolve());
    ch.resume();
    ch.stderr.resume();
    ch.end();
  });
}
