/**
 * Runs requests in arrival order, like OpenSSH's single-threaded sftp-server, except that
 * consecutive READs run concurrently. sshfs pipelines (OPEN with O_CREAT, then LSTAT of the
 * same path, without waiting), so a request must see the effects of every earlier one.
 * READs commute with each other (pread), so they may overlap, but no READ overlaps a
 * request of any other kind. At most `maxShared` run at once (each holds a read buffer of
 * up to 255 KiB). Bookkeeping is O(1) however long a run of READs is.
 */
type Task = () => Promise<void>;

interface Epoch {
  /** Resolves when the exclusive task that opened this epoch has finished. */
  ready: Promise<void>;
  pending: number;
  drained?: Promise<void>;
  resolveDrained?: () => void;
}

export class Scheduler {
  private epoch: Epoch = { ready: Promise.resolve(), pending: 0 };
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private onError: (e: unknown) => void;
  private readonly maxShared: number;
  private running = 0;
  private slotWaiters: (() => void)[] = [];

  constructor(onError: (e: unknown) => void, maxShared = 32) {
    this.onError = onError;
    this.maxShared = maxShared;
  }

  private async withSlot(fn: Task): Promise<void> {
    if (this.running >= this.maxShared) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    else this.running++;
    try {
      await fn();
    } finally {
      // A waiter inherits the slot, so `running` stays put.
      const next = this.slotWaiters.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Requests accepted and not finished yet. */
  get size(): number {
    return this.inFlight;
  }

  /** A task that may overlap other shared tasks, never an exclusive one. */
  shared(fn: Task): void {
    const ep = this.epoch;
    ep.pending++;
    this.inFlight++;
    void ep.ready
      .then(() => this.withSlot(fn))
      .catch(this.onError)
      .finally(() => {
        if (--ep.pending === 0) ep.resolveDrained?.();
        this.done();
      });
  }

  /** A task that runs alone, after everything scheduled before it. */
  exclusive(fn: Task): void {
    const ep = this.epoch;
    let before = ep.ready;
    if (ep.pending > 0) {
      // No task joins `ep` after this point, so its count only goes down.
      before = ep.drained ??= new Promise<void>((resolve) => (ep.resolveDrained = resolve));
    }
    this.inFlight++;
    const run = before
      .then(fn)
      .catch(this.onError)
      .finally(() => this.done());
    this.epoch = { ready: run, pending: 0 };
  }

  /** Resolves once every accepted task has finished. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private done(): void {
    if (--this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
