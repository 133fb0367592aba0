/**
 * Open handles of one SFTP session. A handle on the wire is 4 opaque bytes (a counter);
 * anything the client sends that is not a live handle of the right kind is refused with
 * FAILURE, never trusted.
 */
import type { Attrs } from './protocol.js';
import { failure } from './status.js';

export interface FileHandle {
  kind: 'file';
  fd: number;
  /** Virtual path, for logs. */
  path: string;
  /** Opened with a write flag (WRITE needs it). */
  canWrite: boolean;
  /** The file lies in a writable export, virtually and really (FSETSTAT needs it). */
  writableExport: boolean;
}

export interface DirEntry {
  name: string;
  /** Attributes known up front (virtual dirs); otherwise lstat'ed when the batch is sent. */
  attrs?: Attrs;
}

export interface DirHandle {
  kind: 'dir';
  path: string;
  /** Real directory whose entries are lstat'ed; undefined for a virtual dir. */
  real?: string;
  entries: DirEntry[];
  pos: number;
}

export type Handle = FileHandle | DirHandle;

export const DEFAULT_MAX_HANDLES = 4096;

export class HandleTable {
  private readonly map = new Map<number, Handle>();
  private next = 1;
  readonly max: number;

  constructor(max = DEFAULT_MAX_HANDLES) {
    this.max = max;
  }

  get size(): number {
    return this.map.size;
  }

  /** Throws FAILURE when the table is full (the caller closes what it opened). */
  add(h: Handle): Buffer {
    if (this.map.size >= this.max) throw failure('Too many open handles');
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

  remove(handle: Buffer): Handle {
    const k = this.key(handle);
    const h = k === undefined ? undefined : this.map.get(k);
    if (!h || k === undefined) throw failure('Invalid handle');
    this.map.delete(k);
    return h;
  }

  /** Empties the table, returning what was open (for closing at session end). */
  drain(): Handle[] {
    const all = [...this.map.values()];
    this.map.clear();
    return all;
  }
}
