/** Attributes of a resolved path: the directory's own descriptor, or the entry lstat'ed inside its directory. */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { statsToAttrs, virtualDirAttrs } from '../attrs.js';
import type { Attrs } from '../protocol.js';
import { at } from '../resolve/fd-path.js';
import type { Resolved } from '../resolve/walk.js';
import { withPath, type Context } from './context.js';

const fstat = promisify(fs.fstat);
const lstat = promisify(fs.lstat);

/**
 * With `follow` the walk has resolved every link of the last component, so lstat here
 * sees a file (or, after a race, the link that was swapped in: its own attributes, which
 * are inside the export).
 */
export async function attrsOfResolved(r: Resolved): Promise<Attrs> {
  if (r.kind === 'virtual') return virtualDirAttrs();
  if (r.name === null) return statsToAttrs(await fstat(r.dir.fd));
  return statsToAttrs(await lstat(at(r.dir, r.name)));
}

export function attrsOfPath(ctx: Context, p: string, follow: boolean): Promise<Attrs> {
  return withPath(ctx, p, { follow }, attrsOfResolved);
}
