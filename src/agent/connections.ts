/**
 * The agent's warm ssh connections. Keyed by the fully resolved ssh settings
 * (host name, port, user, keys, proxies, known_hosts, agent socket), not by the
 * alias: two aliases of one machine share, and one alias whose settings changed
 * between calls (an edited ~/.ssh/config, another SSH_AUTH_SOCK) does not.
 *
 * A run uses three channels at most at a time (mount, run, watch) plus a short
 * one per signal or end query; sshd's MaxSessions (default 10) counts them per
 * connection, so a connection takes RUNS_PER_CONNECTION runs and the next run
 * opens another. A server with a lower limit refuses a channel: the caller then
 * marks the connection full (`full()`) and asks again.
 */
import type { Client } from 'ssh2';
import { closeClient } from '../ssh/connect.js';
import { connectWithRetry } from '../ssh/retry.js';
import type { HostConfig } from '../ssh/ssh-config.js';

export const RUNS_PER_CONNECTION = 3;

interface Entry {
  client: Client;
  runs: number;
  limit: number;
  dead: boolean;
}

export interface Lease {
  client: Client;
  /** True when the connection was opened for this lease (a cold call). */
  fresh: boolean;
  /** The server refused a channel: take no more runs on this connection. */
  full(): void;
  release(): void;
}

export function connectionKey(cfg: HostConfig): string {
  const { alias: _alias, resolveOptions: _r, ...settings } = cfg;
  return JSON.stringify(settings);
}

export class Connections {
  private byKey = new Map<string, Entry[]>();
  private opening = new Map<string, Promise<Entry>>();

  /** Connections currently open, for `gocpu hosts` and the tests. */
  count(): number {
    let n = 0;
    for (const list of this.byKey.values()) n += list.filter((e) => !e.dead).length;
    return n;
  }

  async lease(cfg: HostConfig, log: (line: string) => void): Promise<Lease> {
    const key = connectionKey(cfg);
    for (;;) {
      const list = this.byKey.get(key) ?? [];
      const free = list.find((e) => !e.dead && e.runs < e.limit);
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
    return {
      client: e.client,
      fresh,
      full: () => {
        e.limit = Math.max(1, e.runs - 1);
      },
      release: () => {
        if (released) return;
        released = true;
        e.runs--;
      },
    };
  }

  private async open(cfg: HostConfig, key: string, log: (line: string) => void): Promise<Entry> {
    // No terminal here: a key that needs a passphrase cannot be unlocked by the
    // agent (prompter null); the caller falls back to direct mode for that host.
    const client = await connectWithRetry(cfg, { prompter: null, log });
    client.setNoDelay(true);
    const entry: Entry = { client, runs: 0, limit: RUNS_PER_CONNECTION, dead: false };
    const drop = () => {
      entry.dead = true;
      const list = this.byKey.get(key)?.filter((x) => x !== entry) ?? [];
      if (list.length > 0) this.byKey.set(key, list);
      else this.byKey.delete(key);
    };
    client.on('close', drop);
    client.on('end', drop);
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), entry]);
    return entry;
  }

  async closeAll(): Promise<void> {
    const all = [...this.byKey.values()].flat();
    this.byKey.clear();
    await Promise.all(all.map((e) => closeClient(e.client)));
  }
}
