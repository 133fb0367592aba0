/**
 * POSIX single-quote quoting. Every byte but NUL survives a round trip through
 * `sh -c`: inside '...' nothing is special except the closing quote itself.
 */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new Error('argument contains a NUL byte, which no Unix argv can carry');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
