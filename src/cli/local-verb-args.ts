/**
 * The arguments of gocpu's local verbs: `install [--force] [DIR]`, `uninstall [DIR]`
 * and `hosts`. Like every verb they count only as the first word (src/cli/args.ts):
 * `gocpu -- install` runs a remote program named install.
 */
import { GocpuError } from '../errors.js';

export const LOCAL_VERBS = ['install', 'uninstall', 'hosts'] as const;
export type LocalVerb = (typeof LOCAL_VERBS)[number];

export interface LocalVerbArgs {
  verb: LocalVerb | 'help';
  helpTopic?: LocalVerb;
  dir?: string;
  force?: boolean;
}

export function isLocalVerb(s: string | undefined): s is LocalVerb {
  return (LOCAL_VERBS as readonly string[]).includes(s ?? '');
}

const USAGE: Record<LocalVerb, string> = {
  install: 'usage: gocpu install [--force] [DIR]',
  uninstall: 'usage: gocpu uninstall [DIR]',
  hosts: 'usage: gocpu hosts',
};

export function parseLocalVerb(verb: LocalVerb, rest: readonly string[]): LocalVerbArgs {
  if (rest.some((a) => /^(--?help|-h)$/.test(a))) return { verb: 'help', helpTopic: verb };
  const words: string[] = [];
  let force = false;
  let flags = true;
  for (const a of rest) {
    if (flags && a === '--') flags = false;
    else if (flags && verb === 'install' && /^--?force$|^-f$/.test(a)) force = true;
    else if (flags && a.startsWith('-') && a !== '-') throw new GocpuError('USAGE', `gocpu ${verb}: unknown flag ${a}`, { hint: USAGE[verb] });
    else words.push(a);
  }
  const max = verb === 'hosts' ? 0 : 1;
  if (words.length > max) throw new GocpuError('USAGE', `gocpu ${verb}: too many arguments`, { hint: USAGE[verb] });
  return { verb, dir: words[0], ...(verb === 'install' ? { force } : {}) };
}
