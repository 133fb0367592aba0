/**
 * The test binary in one stream, once (issue 8): the agent puts each binary into the
 * remote user's content-addressed cache (src/remote/upload.sh) and the run's view
 * binds it from there, so the binary is not paged in through FUSE, a round trip per
 * page, and an unchanged binary (a -count=1 rerun, several -run passes) is not sent
 * again. Per connection we remember what the remote has, so a warm call costs no
 * round trip for it; the local hash is kept per file identity (path, inode, size,
 * mtime), so an unchanged binary is not read again either.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Client, ClientChannel } from 'ssh2';
import { GocpuError } from '../errors.js';
import { remoteScript } from '../remote/scripts.js';
import { exec } from '../ssh/connect.js';
import { shellJoin } from '../util/shell-quote.js';
import { trace } from '../util/trace.js';
import { sha256Of } from '../util/file-hash.js';

/** What one connection's remote holds. */
export class RemoteBinaries {
  private readonly have = new Set<string>();
  private readonly sending = new Map<string, Promise<void>>();

  /** The binary's sha256 once the remote has it in its cache. */
  async ensure(client: Client, file: string): Promise<string> {
    const { sha, size } = await sha256Of(file);
    if (this.have.has(sha)) {
      trace('binary: the remote has it');
      return sha;
    }
    let p = this.sending.get(sha);
    if (!p) {
      p = upload(client, file, sha, size).finally(() => this.sending.delete(sha));
      this.sending.set(sha, p);
    }
    await p;
    this.have.add(sha);
    return sha;
  }
}

/** upload.sh for one file that `sha` names; the cache then has it, or this rejects. */
export async function upload(client: Client, file: string, sha: string, size: number): Promise<void> {
  const ch = await exec(client, shellJoin(['sh', '-c', remoteScript('upload'), 'gocpu-upload', sha, String(size)]));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let sent = false;
    let failed: string | undefined;
    let exitCode: number | null = null;
    ch.stderr.resume();
    ch.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      for (const l of lines.slice(0, -1)) {
        if (l === 'have') {
          trace('binary: in the remote cache');
          ch.end();
          resolve();
        } else if (l === 'send' && !sent) {
          sent = true;
          send(file, sha, ch);
        } else if (l === 'done') {
          trace(`binary: sent ${size} bytes`);
          // Not at the channel's close: upload.sh's age sweep of the cache comes after.
          resolve();
        } else if (l.startsWith('error')) failed = l;
      }
      out = lines[lines.length - 1];
    });
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
function send(file: string, sha: string, ch: ClientChannel): void {
  const h = createHash('sha256');
  const from = createReadStream(file);
  from.on('data', (b) => h.update(b as Buffer));
  from.on('error', () => ch.close());
  from.on('end', () => ch.end(h.digest('hex') === sha ? 'commit\n' : 'changed\n'));
  from.pipe(ch, { end: false });
}
