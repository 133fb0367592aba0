/**
 * The test binary in one stream, once (issue 8): the agent puts each binary into the
 * remote user's content-addressed cache (src/remote/upload.sh) and the run's view
 * binds it from there, so the binary is not paged in through FUSE, a round trip per
 * page, and an unchanged binary (a -count=1 rerun, several -run passes) is not sent
 * again. Per remote user (the connections with the same ssh settings) we remember what
 * its cache has and what is on its way there, so a warm call costs no round trip for it
 * and a binary goes once however many connections ask for it; the local hash is kept
 * per file identity (path, inode, size, mtime), so an unchanged binary is not read again
 * either.
 */
import { AsyncResource } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Client, ClientChannel } from 'ssh2';
import { GocpuError } from '../errors.js';
import { remoteScript } from '../remote/scripts.js';
import { exec } from '../ssh/connect.js';
import { shellJoin } from '../util/shell-quote.js';
import { trace } from '../util/trace.js';
import { sha256Known, sha256Of } from '../util/file-hash.js';
import { isClosed, noteClose } from './spare.js';

/**
 * A test binary in the remote's cache: its sha256 and, while it is still on its way
 * there, `arriving`, true once the cache has it (false: it could not be put there), and
 * `committing`: the line that tells a run half of it as soon as its commit is on the
 * way ("SHA ID": the run's view waits for upload.sh ID's lock, src/remote/upload.sh), or
 * undefined when there is none (then only `arriving` says).
 */
export interface CachedBinary {
  sha: string;
  arriving?: Promise<boolean>;
  committing?: Promise<string | undefined>;
}

/** An upload on its way: its run-half line once committing, and its end (the cache has it). */
interface Sending {
  committing: Promise<string | undefined>;
  sent: Promise<void>;
}

/**
 * One remote user's cache as the agent knows it, shared by the connections with the same
 * ssh settings (connections.ts): the sha256s it is known to hold, and the uploads on their
 * way there. A binary learned on one connection is named at once in a run's header on
 * another, not asked after with a round trip and an upload channel (go test -p N takes two
 * connections from N = 3 on, and runs each package on whichever is free); one on its way
 * from one connection is waited for by a run on another, not sent again beside it. A
 * commit line ("SHA ID") holds on every connection: it names a lock file in that cache.
 */
export interface RemoteCache {
  have: Set<string>;
  sending: Map<string, Sending>;
}

export function remoteCache(): RemoteCache {
  return { have: new Set(), sending: new Map() };
}

/** What one connection does with its remote user's cache: its uploads, and an upload channel opened ahead. */
export class RemoteBinaries {
  /** An upload.sh waiting for its first line (see fill()). */
  private spare: Promise<ClientChannel> | undefined;
  /** The server refused a spare's channel (a MaxSessions below ours): no more spares here. */
  private refused = false;

  private readonly have: Set<string>;
  private readonly sending: Map<string, Sending>;

  constructor(
    private readonly log: (line: string) => void = () => {},
    cache: RemoteCache = remoteCache(),
  ) {
    this.have = cache.have;
    this.sending = cache.sending;
  }

  /**
   * The binary's sha256 as soon as it is hashed, its upload started if the remote lacks
   * it: the run's view is built while it goes (src/run/late-binary.ts).
   */
  async start(client: Client, file: string): Promise<{ sha: string } & Partial<Sending>> {
    const { sha, size } = await sha256Of(file);
    trace('binary: hashed');
    if (this.have.has(sha)) {
      trace('binary: the remote has it');
      return { sha };
    }
    let s = this.sending.get(sha);
    if (!s) {
      let told = (_line: string | undefined) => {};
      const committing = new Promise<string | undefined>((r) => (told = r));
      const sent = upload(client, file, sha, size, this.takeSpare(), (id) => told(`${sha} ${id}`))
        .then(() => void this.have.add(sha))
        .finally(() => {
          told(undefined);
          this.sending.delete(sha);
        });
      s = { committing, sent };
      this.sending.set(sha, s);
    }
    return { sha, ...s };
  }

  /**
   * The binary in the remote's cache, or on its way there (src/run/late-binary.ts): at
   * once, not a promise, when it was hashed before and the remote has it; undefined when it
   * cannot be cached (the run pages it in through the mount).
   */
  place(client: Client, file: string): CachedBinary | Promise<CachedBinary | undefined> {
    const k = sha256Known(file);
    if (k && this.have.has(k.sha)) {
      trace('binary: the remote has it');
      return { sha: k.sha };
    }
    return this.start(client, file).then(({ sha, sent, committing }) => (sent ? { sha, committing, arriving: sent.then(() => true, (err) => (notCached(err), false)) } : { sha }), (err) => {
      notCached(err);
      return undefined;
    });
  }

