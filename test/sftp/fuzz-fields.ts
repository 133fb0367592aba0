/**
 * Field generators for the SFTP fuzz test: paths (inside, outside, through hostile links,
 * with `..`, `//`, NUL, overlong and invalid UTF-8, very long), handles (live, stale, forged,
 * oversized), attributes (random flags, lying fields, extended pairs) and integers.
 */
import { Rng } from './fuzz-rng.js';
import { FUZZ_NAME_PREFIX } from './fuzz-fixture.js';
import { u32, u64 } from './raw-client.js';

export interface Places {
  root: string;
  ro: string;
  rw: string;
  bin: string;
  roInside: string;
  canary: string;
  secret: string;
}

const SEGMENTS = [
  '.', '..', '', 'hello.txt', 'sub', 'deep.txt', 'big.bin', 'rel-good', 'up', 'abs-good', 'abs-bad', 'rel-bad', 'dir-bad',
  'bin', 'tool', 'out', 'to-ro', 'data.txt', 'f.txt', 'ro-inside', 'keep.txt', 'out-dir', 'out-abs', 'out-secret',
  'out-dangling', 'out-dangling-abs', 'out-root', 'out-etc', 'to-ro-inside', 'to-ro-file', 'loop', 'canary', 'canary.txt',
  'deeper.txt', 'secret', 'secret.txt', 'ro', 'rw', 'etc', 'passwd', 'tmp', 'proc', 'self',
];

/** A name the server may create; the prefix makes strays findable anywhere on disk. */
export function newName(rng: Rng): string {
  return `${FUZZ_NAME_PREFIX}${rng.pick(['a', 'b', 'dir', 'file', 'link', 'x'])}${rng.int(4)}`;
}

function segment(rng: Rng): string {
  return rng.chance(0.25) ? newName(rng) : rng.pick(SEGMENTS);
}

function hostile(rng: Rng, pl: Places): string {
  return rng.pick([
    '/etc/passwd', '/', '/proc/self/environ', '/proc/self/fd/0', '/proc/self/root/etc/passwd', '/dev/zero',
    `${pl.secret}/secret.txt`, pl.secret, pl.canary, `${pl.canary}/canary.txt`, `${pl.canary}/sub`,
    `${pl.ro}/../secret/secret.txt`, `${pl.rw}/../canary/canary.txt`, `${pl.rw}/../../../..${pl.canary}/canary.txt`,
    `${pl.ro}/sub/../../canary`, `${pl.rw}/out-dir/canary.txt`, `${pl.rw}/out-dir/sub/deeper.txt`, `${pl.rw}/sub/up/out-dir`,
    `${pl.rw}/sub/out-dir/canary.txt`, `${pl.bin}/out/canary.txt`, `${pl.ro}/dir-bad/secret.txt`, `${pl.rw}/out-root/etc/passwd`,
    `../../../../etc/passwd`, `..${pl.canary}`, `/tmp/${FUZZ_NAME_PREFIX}out`, `${pl.root}/${FUZZ_NAME_PREFIX}out`,
    `/${FUZZ_NAME_PREFIX}out`, `${pl.canary}/${FUZZ_NAME_PREFIX}new`, `${pl.rw}/out-dir/${FUZZ_NAME_PREFIX}new`,
    `${pl.rw}/out-dangling`, `${pl.rw}/out-dangling-abs`, `${pl.rw}/to-ro-inside/${FUZZ_NAME_PREFIX}new`, `${pl.rw}/to-ro-file`,
    `${pl.rw}/to-ro`, `${pl.bin}/to-ro`, `${pl.roInside}/keep.txt`, `${pl.ro}/hello.txt`, pl.rw, pl.bin, pl.ro, pl.roInside,
  ]);
}

/** A path made of export roots, names from the fixture, `..`, `.` and empty segments. */
function composed(rng: Rng, pl: Places): string {
  const base = rng.pick([pl.ro, pl.rw, pl.rw, pl.bin, pl.roInside, pl.root, pl.canary, '/', '', '.', '..', '/tmp', `${pl.rw}/sub`]);
  const parts = [base];
  const n = rng.int(5);
  for (let i = 0; i < n; i++) parts.push(segment(rng));
  return parts.join(rng.chance(0.15) ? '//' : '/');
}

