/**
 * OpenSSH's wildcard patterns (match.c): `*` and `?` only, no character classes.
 * Pattern lists are comma-separated and a `!` entry vetoes the whole list. Used by
 * ssh_config (Host, Match) and known_hosts.
 */

export function matchPattern(s: string, pattern: string): boolean {
  // Iterative glob match with single-star backtracking: linear enough for host names.
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    const pc = pattern[pi];
    if (pc === '*') {
      starP = pi++;
      starS = si;
    } else if (pi < pattern.length && (pc === '?' || pc === s[si])) {
      pi++;
      si++;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/**
 * 1 = a positive entry matched, -1 = a negated entry matched (wins over any positive),
 * 0 = nothing matched. `lower` folds both sides to lower case, as match_hostname() does.
 */
export function matchPatternList(s: string, list: string, lower: boolean): 1 | 0 | -1 {
  const subject = lower ? s.toLowerCase() : s;
  let got: 1 | 0 = 0;
  for (let entry of list.split(',')) {
    const negated = entry.startsWith('!');
    if (negated) entry = entry.slice(1);
    if (lower) entry = entry.toLowerCase();
    if (matchPattern(subject, entry)) {
      if (negated) return -1;
      got = 1;
    }
  }
  return got;
}
