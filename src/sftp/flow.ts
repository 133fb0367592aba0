/**
 * Backpressure for one session, both ways. Requests: stop reading the stream while too many
 * are unanswered or while too many reply bytes wait in the stream. Replies: READs wait for
 * room before allocating theirs, because pausing the input alone leaves every READ of the
 * chunk already parsed (an ssh2 chunk of 32 KiB holds ~1000) free to queue 255 KiB each.
 *
 * The budget is ours, not the stream's highWaterMark: that is 16 KiB, less than one 64 KiB
 * reply, so waiting for each 'drain' would leave sshfs's pipeline of READs mostly empty.
 */
import type { Duplex } from 'node:stream';

export interface FlowLimits {
  /** Pause the input at this many unanswered requests... */
  high: number;
  /** ...and resume at this many. */
  low: number;
  /** Reply bytes allowed to wait in the stream before READs and the input wait. */
  outputBudget: number;
}

export const DEFAULT_LIMITS: FlowLimits = { high: 256, low: 64, outputBudget: 4 * 1024 * 1024 };

export class FlowControl {
  private paused = false;
  private closed = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly stream: Duplex,
    /** Requests accepted and not answered yet. */
    private readonly pending: () => number,
    private readonly limits: FlowLimits = DEFAULT_LIMITS,
  ) {
    // 'drain' comes once the buffer empties after a write returned false, which every
    // write past the budget did (the budget is above the highWaterMark).
    stream.on('drain', () => {
      this.wake();
      this.update();
    });
  }

  private full(): boolean {
    return this.stream.writableLength >= this.limits.outputBudget;
  }

  write(buf: Buffer): void {
    this.stream.write(buf);
    if (this.full()) this.update();
  }

  /** Pauses or resumes the input; call whenever `pending` may have changed. */
  update(): void {
    if (this.closed) return;
    const n = this.pending();
    if (!this.paused && (this.full() || n >= this.limits.high)) {
      this.paused = true;
      this.stream.pause();
    } else if (this.paused && !this.full() && n <= this.limits.low) {
      this.paused = false;
      this.stream.resume();
    }
  }

  /** Resolves when a reply can be queued without going over the budget. */
  roomToWrite(): Promise<void> | undefined {
    if (this.closed || !this.full()) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The session is over: nobody waits for room any more. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
