/**
 * What a conformance comparison compares: the outcome of every test and package from
 * `go test -json`, and the covered blocks of a `-covermode=set` profile. Not the
 * output text: third-party suites print timings and addresses of their own, and what
 * the e2e suite already proves byte for byte need not be proved again here.
 */

export type Outcome = 'pass' | 'fail' | 'skip';

/**
 * `PKG` (the package's own end) or `PKG TEST` (a test, subtest or example) -> how it
 * ended. A test whose end never came (a crash) has no entry: the package's fail shows it.
 */
export function outcomes(jsonStdout: string): Map<string, Outcome> {
  const m = new Map<string, Outcome>();
  for (const line of jsonStdout.split('\n')) {
    if (line === '') continue;
    let e: { Action?: string; Package?: string; Test?: string };
    try {
      e = JSON.parse(line);
    } catch {
      throw new Error(`not a JSON line in go test -json output: ${JSON.stringify(line)}`);
    }
    if (e.Action !== 'pass' && e.Action !== 'fail' && e.Action !== 'skip') continue;
    m.set(e.Test === undefined ? `${e.Package ?? ''}` : `${e.Package ?? ''} ${e.Test}`, e.Action);
  }
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Counts per outcome, tests only (not packages). */
export function tally(m: Map<string, Outcome>): Record<Outcome, number> {
  const t: Record<Outcome, number> = { pass: 0, fail: 0, skip: 0 };
  for (const [k, v] of m) if (k.includes(' ')) t[v]++;
  return t;
}

/** One line per test or package that ended differently (or only on one side). */
export function outcomeDiff(local: Map<string, Outcome>, remote: Map<string, Outcome>): string[] {
  const out: string[] = [];
  for (const k of new Set([...local.keys(), ...remote.keys()])) {
    const l = local.get(k) ?? 'absent';
    const r = remote.get(k) ?? 'absent';
    if (l !== r) out.push(`${k}: local ${l}, remote ${r}`);
  }
  return out.sort();
}

/**
 * A coverage profile's block lines, sorted (go writes them in map order, which
 * differs from run to run), after its `mode:` line. Throws on a profile that is not
 * `set` mode: counts would differ between runs of the same binary.
 */
export function coverBlocks(profile: string): string[] {
  const lines = profile.split('\n').filter((l) => l !== '');
  if (lines[0] !== 'mode: set') throw new Error(`not a -covermode=set profile: first line ${JSON.stringify(lines[0])}`);
  return lines.slice(1).sort();
}

/**
 * The block lines with the covered flag of each `unstable` block (`file:start,end`)
 * dropped. Throws when one of them is not in the profile: a stale entry.
 */
export function withoutUnstable(blocks: string[], unstable: readonly string[]): string[] {
  const set = new Set(unstable);
  const seen = new Set<string>();
  const out = blocks.map((b) => {
    const pos = b.split(' ')[0];
    if (!set.has(pos)) return b;
    seen.add(pos);
    return b.replace(/ [01]$/, ' ?');
  });
  const missing = unstable.filter((u) => !seen.has(u));
  if (missing.length > 0) throw new Error(`unstable blocks not in the profile any more: ${missing.join(', ')}`);
  return out;
}

/** Blocks covered on one side only, or listed on one side only (at most `max` lines). */
export function coverDiff(local: string[], remote: string[], max = 20): string[] {
  const l = new Set(local);
  const r = new Set(remote);
  const out = [...local.filter((x) => !r.has(x)).map((x) => `local only:  ${x}`), ...remote.filter((x) => !l.has(x)).map((x) => `remote only: ${x}`)];
  return out.length > max ? [...out.slice(0, max), `... and ${out.length - max} more`] : out;
}
