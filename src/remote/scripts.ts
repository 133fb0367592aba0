/**
 * The remote half of gocpu is plain POSIX shell kept as real files beside this one
 * (linted by shellcheck), shipped inline on every run: nothing is installed on the
 * remote. dist/src/remote/*.js reads them from src/remote/*.sh in the package.
 * Each script starts with `. ./prelude.sh` (so that shellcheck -x checks it with
 * the contract's names); shipping puts the prelude's text in place of that line.
 * A script too long to read in one sitting keeps stretches of itself in parts,
 * SCRIPT-PART.sh, sourced where they run (`. ./run-view.sh`); shipping puts each
 * part's text in place of its line too. That is what `.` would do: a part runs in
 * the script's own shell, with its variables and positional parameters.
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

/** The line a script sources one of its parts with (indented as the code around it). */
export const PART_LINE = /^[ \t]*\. \.\/([a-z]+-[a-z-]+)\.sh$/;

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

/** NAME.sh with its parts in place, the prelude's line as it is. */
export function scriptWithParts(name: ScriptName): string {
  return readScriptFile(`${name}.sh`)
    .split('\n')
    .map((line) => {
      const part = PART_LINE.exec(line)?.[1];
      if (part === undefined) return line;
      if (!part.startsWith(`${name}-`)) throw new Error(`src/remote/${name}.sh sources ${part}.sh, a part of another script`);
      return readScriptFile(`${part}.sh`).trimEnd();
    })
    .join('\n');
}

export function remoteScript(name: ScriptName): string {
  let text = cache.get(name);
  if (text === undefined) {
    const lines = scriptWithParts(name).split('\n');
    const i = lines.indexOf(PRELUDE_LINE);
    if (i === -1) throw new Error(`src/remote/${name}.sh does not source the prelude ("${PRELUDE_LINE}")`);
    lines[i] = renderPrelude().trimEnd();
    text = lines.join('\n');
    cache.set(name, text);
  }
  return text;
}
