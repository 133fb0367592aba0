/**
 * A small seeded PRNG for the SFTP fuzz test. Every session gets its own stream derived from
 * (seed, generator, index), so a failing session can be replayed alone and adding a draw to
 * one generator does not reshuffle every other session.
 */

/** splitmix32-style mixing of a few 32-bit words into one seed. */
export function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    h = Math.imul(h ^ (w >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** FNV-1a of a string, for naming generators in mixSeed. */
export function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: fast, 32 bits of state, good enough to pick fuzz inputs. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x100000000) * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<X>(xs: readonly X[]): X {
    return xs[this.int(xs.length)];
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      for (let j = 0; j < 4 && i + j < n; j++) b[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return b;
  }

  /** Random bytes, most of them zero: length and count fields come out small, so parsers get further. */
  sparseBytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) if (this.chance(0.3)) b[i] = this.int(256);
    return b;
  }

  /** Mostly small numbers, sometimes the edges a length or count field can take. */
  interestingU32(): number {
    switch (this.int(8)) {
      case 0:
        return this.pick([0, 1, 2, 3, 4, 5, 8, 255, 256, 257]);
      case 1:
        return this.pick([0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000, 0x40000, 0x40001, 0x3ffff]);
      case 2:
        return this.u32();
      default:
        return this.int(512);
    }
  }
}
