/**
 * The remote half of gocpu is plain POSIX shell kept as real files beside this one
 * (linted by shellcheck), shipped inline on every run: nothing is installed on the
 * remote. dist/src/remote/*.js reads them from src/remote/*.sh in the package.
 * Each script starts with `. ./prelude.sh` (so that shellcheck -x checks it with
 * the contract's names); shipping puts the prelude's text in place of that line.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPrelude } from './contract.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled code lives in dist/src/remote; the scripts stay in src/remote.
const candidates = [here, join(here, '..', '..', '..', 'src', 'remote')];

const cache = new Map<string, string>();

export type ScriptName = 'mount' | 'run' | 'view' | 'exec' | 'watch' | 'doctor' | 'kill' | 'upload' | 'ctl' | 'copy' | 'spare';

/** The line every script sources the prelude with; replaced when shipped. */
export const PRELUDE_LINE = '. ./prelude.sh';

export function readScriptFile(file: string): string {
  let lastErr: unknown;
  for (const dir of candidates) {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch (e) {
      lastErr = e;
    }
  }
  throw lastErr;
}

export function remoteScript(name: ScriptName): string {
  let text = cache.get(name);
  if (text === undefined) {
    const raw = readScriptFile(`${name}.sh`);
    const lines = raw.split('\n');
    const i = lines.indexOf(PRELUDE_LINE);
    if (i === -1) throw new Error(`src/remote/${name}.sh does not source the prelude ("${PRELUDE_LINE}")`);
    lines[i] = renderPrelude().trimEnd();
    text = lines.join('\n');
    cache.set(name, text);
  }
  return text;
}
