/**
 * Open handles of one SFTP session. A handle on the wire is 4 opaque bytes (a counter);
 * anything the client sends that is not a live handle of the right kind is refused with
 * FAILURE, never trusted. Every handle holds descriptors from the session's quota
 * (budget.ts): taken before the open, given back on close.
 */
import type { Dir as FsDir } from 'node:fs';
import type { DescriptorQuota } from './budget.js';
import type { Attrs } from './protocol.js';
import type { ReadAhead } from './read-ahead.js';
import type { Root } from './resolve/roots.js';
import { failure } from './status.js';

export interface FileHandle {
  kind: 'file';
  fd: number;
  /** Virtual path, for logs. */
  path: string;
  /** Opened with a write flag (WRITE needs it). */
  canWrite: boolean;
  /** The file's directory is in a writable export (FSETSTAT needs it). */
  writableExport: boolean;
  cost: number;
  /** Made by the first READ (read-ahead.ts); closed before the descriptor is. */
  readAhead?: ReadAhead;
}

export interface DirEntry {
  name: string;
  attrs: Attrs;
}

export interface DirHandle {
  kind: 'dir';
  /** Virtual path as resolved (nested export roots below it are recognized by it). */
  path: string;
  /** The directory itself: FSTAT and the lstat of each entry are relative to it. */
  fd?: number;
  local?: string;
  root?: Root;
  /** Names are read from here batch by batch, never copied whole; undefined for a virtual dir. */
  stream?: FsDir;
  /** Entries with attributes known up front ('.', '..', a virtual dir's children). */
  head: DirEntry[];
  eof: boolean;
  cost: number;
}

export type Handle = FileHandle | DirHandle;

export const DEFAULT_MAX_HANDLES = 4096;

export class HandleTable {
  private readonly map = new Map<number, Handle>();
  private next = 1;

  constructor(readonly quota: DescriptorQuota) {}

  get size(): number {
    return this.map.size;
  }

  /** Takes `cost` descriptors from the quota before they are opened; FAILURE when over it. */
  reserve(cost: number): void {
    if (!this.quota.take(cost)) throw failure('Too many open handles');
  }

  /** Gives back a reservation that did not become a handle. */
  unreserve(cost: number): void {
    this.quota.give(cost);
  }

  /** Registers a handle whose `cost` was reserved. */
  add(h: Handle): Buffer {
    let id = this.next;
    while (this.map.has(id)) id = (id % 0xffffffff) + 1;
    this.next = (id % 0xffffffff) + 1;
    this.map.set(id, h);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id);
    return buf;
  }

  private key(handle: Buffer): number | undefined {
    return Buffer.isBuffer(handle) && handle.length === 4 ? handle.readUInt32BE(0) : undefined;
  }

  get(handle: Buffer): Handle | undefined {
    const k = this.key(handle);
    return k === undefined ? undefined : this.map.get(k);
  }

  file(handle: Buffer): FileHandle {
    const h = this.get(handle);
    if (h?.kind !== 'file') throw failure('Invalid file handle');
    return h;
  }

  dir(handle: Buffer): DirHandle {
    const h = this.get(handle);
    if (h?.kind !== 'dir') throw failure('Invalid directory handle');
    return h;
  }

  /** Unregisters the handle; the caller closes its descriptors, then calls `unreserve(h.cost)`. */
  remove(handle: Buffer): Handle {
    const k = this.key(handle);
    const h = k === undefined ? undefined : this.map.get(k);
    if (!h || k === undefined) throw failure('Invalid handle');
    this.map.delete(k);
    return h;
  }

  /** Every open file handle. */
  *files(): IterableIterator<FileHandle> {
    for (const h of this.map.values()) if (h.kind === 'file') yield h;
  }

  /** Empties the table, returning what was open (for closing at session end). */
  drain(): Handle[] {
    const all = [...this.map.values()];
    this.map.clear();
    return all;
  }
}
