/**
 * Targets: a Linux GOARCH, learned from the wrapper's own name
 * (go_linux_arm64_exec), from flags, or from the ELF header of the binary.
 */
import { openSync, readSync, closeSync } from 'node:fs';

export const LINUX_GOARCHES = [
  '386', 'amd64', 'arm', 'arm64', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le',
  'ppc64', 'ppc64le', 'riscv64', 's390x',
] as const;
export type GoArch = (typeof LINUX_GOARCHES)[number];

export interface Target { goos: 'linux'; goarch: GoArch }

export function isGoArch(s: string): s is GoArch {
  return (LINUX_GOARCHES as readonly string[]).includes(s);
}

export function targetName(t: Target): string {
  return `${t.goos}/${t.goarch}`;
}

/** go_linux_arm64_exec -> linux/arm64; anything else -> undefined. */
export function targetFromProgramName(name: string): Target | undefined {
  const m = /^go_linux_([a-z0-9]+)_exec(?:\.js)?$/.exec(name);
  return m && isGoArch(m[1]) ? { goos: 'linux', goarch: m[1] } : undefined;
}

/** `uname -m` values a native host of the target reports. */
export const UNAME_MACHINES: Record<GoArch, string[]> = {
  '386': ['i386', 'i486', 'i586', 'i686', 'x86_64'],
  amd64: ['x86_64'],
  arm: ['armv6l', 'armv7l', 'armv8l', 'aarch64'],
  arm64: ['aarch64', 'arm64'],
  loong64: ['loongarch64'],
  mips: ['mips'],
  mipsle: ['mips'],
  mips64: ['mips64'],
  mips64le: ['mips64'],
  ppc64: ['ppc64'],
  ppc64le: ['ppc64le'],
  riscv64: ['riscv64'],
  s390x: ['s390x'],
};

/** binfmt_misc entry names Debian's qemu-user-static registers, by GOARCH. */
export const QEMU_BINFMT: Record<GoArch, string> = {
  '386': 'qemu-i386', amd64: 'qemu-x86_64', arm: 'qemu-arm', arm64: 'qemu-aarch64', loong64: 'qemu-loongarch64',
  mips: 'qemu-mips', mipsle: 'qemu-mipsel', mips64: 'qemu-mips64', mips64le: 'qemu-mips64el', ppc64: 'qemu-ppc64',
  ppc64le: 'qemu-ppc64le', riscv64: 'qemu-riscv64', s390x: 'qemu-s390x',
};

const EM: Record<number, [GoArch, GoArch]> = {
  // e_machine -> [little-endian/32-bit arch, big-endian or 64-bit variant]
  3: ['386', '386'],
  62: ['amd64', 'amd64'],
  40: ['arm', 'arm'],
  183: ['arm64', 'arm64'],
  258: ['loong64', 'loong64'],
  21: ['ppc64le', 'ppc64'],
  243: ['riscv64', 'riscv64'],
  22: ['s390x', 's390x'],
};

/** The target an ELF executable was built for, or undefined if it is not one we know. */
export function targetFromElf(path: string): Target | undefined {
  const buf = Buffer.alloc(20);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (readSync(fd, buf, 0, 20, 0) < 20) return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = buf[4] === 2;
  const little = buf[5] === 1;
  const machine = little ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
  if (machine === 8) {
    // MIPS: class and byte order pick among the four Go ports.
    const arch: GoArch = is64 ? (little ? 'mips64le' : 'mips64') : little ? 'mipsle' : 'mips';
    return { goos: 'linux', goarch: arch };
  }
  const pair = EM[machine];
  if (!pair) return undefined;
  return { goos: 'linux', goarch: little ? pair[0] : pair[1] };
}
