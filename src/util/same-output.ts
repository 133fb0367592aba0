/** go gives its wrapper one pipe for stdout and stderr; so do we to the remote then. */
import { fstatSync } from 'node:fs';

export function sameOutput(): boolean {
  try {
    const a = fstatSync(1);
    const b = fstatSync(2);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}
