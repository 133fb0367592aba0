/**
 * The remote half of gocpu is plain POSIX shell kept as real files beside this one
 * (linted by shellcheck), shipped inline on every run: nothing is installed on the
 * remote. dist/src/remote/*.js reads them from src/remote/*.sh in the package.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled code lives in dist/src/remote; the scripts stay in src/remote.
const candidates = [here, join(here, '..', '..', '..', 'src', 'remote')];

const cache = new Map<string, string>();

export type ScriptName = 'mount' | 'run' | 'view' | 'exec' | 'watch' | 'doctor';

export function remoteScript(name: ScriptName): string {
  let text = cache.get(name);
  if (text === undefined) {
    let lastErr: unknown;
    for (const dir of candidates) {
      try {
        text = readFileSync(join(dir, `${name}.sh`), 'utf8');
        break;
      } catch (e) {
        lastErr = e;
      }
    }
    if (text === undefined) throw lastErr;
    cache.set(name, text);
  }
  return text;
}
