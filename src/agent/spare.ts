/**
 * A spare pair of run and watch halves per warm connection: the two channels a run
 * needs, opened before the run exists, so that a warm call does not wait for them.
 * Opening one costs two round trips (CHANNEL_OPEN, then the exec request), plus the
 * remote's login shell and sh starting; at 50 ms that was 100 ms of every call.
 *
 * The halves start as `gocpu-run -` and `gocpu-watch -` (contract.ts: SPARE_NONCE)
 * and learn their run's nonce when one takes them: run.sh from the header, watch.sh
 * from its first line. Until then they only wait on their input, hold no run dir and
 * no mount, and end quietly when it ends (the agent closed them, or the connection
 * went). A pair one of whose halves has closed is never handed out.
 */
import type { Client, ClientChannel } from 'ssh2';
import { openSpareRunChannel } from '../run/program.js';
import { openSpareWatch } from '../run/watchdog.js';

export interface SparePair {
  run: ClientChannel;
  watch: ClientChannel;
}

export class Spare {
  private ready: SparePair | undefined;
  private opening = false;
  /** The server refused a spare's channel (a MaxSessions below ours): no more spares here. */
  private refused = false;

  constructor(private readonly client: Client, private readonly log: (line: string) => void) {}

  /** The ready pair, if there is one that is still whole; the caller owns it from now. */
  take(): SparePair | undefined {
    const p = this.ready;
    this.ready = undefined;
    if (!p) return undefined;
    if (isClosed(p.run) || isClosed(p.watch)) {
      close(p);
      return undefined;
    }
    return p;
  }

  /** Opens a pair in the background unless one is ready or on its way. */
  fill(): void {
    if (this.ready || this.opening || this.refused) return;
    this.opening = true;
    const run = openSpareRunChannel(this.client);
    const watch = openSpareWatch(this.client, true);
    Promise.allSettled([run, watch]).then(([r, w]) => {
      this.opening = false;
      if (r.status === 'fulfilled' && w.status === 'fulfilled') {
        const pair = { run: r.value, watch: w.value };
        for (const ch of [pair.run, pair.watch]) {
          noteClose(ch);
          // Unused, they say nothing; a failure's words have no run to go to.
          ch.stderr.resume();
        }
        this.ready = pair;
        return;
      }
      if (r.status === 'fulfilled') r.value.close();
      if (w.status === 'fulfilled') w.value.close();
      const why = [r, w].find((x) => x.status === 'rejected') as PromiseRejectedResult;
      this.refused = true;
      this.log(`no spare channels on this connection: ${(why.reason as Error)?.message ?? String(why.reason)}`);
    });
  }

  /** Closes a ready pair (the connection stays). */
  drain(): void {
    const p = this.ready;
    this.ready = undefined;
    if (p) close(p);
  }
}

type Closable = ClientChannel & { gocpuClosed?: boolean };

/** From now on, isClosed(ch) says whether the channel has closed. */
export function noteClose(ch: ClientChannel): void {
  ch.on('close', () => ((ch as Closable).gocpuClosed = true));
}

export function isClosed(ch: ClientChannel): boolean {
  return (ch as Closable).gocpuClosed === true;
}

function close(p: SparePair): void {
  p.run.close();
  p.watch.close();
}
