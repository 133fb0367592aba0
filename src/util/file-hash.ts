/**
 * sha256 of a local file, remembered per file identity (path, inode, size, mtime):
 * the agent ships the same binaries and trees call after call, and an unchanged
 * file is not read again. Used by the binary cache and copy mode's file cache.
 * A hash on its way is shared: the agent starts the test binary's as soon as a call
 * is planned, and it goes on while the call connects (issue 8's cold call).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats, statSync } from 'node:fs';

/** One file's hash, by identity; `done` once it is known (sha256Known). */
interface Entry {
  id: string;
  sha: Promise<string>;
  done?: string;
}

const hashes = new Map<string, Entry>();
const LIMIT = 65536;
// Reads of up to 1 MiB: a 3 MB test binary hashed in 3-5 ms rather than 7-12 with
// the stream's 64 KiB (each chunk is a turn of a loop that has other work), while a
// small file (copy mode's trees) gets a buffer of its own size, not of 1 MiB.
const CHUNK = 1 << 20;

export async function sha256Of(file: string): Promise<{ sha: string; size: number }> {
  const st = await fsp.stat(file);
  const id = identity(st);
  let known = hashes.get(file);
  if (known?.id !== id) {
    const entry: Entry = { id, sha: hashFile(file, Math.min(Math.max(st.size, 1), CHUNK)) };
    entry.sha.then((sha) => (entry.done = sha), () => {});
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

/**
 * The sha256 of a file whose identity was hashed before, without waiting: a stat, no
 * read (undefined if it changed, or its hash is still on its way). The agent decides
 * from it whether a run's header can name the test binary at once (src/run/late-binary.ts).
 */
export function sha256Known(file: string): { sha: string; size: number } | undefined {
  const known = hashes.get(file);
  if (!known?.done) return undefined;
  let st: Stats;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  return known.id === identity(st) ? { sha: known.done, size: st.size } : undefined;
}

const identity = (st: Stats) => `${st.ino}:${st.size}:${st.mtimeMs}`;

async function hashFile(file: string, highWaterMark: number): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark })) h.update(chunk as Buffer);
  return h.digest('hex');
}
