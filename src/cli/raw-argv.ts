/**
 * Our arguments and environment as bytes. Node decodes argv and env as UTF-8 and
 * replaces what is not with U+FFFD; a test's arguments may be anything but NUL, so
 * we read them again from /proc, which has the bytes execve gave us.
 */
import { readFileSync } from 'node:fs';

function splitNul(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(0); i !== -1; i = buf.indexOf(0, start)) {
    out.push(buf.subarray(start, i));
    start = i + 1;
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

/** The last `args.length` entries of our command line, as bytes (args as a fallback). */
export function rawArgs(args: readonly string[]): Buffer[] {
  const fallback = args.map((a) => Buffer.from(a));
  try {
    const all = splitNul(readFileSync('/proc/self/cmdline'));
    if (all.length < args.length) return fallback;
    const tail = all.slice(all.length - args.length);
    // Same count and same text wherever the text survived decoding: it is ours.
    const same = tail.every((b, i) => b.toString() === args[i]);
    return same ? tail : fallback;
  } catch {
    return fallback;
  }
}

/** Our environment as NAME=VALUE byte strings. */
export function rawEnv(env: NodeJS.ProcessEnv = process.env): Buffer[] {
  try {
    return splitNul(readFileSync('/proc/self/environ'));
  } catch {
    return Object.entries(env).map(([k, v]) => Buffer.from(`${k}=${v ?? ''}`));
  }
}
