/**
 * What every request handler gets, and what it returns. Handlers are plain async functions:
 * they return exactly one Reply or throw (StatusError or a Node error), and the server turns
 * that into exactly one packet, so no path can leave a request unanswered.
 */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import type { Handle, HandleTable } from '../handles.js';
import type { BlockPool } from '../read-ahead-pool.js';
import type { PacketPool } from '../packet-pool.js';
import type { Attrs, NameEntry } from '../protocol.js';
import { release, walk, type Resolved, type WalkOptions } from '../resolve/walk.js';
import { STATUS, type StatusCode } from '../status.js';
import type { Spaces } from '../spaces.js';

const close = promisify(fs.close);

export interface Context {
  /** What the session serves: one run, or one subtree per run (spaces.ts). */
  spaces: Spaces;
  handles: HandleTable;
  /** Where READs' read-ahead blocks come from (read-ahead.ts). */
  readAhead: BlockPool;
  /** Where READs' DATA replies are built (packet-pool.ts). */
  packets: PacketPool;
  log: (line: string) => void;
}

export type Reply =
  | { kind: 'status'; code: StatusCode; message?: string }
  | { kind: 'handle'; handle: Buffer }
  | { kind: 'name'; names: NameEntry[] }
  | { kind: 'attrs'; attrs: Attrs }
  /**
   * A complete packet encoded by us (DATA on the read path, EXTENDED_REPLY); `taken` is
   * called once the stream is done with it (DATA buffers go back to their pool).
   */
  | { kind: 'raw'; packet: Buffer; taken?: () => void };

export const OK: Reply = { kind: 'status', code: STATUS.OK };
export const EOF: Reply = { kind: 'status', code: STATUS.EOF, message: 'End of file' };

export type Entry = Extract<Resolved, { kind: 'entry' }>;

/** Resolves a client path (resolve/walk.ts) and runs `fn` on it, releasing what the walk opened. */
export async function withPath<X>(ctx: Context, p: unknown, opts: WalkOptions, fn: (r: Resolved) => Promise<X>): Promise<X> {
  const space = ctx.spaces.of(p);
  const r = await walk(space, await space.roots, p, opts);
  try {
    return await fn(r);
  } finally {
    await release(r);
  }
}

/** Closes a handle's descriptors and gives them back to the quota. */
export async function closeHandle(ctx: Context, h: Handle): Promise<void> {
  try {
    if (h.kind === 'file') {
      // A read-ahead fill still in flight would read whatever file reuses the descriptor.
      await h.readAhead?.close();
      await close(h.fd);
    }
    else {
      await h.stream?.close().catch(() => undefined);
      if (h.fd !== undefined) await close(h.fd);
    }
  } finally {
    ctx.handles.unreserve(h.cost);
  }
}
