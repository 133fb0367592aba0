/**
 * The copy half (copy mode, issue 10): in place of the mount half, one exec channel
 * runs copy.sh, which makes the run dir and extracts what the test may read into
 * mnt/ (ship-list.ts, pack.ts); run.sh and view.sh then build the same view from it
 * as from a mount. When the run ends, stop() asks for what the test wrote into the
 * writable roots (collect.ts puts it in place locally) and ends the channel, which
 * makes copy.sh remove the run dir. Presents itself as a Mount, so run.ts tells one
 * story for both modes.
 */
import type { Client, ClientChannel } from 'ssh2';
import { GocpuError } from '../errors.js';
import { remoteScript } from '../remote/scripts.js';
import { exec } from '../ssh/connect.js';
import { sha256Of } from '../util/file-hash.js';
import { shellJoin } from '../util/shell-quote.js';
import { trace } from '../util/trace.js';
import { ControlStream } from '../run/control.js';
import type { Mount } from '../run/mount.js';
import type { RunPlan } from '../run/plan.js';
import { collectInto } from './collect.js';
import { listTree } from './local-tree.js';
import { copyView } from './ship-list.js';
import { rebaseToken } from './rebase.js';
import { cached, cacheName, packTree, type PackStats } from './pack.js';

const CHUNK = 1 << 20;

/** Lines from copy.sh's stdout until `until`, then hands on the rest of the stream. */
class Lines {
  private buf = Buffer.alloc(0);
  private waiters: ((l: string | null) => void)[] = [];
  private lines: (string | null)[] = [];
  raw: ((d: Buffer) => void) | undefined;
  constructor(ch: ClientChannel) {
    ch.on('data', (d: Buffer) => {
      if (this.raw) return this.raw(d);
      this.buf = Buffer.concat([this.buf, d]);
      for (let i; (i = this.buf.indexOf(10)) !== -1;) {
        this.push(this.buf.subarray(0, i).toString());
        this.buf = this.buf.subarray(i + 1);
      }
    });
    ch.on('close', () => this.push(null));
  }
  private push(l: string | null) {
    const w = this.waiters.shift();
    if (w) w(l);
    else this.lines.push(l);
  }
  next(): Promise<string | null> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift()!);
    return new Promise((r) => this.waiters.push(r));
  }
}

async function write(ch: ClientChannel, data: Buffer | string): Promise<void> {
  if (!ch.write(data)) await new Promise<void>((r) => ch.once('drain', () => r()));
}

function copyFailed(plan: RunPlan, control: ControlStream, what: string): GocpuError {
  const err = control.errors()[0];
  const detail = err ? err.detail : [...control.other, what].filter(Boolean).join(' | ');
  return new GocpuError('REMOTE_COPY', `copying the test's files to ${plan.host} failed: ${detail}`, {
    side: 'remote', hint: 'check free space in the remote TMPDIR; `gocpu doctor` checks the host',
  });
}

/** namespaced: the view will show the copy; otherwise the test runs in it (rebase.ts). */
export async function startCopy(client: Client, plan: RunPlan, stderr: NodeJS.WritableStream, namespaced = true): Promise<Mount> {
  const [ch, entries] = await Promise.all([
    exec(client, shellJoin(['sh', '-c', remoteScript('copy'), 'gocpu-copy', plan.nonce, namespaced ? '1' : '0'])),
    listTree(plan.copyRoots, plan.binary),
  ]);
  const control = new ControlStream(plan.nonce, stderr);
  ch.stderr.pipe(control);
  let exitCode: number | null = null;
  // An exit (a status or a signal) is copy.sh's own end; a lost connection brings none.
  let exited = false;
  ch.on('exit', (code: number | null) => {
    exitCode = code;
    exited = true;
  });
  const closed = new Promise<{ code: number | null }>((resolve) => ch.on('close', () => resolve({ code: exitCode })));
  const lines = new Lines(ch);
  let gone = false;
  closed.then(() => (gone = true));

  try {
    const names = new Map<string, string>();
    for (const e of entries) if (cached(e)) names.set(e.path, cacheName((await sha256Of(e.path)).sha, e.mode, e.mtime));
    const unique = [...new Set(names.values())];
    await write(ch, `${unique.length}\n${unique.map((n) => n + '\n').join('')}`);
    const missing = new Set<string>();
    for (let l = await lines.next(); l !== 'send'; l = await lines.next()) {
      if (l === null) throw copyFailed(plan, control, 'copy.sh ended before the copy');
      missing.add(l);
    }
    const stats: PackStats = { files: 0, sentFiles: 0, sentBytes: 0 };
    for await (const chunk of packTree(entries, names, missing, stats)) {
      for (let off = 0; off < (chunk as Buffer).length; off += CHUNK) {
        const part = (chunk as Buffer).subarray(off, off + CHUNK);
        await write(ch, `${part.length}\n`);
        await write(ch, part);
      }
    }
    await write(ch, '0\n');
    const word = await lines.next();
    if (word !== 'copied') throw copyFailed(plan, control, 'copy.sh ended during the copy');
    trace(`copy: ${entries.length} entries, ${stats.files} files; sent ${stats.sentFiles} (${stats.sentBytes} bytes), the rest from the host's cache`);
  } catch (e) {
    ch.close();
    await closed;
    throw e instanceof GocpuError ? e : new GocpuError('COPY', `cannot copy the test's files: ${(e as Error).message}`, { cause: e });
  }

  const writable = plan.copyRoots.filter((r) => r.writable).map((r) => r.path);
  return {
    control,
    closed,
    copy: { ...copyView(plan.copyRoots), inPlace: namespaced ? undefined : { token: rebaseToken(plan.nonce) } },
    requests: () => 0,
    async stop() {
      // Only a copy half still there can send back what the test wrote.
      const collect = writable.length > 0 && !exited && !gone;
      if (collect) {
        const tar = new Promise<void>((resolve, reject) => {
          const sink = collectInto(writable, plan.binary, stderr);
          lines.raw = (d) => sink.write(d);
          closed.then(() => sink.end());
          sink.done.then(resolve, reject);
        });
        await write(ch, `collect ${writable.length}\n${writable.map((p) => p.slice(1) + '\n').join('')}`);
        ch.end();
        // Outputs can be large (profiles); a dead link ends the channel through the watch half.
        const timer = setTimeout(() => ch.close(), 300_000);
        try {
          await tar;
        } finally {
          clearTimeout(timer);
        }
      } else {
        ch.end();
      }
      const timer = setTimeout(() => ch.close(), 5000);
      await closed;
      clearTimeout(timer);
      if (!collect && exited && writable.length > 0) {
        // copy.sh ended by itself first (killed, out of memory): the stale-run sweep removes
        // its dir. A lost connection has its own line already (the watch half's), and no exit.
        throw new GocpuError('REMOTE_COPY', `the copy half on ${plan.host} ended before the run did: what the test wrote (coverage, profiles, the test log) did not come back`, { side: 'remote' });
      }
    },
  };
}
