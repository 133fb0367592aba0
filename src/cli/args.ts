/**
 * gocpu's own flags. Go style single-dash long flags (-host=rpi3, as in the seed)
 * are accepted too; everything from the first non-flag on is the command, kept
 * verbatim. A verb (exec, doctor, version, help, install, uninstall, hosts) counts
 * only as the first word, and there it wins over a remote program of that name:
 * `gocpu -host=H version` and `gocpu -- version` run a remote program "version".
 * `-ro`, `-export PATH` and `-export-rw PATH` (repeatable) shape what a command sees.
 */
import minimist from 'minimist';
import { GocpuError } from '../errors.js';
import { isGoArch, type Target } from '../config/target.js';
import { HELP_TOPICS, isHelpTopic, type HelpTopic } from './usage.js';
import { isLocalVerb, type LocalVerb, parseLocalVerb } from './local-verb-args.js';

export interface Parsed {
  verb: 'exec' | 'generic' | 'doctor' | 'help' | 'version' | LocalVerb;
  host?: string;
  target?: Target;
  /** Index in the argument list where the command starts. */
  commandIndex: number;
  /** verb 'help': the verb to explain; none means the overview. */
  helpTopic?: HelpTopic;
  /** install, uninstall: the directory named; install: --force. */
  dir?: string;
  force?: boolean;
  /** -ro: the working tree is read-only to the command. */
  readOnly?: boolean;
  /** -export PATH (read-only) and -export-rw PATH, in the order given. */
  exports?: { path: string; writable: boolean }[];
}

const LONG = ['host', 'target', 'help', 'version', 'ro', 'export', 'export-rw'];
const WITH_VALUE = /^--(host|target|export|export-rw)$/;

function normalize(a: string): string {
  const m = /^-([a-z][a-z-]*)(=.*)?$/s.exec(a);
  return m && LONG.includes(m[1]) ? `--${m[1]}${m[2] ?? ''}` : a;
}

export function parseTarget(s: string): Target {
  const m = /^(?:linux\/)?([a-z0-9]+)$/.exec(s);
  if (!m || !isGoArch(m[1])) {
    throw new GocpuError('USAGE', `unknown target "${s}"`, { hint: 'use linux/GOARCH, e.g. linux/arm64' });
  }
  return { goos: 'linux', goarch: m[1] };
}

/** `gocpu help [VERB]` and `gocpu version`, whose only flag is --help. */
function parseInfoVerb(verb: 'help' | 'version', rest: readonly string[]): Parsed {
  const words = rest.filter((a) => !/^(--?help|-h)$/.test(a));
  if (words.length < rest.length) return { verb: 'help', helpTopic: verb, commandIndex: rest.length + 1 };
  if (verb === 'version') {
    if (words.length > 0) throw new GocpuError('USAGE', `gocpu version takes no arguments (got "${words[0]}")`, { hint: 'gocpu -- version runs a remote program named version' });
    return { verb, commandIndex: 1 };
  }
  if (words.length > 1 || (words.length === 1 && !isHelpTopic(words[0]))) {
    throw new GocpuError('USAGE', `no help for "${words.join(' ')}"`, { hint: `gocpu help VERB, VERB one of: ${HELP_TOPICS.join(', ')}` });
  }
  return { verb, helpTopic: words[0] as HelpTopic | undefined, commandIndex: rest.length + 1 };
}

export function parseGocpuArgs(args: readonly string[]): Parsed {
  if (args[0] === 'help' || args[0] === 'version') return parseInfoVerb(args[0], args.slice(1));
  if (isLocalVerb(args[0])) return { ...parseLocalVerb(args[0], args.slice(1)), commandIndex: args.length };
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
    end += WITH_VALUE.test(a) ? 2 : 1;
  }
  const ours = rest.slice(0, Math.min(end, rest.length)).map(normalize);
  // Each -export is kept where it stands, so that -export and -export-rw of one path keep their order.
  const exports: { path: string; writable: boolean }[] = [];
  for (let i = 0; i < ours.length; i++) {
    const m = /^--(export|export-rw)(?:=(.*))?$/s.exec(ours[i]);
    if (!m) continue;
    const path = m[2] ?? ours[i + 1];
    if (path === undefined || path === '') throw new GocpuError('USAGE', `-${m[1]} needs a path`, { hint: 'e.g. -export=/srv/data or -export-rw /tmp/out' });
    exports.push({ path, writable: m[1] === 'export-rw' });
  }
  const argv = minimist(ours, { string: ['host', 'target', 'export', 'export-rw'], boolean: ['help', 'version', 'ro'], alias: { h: 'help' } });
  let commandIndex = offset + Math.min(end, rest.length);
  if (args[commandIndex] === '--') commandIndex++;
  const unknown = Object.keys(argv).filter((k) => k !== '_' && !['host', 'target', 'help', 'version', 'h', 'ro', 'export', 'export-rw'].includes(k));
  if (unknown.length > 0) throw new GocpuError('USAGE', `unknown flag -${unknown[0]}`, { hint: 'see gocpu --help' });
  // doctor has no command whose flags a --help could belong to: `gocpu doctor HOST --help` is help too.
  if (verb === 'doctor' && args.slice(commandIndex).some((a) => /^(--?help|-h)$/.test(a))) return { verb: 'help', helpTopic: 'doctor', commandIndex: args.length };
  if (verb === 'doctor' && args[commandIndex] !== undefined) {
    // `gocpu doctor [flags] HOST`: the positional word is the host.
    if (argv.host || args.length > commandIndex + 1) throw new GocpuError('USAGE', 'usage: gocpu doctor [--target linux/ARCH] [HOST]');
    argv.host = args[commandIndex];
  }
  let helpTopic: HelpTopic | undefined;
  if (argv.help) {
    helpTopic = verb === 'generic' ? undefined : verb;
    verb = 'help';
  } else if (argv.version) verb = 'version';
  return {
    verb,
    helpTopic,
    host: argv.host || undefined,
    target: argv.target ? parseTarget(argv.target) : undefined,
    commandIndex,
    ...(argv.ro ? { readOnly: true } : {}),
    ...(exports.length > 0 ? { exports } : {}),
  };
}
