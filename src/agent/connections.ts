/**
 * The agent's warm ssh connections. Keyed by the fully resolved ssh settings
 * (host name, port, user, keys, proxies, known_hosts, agent socket), not by the
 * alias: two aliases of one machine share, and one alias whose settings changed
 * between calls (an edited ~/.ssh/config, another SSH_AUTH_SOCK) does not.
 *
 * A connection holds one shared mount (its channel stays open), and a run uses
 * two channels (run, watch) plus short ones (the binary's upload, a signal);
 * sshd's MaxSessions (default 10) counts them per connection, so a connection
 * takes RUNS_PER_CONNECTION runs and the next run opens another. A server with a lower limit refuses a channel: the caller then
 * marks the connection full (`full()`) and asks again.
 *
 * A warm connection may die while idle (the remote sshd killed, the link dropped)
 * without our hearing it until a run uses it: that run's caller sees `died()`,
 * drops it (`drop()`) and asks again, which opens a fresh one.
 */
import type { Client } from 'ssh2';
import type { GocpuError } from '../errors.js';
import { clientError, closeClient } from '../ssh/connect.js';
import { connectWithRetry } from '../ssh/retry.js';
import type { HostConfig } from '../ssh/ssh-config.js';
import type { Mount } from '../run/mount.js';
import type { RunPlan } from '../run/plan.js';
import { trace } from '../util/trace.js';
import { type CachedBinary, RemoteBinaries, type RemoteCache, remoteCache } from './binary-cache.js';
import { SharedMount } from './shared-mount.js';
import { Spare, type SparePair } from './spare.js';

// 1 (the shared mount) + 2 x (run, watch, the binary's upload) + a signal's or a
// core count's channel: 8, under MaxSessions' 10 even while sshd is still freeing the
// sessions of a run that just ended (it counts them a moment longer than we do).
// The spare run and watch halves (spare.ts) and the spare upload channel
// (binary-cache.ts) are the next run's: opened only while a run fewer than this is on
// the connection, so they never add to that sum.
export const RUNS_PER_CONNECTION = 2;

interface Entry {
  client: Client;
  host: string;
  runs: number;
  limit: number;
  dead: boolean;
  /** The shared mount per sshfs program and options (shared-mount.ts). */
  mounts: Map<string, Promise<SharedMount>>;
  binaries: RemoteBinaries;
  /** The next run's run and watch halves, opened ahead (spare.ts). */
  spare: Spare;
  /** Out of the pool (idempotent). */
  drop: () => void;
}

export interface Lease {
  client: Client;
  /** True when the connection was opened for this lease (a cold call). */
  fresh: boolean;
  /** The server refused a channel: take no more runs on this connection. */
  full(): void;
  /** The connection died (closed, reset, keepalives unanswered): its error, or 'closed'. */
  died(): GocpuError | 'closed' | undefined;
  /** The connection is dead: out of the pool for good, so no run leases it again. */
  drop(): void;
  /** The run's subtree of this connection's shared mount (started on first use). */
  mount(plan: RunPlan): Promise<Mount>;
  /**
   * The test binary in the remote's cache, or on its way there (its upload goes on while
   * the run starts); undefined if that failed (then FUSE pages it in). Not a promise when
   * the remote is known to have it: the run's header names it at once (late-binary.ts).
   */
  binary(plan: RunPlan): CachedBinary | Promise<CachedBinary | undefined> | undefined;
  /** The run and watch halves opened ahead for this run, if a whole pair is ready (and another is opened for the next). */
  spare(): SparePair | undefined;
  release(): void;
}

export function connectionKey(cfg: HostConfig): string {
  const { alias: _alias, resolveOptions: _r, ...settings } = cfg;
  return JSON.stringify(settings);
}

export class Connections {
  private byKey = new Map<string, Entry[]>();
  /** The remote's binary cache as known, per connection key: its connections share it (binary-cache.ts). */
  private caches = new Map<string, RemoteCache>();
  private opening = new Map<string, Promise<Entry>>();

  /** Open connections and their runs now, for `gocpu hosts`. */
  describe(): { host: string; runs: number }[] {
    return [...this.byKey.values()].flat().filter((e) => !e.dead).map((e) => ({ host: e.host, runs: e.runs }));
  }

