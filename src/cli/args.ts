/**
 * gocpu's own flags. Go style single-dash long flags (-host=rpi3, as in the seed)
 * are accepted too; everything from the first non-flag on is the command, kept
 * verbatim.
 */
import minimist from 'minimist';
import { GocpuError } from '../errors.js';
import { isGoArch, type Target } from '../config/target.js';

export interface Parsed {
  verb: 'exec' | 'generic' | 'doctor' | 'help' | 'version';
  host?: string;
  target?: Target;
  /** Index in the argument list where the command starts. */
  commandIndex: number;
}

const LONG = ['host', 'target', 'help', 'version'];

function normalize(a: string): string {
  const m = /^-([a-z]+)(=.*)?$/s.exec(a);
  return m && LONG.includes(m[1]) ? `--${m[1]}${m[2] ?? ''}` : a;
}

export function parseTarget(s: string): Target {
  const m = /^(?:linux\/)?([a-z0-9]+)$/.exec(s);
  if (!m || !isGoArch(m[1])) {
    throw new GocpuError('USAGE', `unknown target "${s}"`, { hint: 'use linux/GOARCH, e.g. linux/arm64' });
  }
  return { goos: 'linux', goarch: m[1] };
}

export function parseGocpuArgs(args: readonly string[]): Parsed {
  let verb: Parsed['verb'] = 'generic';
  let rest = args;
  let offset = 0;
  if (args[0] === 'exec' || args[0] === 'doctor') {
    verb = args[0];
    rest = args.slice(1);
    offset = 1;
  }
  // Only the flags before the command are ours.
  let end = 0;
  while (end < rest.length && rest[end].startsWith('-') && rest[end] !== '--') {
    const a = normalize(rest[end]);
    end += /^--(host|target)$/.test(a) ? 2 : 1;
  }
  const ours = rest.slice(0, Math.min(end, rest.length)).map(normalize);
  const argv = minimist(ours, { string: ['host', 'target'], boolean: ['help', 'version'], alias: { h: 'help' } });
  let commandIndex = offset + Math.min(end, rest.length);
  if (args[commandIndex] === '--') commandIndex++;
  const unknown = Object.keys(argv).filter((k) => k !== '_' && !['host', 'target', 'help', 'version', 'h'].includes(k));
  if (unknown.length > 0) throw new GocpuError('USAGE', `unknown flag -${unknown[0]}`, { hint: 'see gocpu --help' });
  if (verb === 'doctor' && args[commandIndex] !== undefined) {
    // `gocpu doctor [flags] HOST`: the positional word is the host.
    if (argv.host || args.length > commandIndex + 1) throw new GocpuError('USAGE', 'usage: gocpu doctor [--target linux/ARCH] [HOST]');
    argv.host = args[commandIndex];
  }
  if (argv.help) verb = 'help';
  else if (argv.version) verb = 'version';
  return {
    verb,
    host: argv.host || undefined,
    target: argv.target ? parseTarget(argv.target) : undefined,
    commandIndex,
  };
}
