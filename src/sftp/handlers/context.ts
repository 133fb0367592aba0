/**
 * What every request handler gets, and what it returns. Handlers are plain async functions:
 * they return exactly one Reply or throw (StatusError or a Node error), and the server turns
 * that into exactly one packet, so no path can leave a request unanswered.
 */
import type { Confiner } from '../confine.js';
import type { ExportTable, Lookup } from '../exports.js';
import type { HandleTable } from '../handles.js';
import type { Attrs, NameEntry } from '../protocol.js';
import { denied, noSuchFile, STATUS, type StatusCode } from '../status.js';

export interface Context {
  table: ExportTable;
  confine: Confiner;
  handles: HandleTable;
  log: (line: string) => void;
}

export type Reply =
  | { kind: 'status'; code: StatusCode; message?: string }
  | { kind: 'handle'; handle: Buffer }
  | { kind: 'name'; names: NameEntry[] }
  | { kind: 'attrs'; attrs: Attrs }
  /** A complete packet encoded by us (DATA on the read path, EXTENDED_REPLY). */
  | { kind: 'raw'; packet: Buffer };

export const OK: Reply = { kind: 'status', code: STATUS.OK };
export const EOF: Reply = { kind: 'status', code: STATUS.EOF, message: 'End of file' };

/**
 * Looks a client path up; a path outside the namespace does not exist for a reader and
 * cannot be created by a writer.
 */
export function lookup(ctx: Context, path: unknown, forWrite = false): Lookup {
  const l = typeof path === 'string' ? ctx.table.lookup(path) : null;
  if (!l) throw forWrite ? denied('Outside the exports') : noSuchFile();
  return l;
}

export type ExportLookup = Extract<Lookup, { kind: 'export' }>;

/** A path in a writable export (virtual dirs and read-only exports are refused). */
export function writableLookup(ctx: Context, path: unknown): ExportLookup {
  const l = lookup(ctx, path, true);
  if (l.kind !== 'export' || !l.writable) throw denied('Read-only');
  return l;
}

export function isExportRoot(l: ExportLookup): boolean {
  return l.path === l.export.path;
}
