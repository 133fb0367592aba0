/** True when something (a dangling symlink included) is at `p`; never follows the last link. */
import { lstatSync } from 'node:fs';

export function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
