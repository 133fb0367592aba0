/**
 * Host pools in the agent: which host a call runs on, and when. Pure scheduling
 * (no ssh here; src/agent/place.ts connects): every host has slots, the runs it
 * takes at once (configured, or its core count once asked; one run at a time
 * until then, so the first call asks and the next ones know). A call takes a
 * seat on the host of its pool with the most free slots (ties: list order), or
 * waits in line, first come first served, never failing for lack of a slot.
 *
 * A host that fails to connect is skipped for SKIP_MS by every call: the call
 * that found out gives its seat back and asks again with its place in the line
 * kept, and its pool's other hosts. A call runs out of hosts only once it has
 * tried every host of its pool (skipped hosts last): then it fails with the last
 * host's error. Hosts are shared across pools by key (their resolved ssh
 * settings), so two pools naming one machine share its slots.
 */

/** How long a host that failed to connect is passed over. */
export const SKIP_MS = 30_000;

export interface PoolMember {
  /** Who the host is (its resolved ssh settings): seats are counted per key. */
  key: string;
  /** The name the user gave it (for messages). */
  name: string;
  /** Configured slots; undefined: unknown until learn(). */
  slots?: number;
}

export interface Seat {
  key: string;
  name: string;
  /** The host's slot count is not known yet: ask it, then learn(). */
  probe: boolean;
  /** The run is over: free the slot (idempotent). */
  release(): void;
  /**
   * The host failed to connect: skip it for SKIP_MS, free the slot, and queue for
   * another host of the pool at this call's place in line. Undefined when every
   * host of the pool has been tried.
   */
  failed(): Promise<Seat | undefined>;
}

interface HostState {
  busy: number;
  configured?: number;
  learned?: number;
  downUntil: number;
}

interface Waiter {
  ticket: number;
  members: PoolMember[];
  tried: Set<string>;
  resolve: (seat: Seat | undefined) => void;
  reject: (e: Error) => void;
  signal?: AbortSignal;
  onWait?: () => void;
  unlisten: () => void;
}

export interface PoolClock {
  now(): number;
  /** Calls fn after ms; returns a function that cancels it. */
  later(fn: () => void, ms: number): () => void;
}

const realClock: PoolClock = {
  now: () => Date.now(),
  later: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

export class PoolAbortedError extends Error {
  constructor() {
    super('the call left the line');
  }
}

export class Pool {
  private hosts = new Map<string, HostState>();
  private line: Waiter[] = [];
  private tickets = 0;
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;

  constructor(private readonly clock: PoolClock = realClock) {}

  /**
   * A seat on a host of `members` (in preference order), once one is free;
   * `onWait` is called when the call has to wait for it.
   */
  acquire(members: readonly PoolMember[], signal?: AbortSignal, onWait?: () => void): Promise<Seat | undefined> {
    for (const m of members) this.state(m.key).configured = m.slots;
    return this.enqueue(++this.tickets, [...members], new Set(), signal, onWait);
  }

  /** The host's slot count, once asked (its core count). */
  learn(key: string, slots: number): void {
    this.state(key).learned = Math.max(1, Math.floor(slots));
    this.dispatch();
  }

  /** Slots of a host: configured, learned, or 1 while unknown. */
  slots(key: string): number {
    const h = this.state(key);
    return h.configured ?? h.learned ?? 1;
  }

  busy(key: string): number {
    return this.state(key).busy;
  }

  skipped(key: string): boolean {
    return this.state(key).downUntil > this.clock.now();
  }

  /** Calls waiting for a seat. */
  waiting(): number {
    return this.line.length;
  }

  private state(key: string): HostState {
    let h = this.hosts.get(key);
    if (!h) {
      h = { busy: 0, downUntil: 0 };
      this.hosts.set(key, h);
    }
    return h;
  }

  private enqueue(ticket: number, members: PoolMember[], tried: Set<string>, signal?: AbortSignal, onWait?: () => void): Promise<Seat | undefined> {
    return new Promise<Seat | undefined>((resolve, reject) => {
      if (signal?.aborted) return reject(new PoolAbortedError());
      const onAbort = () => {
        const i = this.line.indexOf(w);
        if (i < 0) return;
        this.line.splice(i, 1);
        reject(new PoolAbortedError());
        // Those behind it may now fit where it would have gone.
        this.dispatch();
      };
      const w: Waiter = { ticket, members, tried, resolve, reject, signal, onWait, unlisten: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      // In ticket order: a call that asks again after a failed connect keeps its place.
      let i = this.line.length;
      while (i > 0 && this.line[i - 1].ticket > ticket) i--;
      this.line.splice(i, 0, w);
      this.dispatch();
      if (this.line.includes(w)) onWait?.();
    });
  }

  /** Seats whoever can be seated, first in line first. */
  private dispatch(): void {
    const now = this.clock.now();
    for (let i = 0; i < this.line.length; ) {
      const w = this.line[i];
      const pick = this.choose(w, now);
      if (pick === 'wait') {
        i++;
        continue;
      }
      this.line.splice(i, 1);
      w.unlisten();
      if (pick === 'none') w.resolve(undefined);
      else w.resolve(this.seat(w, pick));
    }
    this.armTimer(now);
  }

  private choose(w: Waiter, now: number): PoolMember | 'wait' | 'none' {
    const seen = new Set<string>();
    const untried = w.members.filter((m) => !w.tried.has(m.key) && !seen.has(m.key) && seen.add(m.key));
    if (untried.length === 0) return 'none';
    const live = untried.filter((m) => this.state(m.key).downUntil <= now);
    // Only hosts that are being skipped are left: try them anyway, or the call would fail untried.
    const candidates = live.length > 0 ? live : untried;
    let best: PoolMember | undefined;
    let bestFree = 0;
    for (const m of candidates) {
      const free = this.slots(m.key) - this.state(m.key).busy;
      if (free > bestFree) {
        best = m;
        bestFree = free;
      }
    }
    return best ?? 'wait';
  }

  private seat(w: Waiter, m: PoolMember): Seat {
    const h = this.state(m.key);
    h.busy++;
    let done = false;
    const free = () => {
      if (done) return false;
      done = true;
      h.busy--;
      return true;
    };
    return {
      key: m.key,
      name: m.name,
      probe: h.configured === undefined && h.learned === undefined,
      release: () => {
        if (free()) this.dispatch();
      },
      failed: () => {
        h.downUntil = this.clock.now() + SKIP_MS;
        free();
        return this.enqueue(w.ticket, w.members, new Set([...w.tried, m.key]), w.signal, w.onWait);
      },
    };
  }

  /** A waiter may fit on a skipped host once its skip ends: look again then. */
  private armTimer(now: number): void {
    let next = Infinity;
    if (this.line.length > 0) {
      for (const w of this.line) {
        for (const m of w.members) {
          const at = this.state(m.key).downUntil;
          if (at > now && at < next && !w.tried.has(m.key)) next = at;
        }
      }
    }
    if (next === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.cancelTimer = this.clock.later(() => {
      this.cancelTimer = undefined;
      this.timerAt = Infinity;
      this.dispatch();
    }, next - now);
  }
}
