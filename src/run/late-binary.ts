/**
 * The test binary in the run's header: its sha256 when the remote's cache is known to
 * hold it (an unchanged binary, whose hash the agent remembers), else "late": the header
 * goes at once, run.sh builds the view while the binary is hashed and sent
 * (src/agent/binary-cache.ts), and its sha256 follows the header once the cache has it
 * (src/run/program.ts). A new binary is what every call after a rebuild runs, and its
 * hash and upload took as long as the view (issue 8: a warm call with a new binary was
 * 1.06 of the ControlMaster'd pipeline, with a cached one 0.87).
 */
import { type CachedBinary, notCached } from '../agent/binary-cache.js';
import { trace } from '../util/trace.js';

/**
 * What the header carries: the sha256 now, or late: a promise of the run half's line (the
 * sha256, and the id of an upload still committing it: src/remote/upload.sh), or nothing
 * (paged in through the mount).
 */
export type HeaderBinary = string | { late: Promise<string | undefined> } | undefined;

export interface BinaryOnTheWay {
  /**
   * Called once the run's other setup is done. canBeLate: a copy's files come before its
   * header, and a terminal's header comes from ctl.sh: both wait for the binary (and a
   * failure to cache it fails them, as it always did).
   */
  forHeader(canBeLate: boolean): Promise<HeaderBinary>;
}

/**
 * Follows `placing` (what the run's `binary` hook gave) from the moment it starts. A
 * value rather than a promise is known at once: the decision never depends on which of
 * the run's setup steps happened to settle first.
 */
export function followBinary(placing: CachedBinary | Promise<CachedBinary | undefined> | undefined): BinaryOnTheWay {
  if (!(placing instanceof Promise) && !placing?.arriving) {
    const sha = placing?.sha;
    return { forHeader: async () => sha };
  }
  const whenCached = Promise.resolve(placing).then(async (c) => (c && (!c.arriving || (await c.arriving)) ? c.sha : undefined));
  whenCached.catch(() => {});
  return {
    async forHeader(canBeLate) {
      if (!canBeLate) return await whenCached;
      trace('binary: not known to the remote cache yet; the view is built meanwhile');
      // The run half is told as the commit goes, if upload.sh gave its id (a round trip
      // before its "done"); else once the cache has the binary.
      const late = Promise.resolve(placing)
        .then(async (c) => (c?.committing && (await c.committing)) || (await whenCached))
        .catch((e: unknown) => (notCached(e), undefined));
      return { late };
    },
  };
}
