/**
 * Reuse of DATA reply buffers. Every READ needs one of DATA_HEADER + 64 KiB (sshfs with
 * max_read=65536); allocating each afresh made a 100 MB read allocate 100 MB of ArrayBuffers
 * outside V8's heap, and V8 answers external memory growth with full (mark-compact) GCs:
 * measured with --trace-gc on Node 20, about one every 15 MB read, on top of the 32 KiB
 * packet ssh2 1.17 allocates per SSH packet (AESGCMCipherBinding.allocPacket), which is
 * not ours to change. A buffer comes back once the stream has taken the reply (ssh2's
 * Channel copies it into its packets, or keeps it until the window opens and then calls
 * back), so reuse never races a pending write.
 *
 * Bounded: buffers larger than `size` are not pooled, and at most `maxFree` wait for reuse.
 */
import { DATA_HEADER } from './protocol.js';

export class PacketPool {
  private readonly free: Buffer[] = [];

  constructor(
    /** The buffer size pooled; takes of up to this many bytes get one. */
    readonly size: number,
    readonly maxFree = 32,
  ) {}

  /** A buffer of at least n bytes (contents undefined); give it back when the stream is done with it. */
  take(n: number): Buffer {
    if (n > this.size) return Buffer.allocUnsafeSlow(n);
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Takes back a buffer from take(); others (and pooled ones beyond maxFree) are left to the GC. */
  give(buf: Buffer): void {
    if (buf.length === this.size && buf.byteOffset === 0 && this.free.length < this.maxFree) this.free.push(buf);
  }

  /** Buffers waiting for reuse (tests). */
  get idle(): number {
    return this.free.length;
  }
}

/** The DATA replies of every SFTP server of this process: sshfs's 64 KiB READs. */
export const dataPackets = new PacketPool(DATA_HEADER + 64 * 1024);
