/**
 * sha256 of a local file, remembered per file identity (path, inode, size, mtime):
 * the agent ships the same binaries and trees call after call, and an unchanged
 * file is not read again. Used by the binary cache and copy mode's file cache.
 * A hash on its way is shared: the agent starts the test binary's as soon as a call
 * is planned, and it goes on while the call connects (issue 8's cold call).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';

const hashes = new Map<string, { id: string; sha: Promise<string> }>();
const LIMIT = 65536;
// Reads of up to 1 MiB: a 3 MB test binary hashed in 3-5 ms rather than 7-12 with
// the stream's 64 KiB (each chunk is a turn of a loop that has other work), while a
// small file (copy mode's trees) gets a buffer of its own size, not of 1 MiB.
const CHUNK = 1 << 20;

export async function sha256Of(file: string): Promise<{ sha: string; size: number }> {
  const st = await fsp.stat(file);
  const id = `${st.ino}:${st.size}:${st.mtimeMs}`;
  let known = hashes.get(file);
  if (known?.id !== id) {
    const entry = { id, sha: hashFile(file, Math.min(Math.max(st.size, 1), CHUNK)) };
    hashes.delete(file);
    hashes.set(file, entry);
    if (hashes.size > LIMIT) hashes.delete(hashes.keys().next().value!);
    // A failed read is not remembered: the next call reads again.
    entry.sha.catch(() => {
      if (hashes.get(file) === entry) hashes.delete(file);
    });
    known = entry;
  }
  return { sha: await known.sha, size: st.size };
}

async function hashFile(file: string, highWaterMark: number): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark })) h.update(chunk as Buffer);
  return h.digest('hex');
}
