/**
 * Resource budgets (issue 7, class 7): a quota per session under a cap per process. The cap
 * lives in one module-level object shared by every server in the process, because a
 * per-host agent will serve many runs (sessions) from one process and file descriptors
 * are per process. A session over its quota, or finding the process cap used up by others,
 * gets an SFTP FAILURE for the request (descriptors) or waits for room (reply bytes); it
 * never takes the process down.
 *
 * Directory listings hold no per-handle copy of the names (READDIR reads them lazily from
 * the directory, see handlers/dirs.ts), so their memory is bounded by the descriptor quota
 * times one batch.
 */
export interface ProcessLimits {
  /** Descriptors held by handles of all sessions together (a directory handle holds 2). */
  descriptors: number;
  /** Reply bytes queued on all sessions' streams together. */
  replyBytes: number;
}

export const DEFAULT_PROCESS_LIMITS: ProcessLimits = { descriptors: 8192, replyBytes: 64 * 1024 * 1024 };

export class ProcessBudget {
  descriptors = 0;
  replyBytes = 0;
  private readonly roomListeners = new Set<() => void>();

  constructor(readonly limits: ProcessLimits = DEFAULT_PROCESS_LIMITS) {}

  takeDescriptors(n: number): boolean {
    if (this.descriptors + n > this.limits.descriptors) return false;
    this.descriptors += n;
    return true;
  }

  giveDescriptors(n: number): void {
    this.descriptors -= n;
  }

  get replyFull(): boolean {
    return this.replyBytes >= this.limits.replyBytes;
  }

  addReply(n: number): void {
    this.replyBytes += n;
  }

  releaseReply(n: number): void {
    const wasFull = this.replyFull;
    this.replyBytes -= n;
    if (wasFull && !this.replyFull) for (const f of [...this.roomListeners]) f();
  }

  /** Calls `f` whenever reply room appears after the cap was reached; returns the unsubscribe. */
  onReplyRoom(f: () => void): () => void {
    this.roomListeners.add(f);
    return () => this.roomListeners.delete(f);
  }
}

/** Shared by every SFTP server of this process. */
export const processBudget = new ProcessBudget();

/** One session's descriptor quota, drawn from the process cap. */
export class DescriptorQuota {
  used = 0;

  constructor(
    readonly max: number,
    private readonly pool: ProcessBudget,
  ) {}

  /** False when over the session quota or the process cap: the caller answers FAILURE. */
  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    if (!this.pool.takeDescriptors(n)) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
    this.pool.giveDescriptors(n);
  }
}
