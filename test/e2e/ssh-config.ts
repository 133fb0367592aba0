/** Broken copies of the test host's ssh_config, for the failure cases. */

/**
 * A copy of an ssh_config with some keywords replaced. ssh takes the first value it
 * finds for a keyword, so the replacements go first, before any Host block, and the
 * original lines with those keywords are dropped.
 */
export function overrideSshConfig(original: string, overrides: Record<string, string>): string {
  const keys = new Set(Object.keys(overrides).map((k) => k.toLowerCase()));
  const kept = original.split('\n').filter((line) => {
    const m = /^\s*([A-Za-z]+)(\s*=\s*|\s+)/.exec(line);
    return !(m && keys.has(m[1].toLowerCase()));
  });
  // ssh_config takes a value with spaces in double quotes.
  const head = Object.entries(overrides).map(([k, v]) => `${k} ${/\s/.test(v) ? `"${v}"` : v}`);
  return ['# gocpu e2e: overrides first, because ssh uses the first value it finds', ...head, '', ...kept].join('\n');
}
