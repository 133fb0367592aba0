/**
 * The SFTP server a remote `sshfs -o passive` talks to: its requests arrive on `stream`
 * (in production an ssh2 exec channel running sshfs), our replies go back on it.
 * Built on ssh2's server-side SFTP class for parsing and most replies (see protocol.ts).
 *
 * Invariants: every request gets exactly one reply (handlers return a Reply or throw, see
 * handlers/context.ts); requests execute in arrival order (scheduler.ts); nothing a client
 * sends can throw out of here: a packet ssh2 cannot parse ends the session cleanly.
 */
import type { Duplex } from 'node:stream';
import { ExportTable } from './exports.js';
import { singleSpace, type Space, type Spaces } from './spaces.js';
import { DEFAULT_MAX_HANDLES, HandleTable } from './handles.js';
import { Scheduler } from './scheduler.js';
import { DEFAULT_LIMITS, FlowControl } from './flow.js';
import { DescriptorQuota, processBudget, type ProcessBudget } from './budget.js';
import { readAheadPool, type BlockPool } from './read-ahead-pool.js';
import { dataPackets, PacketPool } from './packet-pool.js';
import { OutsideError } from './resolve/walk.js';
import { newServerSession, OPEN_MODE, PayloadReader, SSH2_VERSION_PACKET, versionPacket, type Attrs } from './protocol.js';
import { STATUS, StatusError, toStatus } from './status.js';
import type { Context, Reply } from './handlers/context.js';
import { closeAll, handleClose, handleFsetstat, handleFstat, handleFsync, handleOpen, handleRead, handleWrite } from './handlers/files.js';
import { handleOpendir, handleReaddir } from './handlers/dirs.js';
import { handleReadlink, handleRealpath, handleSetstat, handleStat, handleStatvfs } from './handlers/metadata.js';
import { handleHardlink, handleMkdir, handleRemove, handleRename, handleRmdir, handleSymlink } from './handlers/mutations.js';

export interface SftpServerOptions {
  log?: (line: string) => void;
  /**
   * Descriptors this session's handles may hold at once (default 4096; a file handle holds
   * one, a directory handle two), under `processBudget`'s cap.
   */
  maxHandles?: number;
  /** Reply bytes this session may queue before its requests wait (default 4 MiB). */
  outputBudget?: number;
  /** The per-process caps; default: the one budget shared by every server of the process. */
  processBudget?: ProcessBudget;
  /** The per-process read-ahead blocks; default: the pool shared by every server of the process. */
  readAheadPool?: BlockPool;
  /**
   * The stream copies what it is given before its write callback (an ssh2 channel does,
   * see mount.ts), so a DATA reply's buffer may be reused after it (packet-pool.ts). Not
   * so for every stream: a PassThrough calls back while its reader has yet to read the
   * very same buffer. Default false: a fresh buffer per DATA reply.
   */
  reuseReplyBuffers?: boolean;
  /** Called before each reply is written: the mount half batches a tick's replies (ssh/write-batch.ts). */
  batchWrites?: () => void;
  /** A session of one run (an ExportTable): told of each of its requests (see Space.onRequest). */
  onRequest?: (what: string) => void;
}

export interface SftpServerStats {
  /** Reply bytes queued now, and the most ever queued at once. */
  queued: number;
  peakQueued: number;
  /** Descriptors held by this session's handles. */
  descriptors: number;
  /** Requests served, each a round trip for the remote (GOCPU_TRACE). */
  requests: number;
}

export interface SftpServer {
  /** Resolves when the stream has ended and every handle is closed. Never rejects. */
  done: Promise<void>;
  /** Ends our side; sshfs unmounts itself on stdin EOF. */
  close(): void;
  stats(): SftpServerStats;
}

/** Advertised in VERSION; sshfs uses each only when it sees it (sshfs.c, sftp_init_reply_ok). */
const EXTENSIONS: [string, string][] = [
  ['posix-rename@openssh.com', '1'],
  ['statvfs@openssh.com', '2'],
  ['hardlink@openssh.com', '1'],
  ['fsync@openssh.com', '1'],
];

/** OPEN flags after which a file's bytes may differ (TRUNC now, WRITEs later). */
const OPEN_FOR_WRITE = OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC;

