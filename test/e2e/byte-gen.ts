/**
 * Seeded random byte strings for the argv/env property test: every byte but NUL,
 * biased towards what a shell, a quoting function or a UTF-8 decoder could get
 * wrong, with injection attempts that would leave a file behind if they ran.
 */

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedFrom(env: string | undefined): number {
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`seed ${env} is not an integer in 0..2^32-1`);
    return n;
  }
  return Math.floor(Math.random() * 0x100000000);
}

const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/**
 * Bytes with a meaning somewhere on the way: sh syntax, fstab/header separators,
 * and non-UTF-8 bytes (lone continuation bytes, truncated sequences, 0xfe/0xff,
 * and 0x81..0x88, which dash uses internally as control characters).
 */
const SPECIAL = [
  ...Buffer.from(`'"$()\`\\\n*?[]{}~;&|<>#  \t\r=%!^-.:/,@+`),
  0x01, 0x1b, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0xa0, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xfe, 0xff,
];

/** Shell injection attempts; `target` is a path that exists afterwards only if one ran. */
export function injection(r: () => number, target: string): Buffer {
  const t = target;
  return Buffer.from(pick(r, [
    `$(touch ${t})`,
    `\`touch ${t}\``,
    `'; touch ${t}; '`,
    `"; touch ${t}; "`,
    `'$(touch ${t})'`,
    `"$(touch ${t})"`,
    `\ntouch ${t}\n`,
    `'\\''; touch ${t} #`,
    `\\'; touch ${t}; \\'`,
    `$'\\x27'; touch ${t}`,
    `;exec touch ${t}`,
    `\${IFS}touch\${IFS}${t}`,
    `' && touch ${t} && echo '`,
    `$(touch ${t}`,
  ]));
}

/** One byte string: no NUL, length 0..~400, shaped by the rng. */
export function bytes(r: () => number, injectionTarget: () => string): Buffer {
  const shape = r();
  const len = shape < 0.05 ? 0 : shape < 0.45 ? int(r, 1, 8) : shape < 0.9 ? int(r, 9, 64) : int(r, 65, 400);
  const parts: Buffer[] = [];
  let n = 0;
  while (n < len) {
    const kind = r();
    let b: Buffer;
    if (kind < 0.08) b = injection(r, injectionTarget());
    else if (kind < 0.5) b = Buffer.of(pick(r, SPECIAL));
    else b = Buffer.of(int(r, 1, 255));
    parts.push(b);
    n += b.length;
  }
  return Buffer.concat(parts);
}

export const hex = (b: Buffer) => b.toString('hex');
