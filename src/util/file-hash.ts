/**
 * sha256 of a local file, remembered per file identity (path, inode, size, mtime):
 * the agent ships the same binaries and trees call after call, and an unchanged
 * file is not read again. Used by the binary cache and copy mode's file cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';

const hashes = new Map<string, { id: string; sha: string }>();
const LIMIT = 65536;

export async function sha256Of(file: string): Promise<{ sha: string; size: number }> {
  const st = await fsp.stat(file);
  const id = `${st.ino}:${st.size}:${st.mtimeMs}`;
  const known = hashes.get(file);
  if (known?.id === id) return { sha: known.sha, size: st.size };
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  const sha = h.digest('hex');
  hashes.delete(file);
  hashes.set(file, { id, sha });
  if (hashes.size > LIMIT) hashes.delete(hashes.keys().next().value!);
  return { sha, size: st.size };
}
