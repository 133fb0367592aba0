/**
 * Backpressure for one session, both ways. Requests: stop reading the stream while too many
 * are unanswered or while too many reply bytes wait in the stream. Replies: every request
 * waits for room before it runs (and so before it allocates its reply), because pausing
 * the input alone leaves every request of the chunk already parsed free to queue its reply
 * (an ssh2 chunk of 32 KiB holds ~1000 READs of 255 KiB each, or ~3000 READDIRs of 32 KiB).
 * Queued bytes are counted from write() until the stream's callback says they left, so
 * the bound is the budget plus the replies of the requests running at that moment (one,
 * or up to the scheduler's shared READs).
 *
 * The budget is ours, not the stream's highWaterMark: that is 16 KiB, less than one 64 KiB
 * reply, so waiting for each 'drain' would leave sshfs's pipeline of READs mostly empty.
 * It is a quota under the process-wide cap of budget.ts; a session with nothing queued may
 * always send one reply, so others filling the cap slow it down but cannot starve it.
 */
import type { Duplex } from 'node:stream';
import type { ProcessBudget } from './budget.js';

export interface FlowLimits {
  /** Pause the input at this many unanswered requests... */
  high: number;
  /** ...and resume at this many. */
  low: number;
  /** Reply bytes allowed to wait in the stream before requests and the input wait. */
  outputBudget: number;
}

export const DEFAULT_LIMITS: FlowLimits = { high: 256, low: 64, outputBudget: 4 * 1024 * 1024 };

export class FlowControl {
  private paused = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  /** Reply bytes written and not yet flushed by the stream. */
  queued = 0;
  /** The most ever queued at once (tests check the bound). */
  peak = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly stream: Duplex,
    /** Requests accepted and not answered yet. */
    private readonly pending: () => number,
    private readonly pool: ProcessBudget,
    private readonly limits: FlowLimits = DEFAULT_LIMITS,
  ) {
    this.unsubscribe = pool.onReplyRoom(() => this.room());
  }

  private full(): boolean {
    return this.queued >= this.limits.outputBudget || (this.queued > 0 && this.pool.replyFull);
  }

  /** Queues `buf`; `taken` is called once, when the stream no longer needs it (packet-pool.ts). */
  write(buf: Buffer, taken?: () => void): void {
    if (this.closed) {
      this.stream.write(buf, taken && (() => taken()));
      return;
    }
    const n = buf.length;
    this.queued += n;
    this.peak = Math.max(this.peak, this.queued);
    this.pool.addReply(n);
    let settled = false;
    // Called once the bytes have left (or with an error once the stream is destroyed).
    this.stream.write(buf, () => {
      if (settled) return;
      settled = true;
      taken?.();
      if (this.closed) return;
      this.queued -= n;
      this.pool.releaseReply(n);
      this.room();
    });
    if (this.full()) this.update();
  }

  private room(): void {
    if (this.full()) return;
    this.wake();
    this.update();
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
  async roomToWrite(): Promise<void> {
    while (!this.closed && this.full()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** The session is over: nobody waits for room any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    // What is still queued no longer counts against the process once the session is over.
    this.pool.releaseReply(this.queued);
    this.queued = 0;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