/** Paths a real client would send: existing entries of the exports, or new names in writable dirs. */
function plausible(rng: Rng, pl: Places): string {
  if (rng.chance(0.4)) {
    const dir = rng.pick([pl.rw, pl.rw, `${pl.rw}/sub`, pl.bin, `${pl.rw}/${newName(rng)}`]);
    return `${dir}/${newName(rng)}`;
  }
  return rng.pick([
    pl.ro, `${pl.ro}/hello.txt`, `${pl.ro}/sub`, `${pl.ro}/sub/deep.txt`, `${pl.ro}/big.bin`, `${pl.ro}/rel-good`, `${pl.ro}/sub/up`,
    `${pl.ro}/abs-good`, pl.rw, `${pl.rw}/data.txt`, `${pl.rw}/sub`, `${pl.rw}/sub/f.txt`, pl.bin, `${pl.bin}/tool`, pl.roInside,
    `${pl.rw}/sub/up`, `${pl.bin}/up`,
    `${pl.roInside}/keep.txt`, '/', '.', '', pl.root,
  ]);
}

/** A path as the bytes of an SSH string (Buffer, so it can be invalid UTF-8). */
export function genPath(rng: Rng, pl: Places): Buffer {
  switch (rng.int(20)) {
    case 0:
    case 1:
    case 2:
      return Buffer.from(composed(rng, pl));
    case 3:
    case 4:
    case 5:
      return Buffer.from(hostile(rng, pl));
    case 6:
      return Buffer.from(`${composed(rng, pl)}\0${rng.chance(0.5) ? '/../../canary' : composed(rng, pl)}`);
    case 7: {
      // Very long: a name over NAME_MAX, a path over PATH_MAX, or climbing far up.
      const base = rng.pick([pl.rw, pl.ro, pl.bin]);
      const n = rng.pick([255, 256, 300, 4096, 5000, 60_000]);
      return Buffer.from(
        rng.pick([`${base}/${FUZZ_NAME_PREFIX}${'a'.repeat(n)}`, `${base}/${'a/'.repeat(n >> 1)}`, `${base}/${'../'.repeat(n >> 2)}${pl.canary.slice(1)}/canary.txt`]),
      );
    }
    case 8: {
      // Invalid and overlong UTF-8 (0xc0 0xae is an overlong '.', 0xc0 0xaf an overlong '/').
      const junk = rng.pick([[0xff, 0xfe], [0xc0, 0xae, 0xc0, 0xae, 0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x80], [0x80], [0xf4, 0x90, 0x80, 0x80]]);
      const base = rng.pick([pl.rw, pl.ro, `${pl.rw}/${FUZZ_NAME_PREFIX}`]);
      return Buffer.concat([Buffer.from(`${base}/`), Buffer.from(junk), Buffer.from(rng.chance(0.5) ? '' : `/../canary`)]);
    }
    case 9:
      return rng.bytes(rng.int(40));
    default:
      return Buffer.from(plausible(rng, pl));
  }
}

/** Link targets: harmless, relative and absolute escapes, loops, long and odd texts. */
export function genLinkTarget(rng: Rng, pl: Places): Buffer {
  if (rng.chance(0.5)) return genPath(rng, pl);
  return Buffer.from(
    rng.pick([
      '../canary', '../../canary', '../secret/secret.txt', pl.canary, `${pl.canary}/canary.txt`, '/', '/etc/passwd', '.', '..',
      'data.txt', 'ro-inside', 'ro-inside/keep.txt', '../ro/hello.txt', `${FUZZ_NAME_PREFIX}a0`, 'x'.repeat(4095), 'x'.repeat(5000), '',
      `../canary/${FUZZ_NAME_PREFIX}via-link`, '/proc/self/cwd',
    ]),
  );
}

/**
 * Handles: the server hands out 4-byte counters from 1, so small numbers hit live handles
 * or stale (closed) ones; the rest are forged, mis-sized, or over ssh2's 256-byte limit.
 */
