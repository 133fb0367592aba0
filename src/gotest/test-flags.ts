/**
 * What gocpu needs to know about a test binary's command line. The go command
 * runs a wrapper as `wrapper $WORK/bNNN/pkg.test -test.paniconexit0 -test.timeout=10m0s
 * [user flags]` (NOTES.md); flags may name host paths the binary writes.
 */
import { dirname } from 'node:path';

/** The testing package's boolean flags: written apart, they do not take the next word. */
const BOOL_FLAGS = ['short', 'v', 'failfast', 'benchmem', 'paniconexit0', 'fullpath'];

/** One -test.NAME flag as written: where its value sits, so that it can be rewritten. */
export interface FlagUse {
  name: string;
  value: string;
  /** Index of the argument holding the value. */
  valueIndex: number;
  /** What precedes the value in that argument: `-test.NAME=` (joined) or '' (written apart). */
  prefix: string;
}

/** Every -test.* flag before the first non-flag argument, in order. */
export function flagUses(args: readonly string[]): FlagUse[] {
  const out: FlagUse[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--' || !a.startsWith('-') || a === '-') break; // the flag package stops here
    const m = /^(--?test\.([A-Za-z0-9_]+))(?:=([\s\S]*))?$/.exec(a);
    if (!m) continue;
    if (m[3] !== undefined) {
      out.push({ name: m[2], value: m[3], valueIndex: i, prefix: `${m[1]}=` });
    } else if (!BOOL_FLAGS.includes(m[2]) && i + 1 < args.length) {
      // As in package flag: a boolean never takes the next argument, the rest do.
      out.push({ name: m[2], value: args[i + 1], valueIndex: i + 1, prefix: '' });
      i++;
    } else {
      out.push({ name: m[2], value: 'true', valueIndex: i, prefix: '' });
    }
  }
  return out;
}

/** Flag name -> value (the last one wins, as in package flag). */
export function testFlags(args: readonly string[]): Map<string, string> {
  return new Map(flagUses(args).map((u) => [u.name, u.value]));
}

/** The go command itself is calling us (not a person running a test binary by hand). */
export function calledByGoTest(args: readonly string[]): boolean {
  return testFlags(args).has('paniconexit0');
}

/**
 * go omits -test.testlogfile when it uses an exec wrapper, and so never caches the
 * result; the log it would have written is where go learns which files and env
 * vars the test read. Writing it at the same path on the remote (the binary's dir
 * is exported read-write at its own path) brings caching back. It must come right
 * after the binary: flag parsing stops at the first positional argument.
 */
export function testLogFile(args: readonly string[], binary: string): { flag: string; path: string } | undefined {
  if (!calledByGoTest(args) || testFlags(args).has('testlogfile')) return undefined;
  const path = `${dirname(binary)}/testlog.txt`;
  return { flag: `-test.testlogfile=${path}`, path };
}
