/**
 * The read-ahead blocks of a whole process (read-ahead.ts), under one cap like the other
 * per-process budgets (budget.ts): the agent serves every run from one process, so a
 * per-handle bound alone would let many open files hold unbounded memory. A handle that
 * finds the cap reached reads without read-ahead. Given-back blocks are kept for reuse, a
 * few of them, so a long read does not allocate a fresh buffer (and garbage) per block.
 */
export const BLOCK_SIZE = 256 * 1024;

export class BlockPool {
  /** Blocks handed out and not given back. */
  used = 0;
  private readonly free: Buffer[] = [];

  constructor(
    readonly blockSize = BLOCK_SIZE,
    /** Blocks handed out at once, at most. */
    readonly maxBlocks = 64,
    /** Given-back blocks kept for reuse, at most. */
    readonly maxFree = 8,
  ) {}

  /** A block of blockSize bytes (contents undefined), or undefined when the cap is reached. */
  take(): Buffer | undefined {
    if (this.used >= this.maxBlocks) return undefined;
    this.used++;
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.blockSize);
  }

  give(buf: Buffer): void {
    this.used--;
    if (this.free.length < this.maxFree) this.free.push(buf);
  }
}

/** Shared by every SFTP server of this process: 64 blocks of 256 KiB, 16 MiB at most. */
export const readAheadPool = new BlockPool();
