/**
 * What gocpu needs to know about a test binary's command line. The go command
 * runs a wrapper as `wrapper $WORK/bNNN/pkg.test -test.paniconexit0 -test.timeout=10m0s
 * [user flags]` (NOTES.md); flags may name host paths the binary writes.
 */
import { dirname, isAbsolute, resolve } from 'node:path';

/** Flags whose value is a file or directory the test binary writes. */
const OUTPUT_FLAGS = [
  'coverprofile', 'cpuprofile', 'memprofile', 'blockprofile', 'mutexprofile', 'trace',
  'outputdir', 'gocoverdir', 'testlogfile', 'fuzzcachedir',
] as const;

/** The testing package's boolean flags: written apart, they do not take the next word. */
const BOOL_FLAGS = ['short', 'v', 'failfast', 'benchmem', 'paniconexit0', 'fullpath'];

/** Flag name -> value, for the -test.* flags before the first non-flag argument. */
export function testFlags(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--' || !a.startsWith('-') || a === '-') break; // the flag package stops here
    const m = /^--?test\.([A-Za-z0-9_]+)(?:=([\s\S]*))?$/.exec(a);
    if (!m) continue;
    let value = m[2];
    if (value === undefined) {
      // As in package flag: a boolean never takes the next argument, the rest do.
      if (!BOOL_FLAGS.includes(m[1]) && i + 1 < args.length) value = args[++i];
      else value = 'true';
    }
    out.set(m[1], value);
  }
  return out;
}

/** The go command itself is calling us (not a person running a test binary by hand). */
export function calledByGoTest(args: readonly string[]): boolean {
  return testFlags(args).has('paniconexit0');
}

/**
 * Directories the binary will write into, from its own flags: -test.outputdir, and
 * the directory of every output file (relative ones are relative to outputdir for
 * profiles, as the testing package does, else to the cwd).
 */
export function writableDirs(args: readonly string[], cwd: string): string[] {
  const flags = testFlags(args);
  const outputdir = flags.get('outputdir');
  const base = outputdir ? resolve(cwd, outputdir) : cwd;
  const dirs = new Set<string>();
  if (outputdir) dirs.add(base);
  for (const name of OUTPUT_FLAGS) {
    const v = flags.get(name);
    if (!v || name === 'outputdir') continue;
    const profile = name !== 'gocoverdir' && name !== 'testlogfile' && name !== 'fuzzcachedir';
    const p = isAbsolute(v) ? v : resolve(profile ? base : cwd, v);
    dirs.add(name === 'gocoverdir' || name === 'fuzzcachedir' ? p : dirname(p));
  }
  return [...dirs];
}

/**
 * go omits -test.testlogfile when it uses an exec wrapper, and so never caches the
 * result; the log it would have written is where go learns which files and env
 * vars the test read. Writing it at the same path on the remote (the binary's dir
 * is exported read-write at its own path) brings caching back. It must come right
 * after the binary: flag parsing stops at the first positional argument.
 */
export function testLogFile(args: readonly string[], binary: string): string | undefined {
  if (!calledByGoTest(args) || testFlags(args).has('testlogfile')) return undefined;
  return `-test.testlogfile=${dirname(binary)}/testlog.txt`;
}