  /** The binary's sha256 once the remote has it in its cache. */
  async ensure(client: Client, file: string): Promise<string> {
    const { sha, sent } = await this.start(client, file);
    await sent;
    return sha;
  }

  /**
   * Opens the next upload's channel ahead, unless one is ready or on its way: opening it
   * costs two round trips plus the remote's login shell and sh (at 50 ms, 130 ms of every
   * call with a new binary). The caller keeps it within the connection's channel budget
   * (connections.ts: filled only while a run fewer than the limit is on it).
   */
  fill(client: Client): void {
    if (this.spare || this.refused) return;
    const p = openUpload(client);
    this.spare = p;
    p.then((ch) => {
      // Unused, it says nothing; closed (the connection went), it is no spare.
      ch.stderr.resume();
      noteClose(ch);
      ch.on('close', () => {
        if (this.spare === p) this.spare = undefined;
      });
    }, (e: unknown) => {
      if (this.spare === p) this.spare = undefined;
      this.refused = true;
      this.log(`no spare upload channel on this connection: ${(e as Error)?.message ?? String(e)}`);
    });
  }

  /** Closes a spare channel (the connection stays). */
  drain(): void {
    const p = this.takeSpare();
    p?.then((ch) => ch.close(), () => {});
  }

  private takeSpare(): Promise<ClientChannel> | undefined {
    const p = this.spare;
    this.spare = undefined;
    return p;
  }
}

/** The trace's word for a binary that could not be put into the remote's cache. */
export function notCached(err: unknown): void {
  trace(`binary: not cached (${(err as Error)?.message}); paged in through the mount`);
}

function openUpload(client: Client): Promise<ClientChannel> {
  return exec(client, shellJoin(['sh', '-c', remoteScript('upload'), 'gocpu-upload']));
}

/**
 * upload.sh for one file that `sha` names, on `spare` (an upload channel opened ahead)
 * or on a new one; the cache then has it, or this rejects. onCommit(id): the bytes went
 * and their "commit" too, which upload.sh `id` is doing under its lock (upload.sh).
 */
export async function upload(client: Client, file: string, sha: string, size: number, spare?: Promise<ClientChannel>, onCommit: (id: string) => void = () => {}): Promise<void> {
  // A spare refused or closed meanwhile: a new channel, as without one.
  const ahead = spare && (await spare.then((c) => (isClosed(c) ? undefined : c), () => undefined));
  trace(ahead ? 'binary: on the upload channel opened ahead' : 'binary: on an upload channel opened now');
  const ch = ahead || (await openUpload(client));
  ch.write(`${sha} ${size}\n`);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let sent = false;
    let failed: string | undefined;
    let exitCode: number | null = null;
    ch.stderr.resume();
    // Bound: the channel's events come from the connection's context, and the trace of
    // the run that asked for the upload lives in the run's (src/util/trace.ts).
    ch.on('data', AsyncResource.bind((d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      for (const l of lines.slice(0, -1)) {
        if (l === 'have') {
          trace('binary: in the remote cache');
          ch.end();
          resolve();
        } else if (/^send( \d+)?$/.test(l) && !sent) {
          sent = true;
          trace('binary: the remote cache lacks it; sending');
          const id = l.slice('send '.length);
          send(file, sha, ch, () => {
            trace('binary: all bytes sent, and the commit');
            if (id) onCommit(id);
          });
        } else if (l === 'done') {
          trace(`binary: sent ${size} bytes`);
          // Not at the channel's close: upload.sh's age sweep of the cache comes after.
          resolve();
        } else if (l.startsWith('error')) failed = l;
      }
      out = lines[lines.length - 1];
    }));
    ch.on('exit', (code: number | null) => (exitCode = code));
    // Only upload.sh's own word ("have", "done", which settled it above) says the cache has
    // the binary: a channel that closes without it is a failure.
    ch.on('close', () => reject(new GocpuError('BINARY_UPLOAD', `cannot put the test binary into the remote cache: ${failed ?? `upload.sh ended with status ${exitCode}`}`, { side: 'remote' })));
  });
}

/**
 * The file, hashed as it goes, then upload.sh's verdict line: "commit" only when what
 * went is what `sha` names (the file may have changed since it was hashed).
 */
function send(file: string, sha: string, ch: ClientChannel, committed: () => void): void {
  const h = createHash('sha256');
  const from = createReadStream(file);
  from.on('data', (b) => h.update(b as Buffer));
  from.on('error', () => ch.close());
  from.on('end', () => {
    if (h.digest('hex') !== sha) return void ch.end('changed\n');
    ch.end('commit\n');
    committed();
  });
  from.pipe(ch, { end: false });
}