  async lease(cfg: HostConfig, log: (line: string) => void): Promise<Lease> {
    const key = connectionKey(cfg);
    for (;;) {
      const list = this.byKey.get(key) ?? [];
      // One that died unheard (an error, its close not yet seen) is no candidate either.
      const free = list.find((e) => !e.dead && !clientError(e.client) && e.runs < e.limit);
      if (free) return this.take(free, false);
      // Concurrent cold calls wait for one connection rather than each opening
      // their own (go test -p 4 starts four wrappers at once).
      const pending = this.opening.get(key);
      if (pending) {
        await pending.catch(() => {});
        continue;
      }
      const p = this.open(cfg, key, log);
      this.opening.set(key, p);
      try {
        return this.take(await p, true);
      } finally {
        this.opening.delete(key);
      }
    }
  }

  private take(e: Entry, fresh: boolean): Lease {
    e.runs++;
    let released = false;
    const refill = () => {
      if (e.dead || e.runs >= e.limit) return;
      e.spare.fill();
      e.binaries.fill(e.client);
    };
    return {
      client: e.client,
      fresh,
      full: () => {
        e.limit = Math.max(1, e.runs - 1);
        e.spare.drain();
        e.binaries.drain();
      },
      spare: () => {
        const p = e.spare.take();
        refill();
        return p;
      },
      died: () => clientError(e.client) ?? (e.dead ? 'closed' : undefined),
      drop: () => {
        e.drop();
        e.client.destroy();
      },
      binary: (plan) => {
        if (!plan.binary) return undefined;
        const placed = e.binaries.place(e.client, plan.binary);
        // Settled, an upload has taken the spare channel (after the hash): the next new
        // binary's is opened now, not at this run's end, which go test -p N's next call
        // often beat (at 50 ms it then waited 2.5 round trips for a channel).
        if (placed instanceof Promise) void placed.then(refill, refill);
        return placed;
      },
      mount: async (plan) => {
        const key = `${plan.sshfs}\0${plan.sshfsOptions}`;
        let m = e.mounts.get(key);
        if (m) {
          const live = await m.catch(() => undefined);
          if (!live?.alive) m = undefined;
        }
        const reused = m !== undefined;
        if (!m) {
          m = SharedMount.start(e.client, e.host, plan.sshfs, plan.sshfsOptions);
          e.mounts.set(key, m);
          // A failed start is not kept: the next run tries again (and says why).
          m.catch(() => e.mounts.delete(key));
        }
        const shared = await m;
        // Once it is up: a run beside the one that started it waited for it too.
        if (reused) trace('shared mount reused');
        return shared.forRun(plan);
      },
      release: () => {
        if (released) return;
        released = true;
        e.runs--;
        refill();
      },
    };
  }

  private async open(cfg: HostConfig, key: string, log: (line: string) => void): Promise<Entry> {
    // No terminal here: a key that needs a passphrase cannot be unlocked by the
    // agent (prompter null); the caller falls back to direct mode for that host.
    const client = await connectWithRetry(cfg, { prompter: null, log });
    let cache = this.caches.get(key);
    if (!cache) this.caches.set(key, (cache = remoteCache()));
    const entry: Entry = { client, host: cfg.alias, runs: 0, limit: RUNS_PER_CONNECTION, dead: false, mounts: new Map(), binaries: new RemoteBinaries(log, cache), spare: new Spare(client, log), drop: () => {} };
    entry.drop = () => {
      entry.dead = true;
      const list = this.byKey.get(key)?.filter((x) => x !== entry) ?? [];
      if (list.length > 0) this.byKey.set(key, list);
      else this.byKey.delete(key);
    };
    client.on('close', entry.drop);
    client.on('end', entry.drop);
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), entry]);
    return entry;
  }

  async closeAll(): Promise<void> {
    const all = [...this.byKey.values()].flat();
    this.byKey.clear();
    await Promise.all(all.map(async (e) => {
      for (const m of e.mounts.values()) await (await m.catch(() => undefined))?.stop();
      await closeClient(e.client);
    }));
  }
}
