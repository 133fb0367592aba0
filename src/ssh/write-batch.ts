/**
 * Batches what ssh2 writes to the connection's socket during one turn of the event loop
 * into one writev. ssh2 writes every SSH packet with its own socket.write(), and with
 * TCP_NODELAY (set for runs) each is a syscall and a segment: a 64 KiB SFTP DATA reply is
 * three packets (sshd's session channels take 32 KiB packets), and sshfs's READs come in
 * pairs, so six syscalls and up to six wake-ups of the remote sshd per round trip. Corked
 * until the tick's end, the pair goes out in one writev: the bench's 100 MB read through
 * GOCPU_AGENT=0 on a 2-CPU machine took 0.41-0.49 s of system time in the wrapper instead
 * of 0.53-0.59 s (interleaved runs, same load).
 *
 * The uncork is a process.nextTick from the first write: it runs once every promise job
 * queued by then has run, so replies finished in the same burst of microtasks (a pair of
 * READs answered from read-ahead) share the writev, and nothing waits for I/O to go out.
 */
import type { Client } from 'ssh2';

interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Returns `batch`, to call before each write that should share its tick's writev, or
 * undefined when the client's socket is not at hand. ssh2 1.17 keeps it in the private
 * Client._sock (client.js, connect()); a later ssh2 without it leaves writes unbatched.
 */
export function writeBatcher(client: Client): (() => void) | undefined {
  const sock = (client as unknown as { _sock?: Partial<Corkable> })._sock;
  if (typeof sock?.cork !== 'function' || typeof sock.uncork !== 'function') return undefined;
  const s = sock as Corkable;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    s.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    s.cork();
    process.nextTick(uncork);
  };
}
