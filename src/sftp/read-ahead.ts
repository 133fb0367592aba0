/**
 * Read-ahead for one file handle (issue 8's read throughput). Behind the remote's kernel,
 * sshfs keeps only about 128 KiB of READs in flight for a sequential read (two 64 KiB
 * READs with max_read=65536, measured on sshfs 3.7.3), so the read's speed is 128 KiB per
 * round trip, and a pread through libuv's thread pool for every READ is a hop in each
 * round trip (OpenSSH's sftp-server preads in its one thread, without that hop). Once a
 * handle reads sequentially, we read whole blocks a block ahead of the client, so the
 * READs that follow are answered from memory as soon as they arrive.
 *
 * Bounded: at most `maxPerHandle` blocks per handle, each drawn from the process-wide
 * BlockPool (read-ahead-pool.ts); with none to be had, READs are plain preads as before.
 * Correct whatever the client does: a READ is served from blocks only when they hold all
 * of its bytes (near EOF, or after any failure, the caller preads as before), and the
 * server calls invalidate() before any request that may change a file's bytes (a WRITE, an
 * OPEN for writing, a SETSTAT/FSETSTAT), so a READ never sees data older than the requests
 * before it. Bytes changed by other processes may be seen up to two blocks late, like the
 * remote kernel's own readahead (sshfs's kernel_cache keeps them far longer).
 */
import type { BlockPool } from './read-ahead-pool.js';

/** Reads into `buf` at file offset `pos`; resolves to the bytes read (short only at EOF). */
export type Fill = (buf: Buffer, pos: number) => Promise<number>;

interface Block {
  index: number;
  buf: Buffer;
  /** Bytes the fill put in; -1 while it runs or after it failed. */
  len: number;
  ready: Promise<void>;
  /** Readers copying out of it, and the fill while it runs: the buffer goes back to the pool at 0. */
  pins: number;
  /** No longer in the map (behind the stream, or invalidated). */
  dropped: boolean;
  /** Invalidated: its bytes may predate a change, so nobody may copy them. */
  stale: boolean;
}

export const BLOCKS_AHEAD = 1;

export class ReadAhead {
  private readonly blocks = new Map<number, Block>();
  /** Where the last READ ended: a READ starting there makes the handle sequential. */
  private lastEnd = -1;
  private readonly fills = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly fill: Fill,
    private readonly pool: BlockPool,
    private readonly maxPerHandle = 4,
  ) {}

  private get size(): number {
    return this.pool.blockSize;
  }

  /**
   * Copies [pos, pos + n) into dst at dstOffset and resolves to n, or resolves to undefined:
   * then the caller reads it itself (random access, a pool used up, near EOF, a failed fill).
   */
  async read(pos: number, n: number, dst: Buffer, dstOffset: number): Promise<number | undefined> {
    const end = pos + n;
    const sequential = pos === this.lastEnd || this.holds(pos);
    this.lastEnd = end;
    if (!sequential || n === 0 || this.closed) return undefined;
    const first = Math.floor(pos / this.size);
    const last = Math.floor((end - 1) / this.size);
    // Blocks wholly behind this READ are done with, in a sequential stream.
    for (const b of [...this.blocks.values()]) if ((b.index + 1) * this.size <= pos) this.drop(b);
    for (let i = first; i <= last + BLOCKS_AHEAD; i++) if (!this.blocks.has(i) && !this.start(i)) break;
    const needed: Block[] = [];
    for (let i = first; i <= last; i++) {
      const b = this.blocks.get(i);
      if (!b) return undefined;
      needed.push(b);
    }
    for (const b of needed) b.pins++;
    try {
      for (const b of needed) await b.ready;
      let copied = 0;
      for (const b of needed) {
        const start = b.index * this.size;
        const from = Math.max(pos, start);
        const to = Math.min(end, start + this.size);
        if (b.stale || b.len < to - start) return undefined;
        copied += b.buf.copy(dst, dstOffset + (from - pos), from - start, to - start);
      }
      return copied;
    } finally {
      for (const b of needed) this.unpin(b);
    }
  }

  /** Forgets every block: a request may change the file. Fills in flight are dropped when they land. */
  invalidate(): void {
    for (const b of [...this.blocks.values()]) {
      b.stale = true;
      this.drop(b);
    }
    this.lastEnd = -1;
  }

  /** Stops reading ahead; resolves once no fill is in flight (the descriptor may be closed then). */
  async close(): Promise<void> {
    this.closed = true;
    this.invalidate();
    while (this.fills.size > 0) await Promise.all([...this.fills]);
  }

  /** Blocks held, filled or not (tests). */
  get held(): number {
    return this.blocks.size;
  }

  private holds(pos: number): boolean {
    return this.blocks.has(Math.floor(pos / this.size));
  }

  /** Starts filling block i; false when this handle or the pool has no block to spare. */
  private start(i: number): boolean {
    if (this.closed || this.blocks.size >= this.maxPerHandle) return false;
    const buf = this.pool.take();
    if (!buf) return false;
    const b: Block = { index: i, buf, len: -1, ready: Promise.resolve(), pins: 1, dropped: false, stale: false };
    const run = this.fill(buf, i * this.size).then(
      (got) => {
        if (!b.stale) b.len = got;
      },
      () => undefined, // b.len stays -1: readers pread themselves and see the error
    );
    b.ready = run;
    this.blocks.set(i, b);
    this.fills.add(run);
    void run.then(() => {
      this.fills.delete(run);
      this.unpin(b);
    });
    return true;
  }

  private drop(b: Block): void {
    if (b.dropped) return;
    b.dropped = true;
    if (this.blocks.get(b.index) === b) this.blocks.delete(b.index);
    if (b.pins === 0) this.pool.give(b.buf);
  }

  private unpin(b: Block): void {
    b.pins--;
    if (b.pins === 0 && b.dropped) this.pool.give(b.buf);
  }
}
