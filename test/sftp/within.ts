/**
 * A bound on how long a promise may take, counted in the time this process could run:
 * a stall of the whole process (the machine busy elsewhere, a VM paused) is not a hang of
 * the server under test. A plain setTimeout is not enough: after a stall longer than the
 * bound, libuv runs the due timer before the poll phase that would deliver the answer
 * that is already waiting, so the first loop turn after the stall reported a hang (stop
 * 20's CI: "hang: the probe was neither answered nor the session closed within 5000 ms",
 * a session that never took more than ~30 ms here in thousands of runs of the same input).
 */
const TICK_MS = 100;

export function within<X>(p: Promise<X>, ms: number, what: string): Promise<X> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<X>((_, reject) => {
    let live = 0;
    let last = Date.now();
    const tick = () => {
      const now = Date.now();
      // A turn that came much later than asked for was a stall: it counts as one tick.
      live += Math.min(now - last, 2 * TICK_MS);
      last = now;
      if (live >= ms) reject(new Error(`${what}: no result in ${ms} ms`));
      else timer = setTimeout(tick, Math.min(TICK_MS, ms - live));
    };
    timer = setTimeout(tick, Math.min(TICK_MS, ms));
  });
  return Promise.race([p.finally(() => clearTimeout(timer)), bound]);
}