export function genHandle(rng: Rng, issued: number): Buffer {
  switch (rng.int(16)) {
    case 0:
      return u32(rng.pick([0, 0xffffffff, 0x80000000, issued + 1, issued + 100]));
    case 1:
      return rng.bytes(rng.pick([0, 1, 3, 5, 8, 16, 255, 256, 257, 300]));
    case 2:
      return Buffer.from(rng.pick(['1', '0001', '', 'handle']));
    default:
      // Low numbers most: the server counts only the opens that succeeded.
      return u32(rng.range(1, 1 + rng.int(issued + 1)));
  }
}

export function genU64(rng: Rng): Buffer {
  switch (rng.int(6)) {
    case 0:
      return u64(rng.pick([0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]));
    case 1:
      return rng.bytes(8);
    default:
      return u64(rng.int(rng.chance(0.5) ? 16 : 4 * 1024 * 1024));
  }
}

/** SFTP v3 ATTRS: real combinations, random flags, and fields that disagree with the flags. */
export function genAttrs(rng: Rng): Buffer {
  let flags = 0;
  for (const bit of [1, 2, 4, 8]) if (rng.chance(0.3)) flags |= bit;
  if (rng.chance(0.05)) flags |= 0x80000000;
  if (rng.chance(0.03)) flags = rng.u32();
  const parts: Buffer[] = [u32(flags)];
  const lie = rng.chance(0.04);
  const present = lie ? rng.u32() : flags;
  if (present & 1) parts.push(rng.chance(0.7) ? u64(rng.int(100_000)) : genU64(rng));
  if (present & 2) parts.push(u32(rng.pick([0, process.getuid?.() ?? 0, 65534, 0xffffffff, rng.u32()])), u32(rng.pick([0, 65534, 0xffffffff, rng.u32()])));
  if (present & 4) parts.push(u32(rng.pick([0o644, 0o755, 0o777, 0o4755, 0o1777, 0, 0o100644, 0o40755, rng.u32()])));
  if (present & 8) parts.push(u32(rng.u32()), u32(rng.pick([0, 1, 0x7fffffff, 0xffffffff, rng.u32()])));
  if (present & 0x80000000) {
    const n = rng.chance(0.9) ? rng.int(3) : rng.interestingU32();
    parts.push(u32(n));
    for (let i = 0; i < Math.min(n, 3); i++) parts.push(u32(4), Buffer.from('name'), u32(rng.int(8)), rng.bytes(rng.int(8)));
  }
  if (rng.chance(0.03)) parts.push(rng.bytes(rng.int(12)));
  return Buffer.concat(parts);
}

/** OPEN pflags: what sshfs sends, and random bit soup. */
export function genPflags(rng: Rng): number {
  if (rng.chance(0.2)) return rng.u32();
  return rng.pick([0x01, 0x02, 0x03, 0x1a, 0x0a, 0x2a, 0x3a, 0x06, 0x0e, 0x12, 0x10, 0x08, 0x20, 0x00, 0x3f]);
}

/**
 * OPEN's path and pflags together, so that half the opens succeed (and hand out handles for
 * the handle requests to hit): existing files read or written, new files created.
 */
export function genOpen(rng: Rng, pl: Places): { path: Buffer; pflags: number } {
  switch (rng.int(4)) {
    case 0: {
      const f = rng.pick([`${pl.ro}/hello.txt`, `${pl.ro}/big.bin`, `${pl.ro}/rel-good`, `${pl.ro}/sub/up`, `${pl.roInside}/keep.txt`, `${pl.ro}/abs-good`]);
      return { path: Buffer.from(f), pflags: rng.chance(0.8) ? 0x01 : genPflags(rng) };
    }
    case 1: {
      const f = rng.pick([`${pl.rw}/data.txt`, `${pl.rw}/sub/f.txt`, `${pl.bin}/tool`, `${pl.rw}/${newName(rng)}`, `${pl.ro}/abs-good`]);
      return { path: Buffer.from(f), pflags: rng.pick([0x01, 0x02, 0x03, 0x0a, 0x1a, 0x0b, 0x06, 0x13]) };
    }
    case 2:
      return { path: Buffer.from(`${rng.pick([pl.rw, `${pl.rw}/sub`, pl.bin])}/${newName(rng)}`), pflags: rng.pick([0x1a, 0x0a, 0x2a, 0x1b, 0x0e]) };
    default:
      return { path: genPath(rng, pl), pflags: genPflags(rng) };
  }
}
