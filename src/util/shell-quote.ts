/**
 * POSIX single-quote quoting, on bytes. Every byte but NUL survives a round trip
 * through `sh`: inside '...' nothing is special except the closing quote itself.
 * Bytes, not strings: arguments and environment values need not be UTF-8, and a
 * JS string would turn every invalid sequence into U+FFFD.
 */
const QUOTE = 0x27;
const ESCAPED_QUOTE = Buffer.from(`'\\''`);
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quoteBytes(b: Buffer): Buffer {
  if (b.includes(0)) throw new Error('a NUL byte cannot travel in an argument or environment value');
  if (b.length > 0 && SAFE.test(b.toString('latin1'))) return b;
  const parts: Buffer[] = [Buffer.of(QUOTE)];
  let start = 0;
  for (let i = b.indexOf(QUOTE); i !== -1; i = b.indexOf(QUOTE, start)) {
    parts.push(b.subarray(start, i), ESCAPED_QUOTE);
    start = i + 1;
  }
  parts.push(b.subarray(start), Buffer.of(QUOTE));
  return Buffer.concat(parts);
}

export function shellQuote(s: string | Buffer): string {
  return quoteBytes(typeof s === 'string' ? Buffer.from(s) : s).toString();
}

export function shellJoin(argv: readonly (string | Buffer)[]): string {
  return argv.map(shellQuote).join(' ');
}
