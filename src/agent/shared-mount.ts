/**
 * The agent's mount per connection (issue 8): one `sshfs -o passive` on the remote,
 * served by one SFTP server here, shared by every run on that connection. Each run is
 * a subtree `mnt/<run nonce>/` with its own export table, permissions and lifetime
 * (src/sftp/spaces.ts): added before the run starts, removed when it ends, so a file
 * changed between two runs is never served from the first run's cache, and one run's
 * writable export is never another's. The remote half is mount.sh, as for a run's own
 * mount; runs find it through the run header (run.sh) and bind their subtree only.
 */
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { ExportTable } from '../sftp/exports.js';
import { startSftpServer } from '../sftp/server.js';
import { RunSpaces } from '../sftp/spaces.js';
import { WORDS } from '../remote/contract.js';
import { remoteScript } from '../remote/scripts.js';
import { exec } from '../ssh/connect.js';
import { shellJoin } from '../util/shell-quote.js';
import { ControlStream } from '../run/control.js';
import type { Mount } from '../run/mount.js';
import type { RunPlan } from '../run/plan.js';
import { explainRemoteFailure } from '../run/remote-errors.js';

export class SharedMount {
  private constructor(
    readonly nonce: string,
    private readonly channel: ClientChannel,
    private readonly spaces: RunSpaces,
    readonly control: ControlStream,
    readonly closed: Promise<{ code: number | null }>,
    private readonly server: { close(): void },
  ) {}

  private ended = false;

  get alive(): boolean {
    return !this.ended;
  }

  /** Starts mount.sh and resolves once sshfs is mounted on the remote. */
  static async start(client: Client, host: string, sshfs: string, sshfsOptions: string): Promise<SharedMount> {
    const nonce = randomBytes(12).toString('hex');
    const channel = await exec(client, shellJoin(['sh', '-c', remoteScript('mount'), 'gocpu-mount', nonce, sshfs, sshfsOptions, '1']));
    let mounted: () => void = () => {};
    const isMounted = new Promise<void>((r) => (mounted = r));
    const control = new ControlStream(nonce, null, (l) => {
      if (l.word === WORDS.mounted) mounted();
    });
    channel.stderr.pipe(control);
    let exitCode: number | null = null;
    channel.on('exit', (code: number | null) => (exitCode = code));
    const closed = new Promise<{ code: number | null }>((resolve) => channel.on('close', () => resolve({ code: exitCode })));
    const spaces = new RunSpaces(() => undefined);
    const server = startSftpServer(channel, spaces);
    const m = new SharedMount(nonce, channel, spaces, control, closed, server);
    void closed.then(() => (m.ended = true));
    const ended = await Promise.race([isMounted.then(() => false), closed.then(() => true)]);
    if (ended) {
      throw explainRemoteFailure({ host, errors: control.errors(), other: control.other, exitCode });
    }
    return m;
  }

  /** This run's subtree, served until the returned mount's stop(). */
  forRun(plan: RunPlan): Mount {
    this.spaces.add(plan.nonce, new ExportTable(plan.exports), plan.viewExports);
    return {
      aliased: this.spaces.aliased(plan.nonce),
      requests: () => this.spaces.requests(plan.nonce),
      control: this.control,
      // Nothing to wait for when a run fails to start: the mount is not the run's.
      closed: Promise.resolve({ code: null }),
      shared: this.nonce,
      stop: () => this.spaces.remove(plan.nonce),
    };
  }

  /** Ends the SFTP stream: sshfs unmounts, mount.sh removes the directory. */
  async stop(): Promise<void> {
    this.server.close();
    const timer = setTimeout(() => this.channel.close(), 5000);
    await this.closed;
    clearTimeout(timer);
  }
}
