/**
 * Where one call runs, in the agent: a seat on a host of its pool (pool.ts), then
 * a warm connection to that host (connections.ts). A host that fails to connect
 * is skipped (one warning line on this call's stderr) and the call asks the pool
 * again, keeping its place in line; it fails only when every host of its pool
 * failed, with the last host's error. The first connection to a host of unknown
 * size asks it for its core count (while its first call runs): its slots from then on.
 */
import type { Client } from 'ssh2';
import type { GocpuConfig } from '../config/config-file.js';
import { slotsFor } from '../config/host.js';
import { skipWarning } from '../run/first-host.js';
import { exec } from '../ssh/connect.js';
import { type HostConfig, resolveHostConfig } from '../ssh/ssh-config.js';
import { trace } from '../util/trace.js';
import { type Connections, type Lease, connectionKey } from './connections.js';
import { type Pool, type PoolMember, SKIP_MS } from './pool.js';

export interface Placement {
  host: string;
  lease: Lease;
  /** Settled once the host's core count, asked beside a first call, is known and traced. */
  probed: Promise<void>;
  /** The run is over: give back the connection and the slot. */
  release(): void;
}

export interface PlaceOptions {
  signal: AbortSignal;
  /** This call's stderr (warnings, and what connecting has to say). */
  stderr: (line: string) => void;
  /** The agent's own log. */
  log: (line: string) => void;
}

const NPROC_MS = 10_000;

/** The remote's core count, or undefined when it cannot say. */
async function coreCount(client: Client): Promise<number | undefined> {
  // A fixed command: nothing of ours reaches the remote shell.
  const ch = await exec(client, 'nproc 2>/dev/null || getconf _NPROCESSORS_ONLN');
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => {
      ch.close();
      resolve(undefined);
    }, NPROC_MS);
    ch.on('data', (d: Buffer) => (out += d.toString()));
    ch.stderr.resume();
    ch.on('close', () => {
      clearTimeout(timer);
      const n = Number(out.trim());
      resolve(Number.isSafeInteger(n) && n > 0 ? n : undefined);
    });
    ch.end();
  });
}

export async function placeRun(
  pool: Pool,
  connections: Connections,
  hosts: readonly string[],
  env: NodeJS.ProcessEnv,
  config: GocpuConfig,
  opts: PlaceOptions,
): Promise<Placement> {
  const resolved = new Map<string, { cfg?: HostConfig; error?: unknown }>();
  const members: PoolMember[] = hosts.map((name) => {
    const slots = slotsFor(name, env, config);
    try {
      const cfg = resolveHostConfig(name, { configFile: env.GOCPU_SSH_CONFIG || undefined, env });
      resolved.set(name, { cfg });
      return { key: connectionKey(cfg), name, slots };
    } catch (error) {
      // Its ssh settings do not resolve: a host that cannot connect, like any other.
      resolved.set(name, { error });
      return { key: `unresolved ${name}`, name, slots };
    }
  });
  const keys = new Set(members.map((m) => m.key));
  const tried = new Set<string>();

  let seat = await pool.acquire(members, opts.signal, () => trace('waiting for a slot'));
  let lastError: unknown;
  for (;;) {
    if (!seat) throw lastError;
    if (opts.signal.aborted) {
      seat.release();
      throw opts.signal.reason ?? new Error('aborted');
    }
    const s = seat;
    trace(`slot on ${s.name}`);
    let lease: Lease | undefined;
    try {
      const r = resolved.get(s.name)!;
      if (!r.cfg) throw r.error;
      lease = await connections.lease(r.cfg, opts.stderr);
      let probed = Promise.resolve();
      if (s.probe) {
        // Beside this run, not before it: the answer only matters to the calls that
        // wait meanwhile (one slot until then), and on a far host it costs the first
        // call two round trips and more.
        probed = coreCount(lease.client)
          .catch(() => undefined)
          .then((n) => {
            if (n === undefined) opts.log(`${s.name}: cannot tell its core count; 1 slot`);
            pool.learn(s.key, n ?? 1);
            trace(`${s.name}: ${n ?? 1} slots (${n === undefined ? 'default' : 'nproc'})`);
          });
      }
      const l = lease;
      return {
        host: s.name,
        lease: l,
        probed,
        release: () => {
          l.release();
          s.release();
        },
      };
    } catch (e) {
      lease?.release();
      if (opts.signal.aborted) {
        s.release();
        throw e;
      }
      lastError = e;
      tried.add(s.key);
      if (tried.size < keys.size) opts.stderr(skipWarning(s.name, e, SKIP_MS));
      opts.log(`${s.name} failed to connect: ${(e as Error)?.message ?? String(e)}`);
      seat = await s.failed();
    }
  }
}
