/**
 * A lock file that names its holder, for "one agent per socket path": the agent
 * takes it before it puts its socket in place and gives it back when it leaves.
 *
 * The lock is a symlink whose target is "PID TOKEN" (TOKEN random): symlink(2)
 * makes it with its content in one step and fails with EEXIST when it is there,
 * so a reader never sees a half-written lock and two takers never both succeed.
 * TOKEN makes each taking distinct, even by one pid twice.
 *
 * A holder that died (kill -9) leaves its lock behind. Several takers may find
 * it stale at once; if each removed it and took its own, the later one would
 * remove the earlier one's fresh lock. So removing a stale lock is itself
 * locked, per lock content: whoever takes `LOCK.break-HASH(content)` (a lock of
 * the same kind, so one whose breaker died is broken the same way) checks that
 * LOCK still holds that content and only then removes it. Only that breaker may
 * remove that content (its holder is dead), so the check cannot go out of date
 * before the unlink; and a late breaker of content already removed finds other
 * content and removes nothing. Breakers remove LOCK before their break lock, so
 * a second breaker of one content never overlaps the first.
 *
 * Whether a holder lives is the caller's word (`alive`): the agent also asks
 * whether that pid is still an agent (a pid is reused), tests ask about theirs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';

export type LockResult =
  /** Ours until `release()` (idempotent; removes the lock only while it is still ours). */
  | { held: true; release: () => void }
  /** A live process holds it (or is breaking a stale one): wait for the directory to change. */
  | { held: false; holder: number };

/** Tries left when the lock changes under us between two steps: each time another process made progress. */
const TRIES = 8;

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** The lock's content, undefined when there is none. Something that is not our symlink has a content of its own, so it can be broken too. */
function readLock(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch (e) {
    if (code(e) === 'ENOENT') return undefined;
    if (code(e) !== 'EINVAL') throw e;
  }
  try {
    const st = lstatSync(path, { bigint: true });
    return `not a lock: ino ${st.ino} mtime ${st.mtimeNs}`;
  } catch (e) {
    if (code(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** The holder's pid, undefined for content we did not write. */
export function lockHolder(content: string): number | undefined {
  const m = /^(\d+) [0-9a-f]+$/.exec(content);
  return m ? Number(m[1]) : undefined;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw e;
  }
}

export function tryLock(path: string, alive: (pid: number) => boolean): LockResult {
  for (let i = 0; i < TRIES; i++) {
    const content = `${process.pid} ${randomBytes(8).toString('hex')}`;
    try {
      symlinkSync(content, path);
      let released = false;
      return {
        held: true,
        release: () => {
          if (released) return;
          released = true;
          // Ours while we live (nobody breaks a live holder's lock): the check is for a
          // directory someone emptied under us.
          if (readLock(path) === content) unlinkQuietly(path);
        },
      };
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
    }
    const seen = readLock(path);
    if (seen === undefined) continue; // given back just now: try again
    const pid = lockHolder(seen);
    if (pid !== undefined && alive(pid)) return { held: false, holder: pid };
    const breaker = breakStale(path, seen, alive);
    if (breaker !== undefined) return { held: false, holder: breaker };
  }
  // The lock kept changing hands: somebody holds it now, or will at once.
  return { held: false, holder: 0 };
}

/**
 * Removes `path` if it still holds `seen` (a dead holder's), under the break lock of
 * that content; the pid of a live process breaking it meanwhile, undefined when done.
 */
function breakStale(path: string, seen: string, alive: (pid: number) => boolean): number | undefined {
  const hash = createHash('sha256').update(seen).digest('hex').slice(0, 16);
  const b = tryLock(`${path}.break-${hash}`, alive);
  if (!b.held) return b.holder;
  try {
    if (readLock(path) === seen) unlinkQuietly(path);
  } finally {
    b.release();
  }
  return undefined;
}