export function startSftpServer(stream: Duplex, table: ExportTable | Spaces, opts: SftpServerOptions = {}): SftpServer {
  const log = opts.log ?? (() => undefined);
  const pool = opts.processBudget ?? processBudget;
  const quota = new DescriptorQuota(opts.maxHandles ?? DEFAULT_MAX_HANDLES, pool);
  const spaces = table instanceof ExportTable ? singleSpace(table, log, opts.onRequest) : table;
  const ctx: Context = {
    spaces,
    handles: new HandleTable(quota),
    readAhead: opts.readAheadPool ?? readAheadPool,
    packets: opts.reuseReplyBuffers ? dataPackets : new PacketPool(dataPackets.size, 0),
    log,
  };
  // Before a request that may change a file's bytes: no later READ may see read-ahead from before it.
  const changing = <T>(fn: () => Promise<T>) => (): Promise<T> => {
    for (const h of ctx.handles.files()) h.readAhead?.invalidate();
    return fn();
  };
  let ended = false; // our side
  let finished = false; // their side
  let firstPacket = true;
  const scheduler = new Scheduler((e) => log(`sftp: internal error: ${String(e)}`));
  const flow = new FlowControl(stream, () => scheduler.size, pool, {
    ...DEFAULT_LIMITS,
    outputBudget: opts.outputBudget ?? DEFAULT_LIMITS.outputBudget,
  });

  const send = (buf: Buffer, taken?: () => void): void => {
    if (ended) {
      taken?.();
      return;
    }
    if (firstPacket) {
      firstPacket = false;
      // ssh2 sends a fixed VERSION without extensions; swap in ours.
      if (buf.equals(SSH2_VERSION_PACKET)) buf = versionPacket(EXTENSIONS);
    }
    opts.batchWrites?.();
    flow.write(buf, taken);
  };
  const endOurSide = (): void => {
    if (ended) return;
    ended = true;
    flow.close();
    stream.end();
  };

  const sftp = newServerSession(send, endOurSide);
  sftp.on('error', (e: Error) => {
    log(`sftp: closing the session: ${e.message}`);
    endOurSide();
  });

  function sendReply(id: number, r: Reply): void {
    switch (r.kind) {
      case 'status':
        return sftp.status(id, r.code, r.message);
      case 'handle':
        return sftp.handle(id, r.handle);
      case 'name':
        return sftp.name(id, r.names);
      case 'attrs':
        return sftp.attrs(id, r.attrs);
      case 'raw':
        return send(r.packet, r.taken);
    }
  }

  function serve(mode: 'shared' | 'exclusive', what: string, id: number, fn: () => Promise<Reply>): void {
    // Data requests come by the thousand for a big file: the trace counts them, not each.
    if (!what.startsWith('READ') && !what.startsWith('WRITE')) lastSpace?.onRequest?.(`sftp: ${what}`);
    lastSpace = undefined;
    const task = async (): Promise<void> => {
      let r: Reply;
      try {
        // Before the request allocates its reply (see flow.ts).
        await flow.roomToWrite();
        r = await fn();
      } catch (e) {
        const s = toStatus(e);
        if (e instanceof OutsideError) log(`sftp: ${what}: ${e.logLine}`);
        else if (s.code === STATUS.PERMISSION_DENIED || s.code === STATUS.FAILURE) log(`sftp: ${what}: ${s.message}`);
        r = { kind: 'status', code: s.code, message: s.message };
      }
      try {
        sendReply(id, r);
      } catch (e) {
        log(`sftp: ${what}: cannot encode the reply: ${String(e)}`);
        sftp.status(id, STATUS.FAILURE, 'Internal error');
      }
      flow.update();
    };
    if (mode === 'shared') scheduler.shared(task);
    else scheduler.exclusive(task);
    flow.update();
  }
  // Every request is counted once, for its run (the space its path, or its handle's, is in).
  let requests = 0;
  /** The space of the request being dispatched (counted() finds it, serve() tells it). */
  let lastSpace: Space | undefined;
  const counted = (p: unknown): void => {
    requests++;
    const space = spaces.of(p);
    space.requests = (space.requests ?? 0) + 1;
    lastSpace = space;
  };
  const path = (p: unknown): string => {
    counted(p);
    return typeof p === 'string' ? p : '?';
  };
  const byHandle = (what: string, h: Buffer): string => {
    const p = ctx.handles.get(h)?.path;
    counted(p);
    return p === undefined ? what : `${what} ${p}`;
  };

  sftp.on('OPEN', (id: number, p: unknown, flags: number, attrs: Attrs) =>
    serve('exclusive', `OPEN ${path(p)}`, id, (flags & OPEN_FOR_WRITE) !== 0 ? changing(() => handleOpen(ctx, p, flags, attrs)) : () => handleOpen(ctx, p, flags, attrs)),
  );
  sftp.on('READ', (id: number, h: Buffer, offset: number, len: number) =>
    serve('shared', byHandle('READ', h), id, () => handleRead(ctx, id, h, offset, len)),
  );
  sftp.on('WRITE', (id: number, h: Buffer, offset: number, data: Buffer) =>
    serve('exclusive', byHandle('WRITE', h), id, changing(() => handleWrite(ctx, h, offset, data))),
  );
  sftp.on('CLOSE', (id: number, h: Buffer) => serve('exclusive', byHandle('CLOSE', h), id, () => handleClose(ctx, h)));
  sftp.on('FSTAT', (id: number, h: Buffer) => serve('exclusive', byHandle('FSTAT', h), id, () => handleFstat(ctx, h)));
  sftp.on('FSETSTAT', (id: number, h: Buffer, attrs: Attrs) =>
    serve('exclusive', byHandle('FSETSTAT', h), id, changing(() => handleFsetstat(ctx, h, attrs))),
  );
  sftp.on('OPENDIR', (id: number, p: unknown) => serve('exclusive', `OPENDIR ${path(p)}`, id, () => handleOpendir(ctx, p)));
  sftp.on('READDIR', (id: number, h: Buffer) => serve('exclusive', byHandle('READDIR', h), id, () => handleReaddir(ctx, h)));
  sftp.on('STAT', (id: number, p: unknown) => serve('exclusive', `STAT ${path(p)}`, id, () => handleStat(ctx, p, true)));
  sftp.on('LSTAT', (id: number, p: unknown) => serve('exclusive', `LSTAT ${path(p)}`, id, () => handleStat(ctx, p, false)));
  sftp.on('REALPATH', (id: number, p: unknown) =>
    serve('exclusive', `REALPATH ${path(p)}`, id, () => handleRealpath(ctx, p)),
  );
  sftp.on('READLINK', (id: number, p: unknown) =>
    serve('exclusive', `READLINK ${path(p)}`, id, () => handleReadlink(ctx, p)),
  );
  sftp.on('SETSTAT', (id: number, p: unknown, attrs: Attrs) =>
    serve('exclusive', `SETSTAT ${path(p)}`, id, changing(() => handleSetstat(ctx, p, attrs))),
  );
  sftp.on('REMOVE', (id: number, p: unknown) => serve('exclusive', `REMOVE ${path(p)}`, id, () => handleRemove(ctx, p)));
  sftp.on('MKDIR', (id: number, p: unknown, attrs: Attrs) =>
    serve('exclusive', `MKDIR ${path(p)}`, id, () => handleMkdir(ctx, p, attrs)),
  );
  sftp.on('RMDIR', (id: number, p: unknown) => serve('exclusive', `RMDIR ${path(p)}`, id, () => handleRmdir(ctx, p)));
  sftp.on('RENAME', (id: number, from: unknown, to: unknown) =>
    serve('exclusive', `RENAME ${path(from)}`, id, () => handleRename(ctx, from, to, false)),
  );
  // ssh2 has already put OpenSSH's swapped arguments back in order (see protocol.ts).
  sftp.on('SYMLINK', (id: number, linkPath: unknown, target: unknown) =>
    serve('exclusive', `SYMLINK ${path(linkPath)}`, id, () => handleSymlink(ctx, linkPath, target)),
  );
  sftp.on('EXTENDED', (id: number, name: string, data: Buffer | undefined) => {
    const r = new PayloadReader(data);
    switch (name) {
      case 'posix-rename@openssh.com': {
        const [from, to] = [r.string(), r.string()];
        return serve('exclusive', `${name} ${path(from)}`, id, () => handleRename(ctx, from, to, true));
      }
      case 'hardlink@openssh.com': {
        const [from, to] = [r.string(), r.string()];
        return serve('exclusive', `${name} ${path(from)}`, id, () => handleHardlink(ctx, from, to));
      }
      case 'statvfs@openssh.com': {
        const p = r.string();
        return serve('exclusive', `${name} ${path(p)}`, id, () => handleStatvfs(ctx, id, p));
      }
      case 'fsync@openssh.com': {
        const h = r.bytes();
        return serve('exclusive', name, id, () => handleFsync(ctx, h));
      }
      default:
        return serve('exclusive', `EXTENDED ${name}`, id, async () => {
          throw new StatusError(STATUS.OP_UNSUPPORTED, `Unsupported extension ${name}`);
        });
    }
  });

  stream.on('data', (chunk: Buffer | string) => {
    if (ended || finished) return;
    try {
      sftp.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    } catch (e) {
      // ssh2's parser throws on some malformed packets (a READ whose handle string
      // overruns the packet dereferences undefined); the session cannot continue.
      log(`sftp: closing the session on a malformed packet: ${String(e)}`);
      endOurSide();
    }
  });

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const finish = (): void => {
    if (finished) return;
    finished = true;
    flow.close();
    void (async () => {
      await scheduler.idle();
      await closeAll(ctx);
      await spaces.close();
      endOurSide();
      resolveDone();
    })();
  };
  stream.on('end', finish);
  stream.on('close', finish);
  stream.on('error', (e: Error) => {
    log(`sftp: stream error: ${e.message}`);
    finish();
  });

  return {
    done,
    close: endOurSide,
    stats: () => ({ queued: flow.queued, peakQueued: flow.peak, descriptors: quota.used, requests }),
  };
}
