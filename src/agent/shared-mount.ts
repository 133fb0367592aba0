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
import type { Client } from 'ssh2';
import { ExportTable } from '../sftp/exports.js';
import { RunSpaces } from '../sftp/spaces.js';
import { WORDS } from '../remote/contract.js';
import { type Mount, type MountHalf, startMountHalf } from '../run/mount.js';
import type { RunPlan } from '../run/plan.js';
import { explainRemoteFailure } from '../run/remote-errors.js';
import { trace, traceHere } from '../util/trace.js';

export class SharedMount {
  private ended = false;

  private constructor(
    readonly nonce: string,
    private readonly half: MountHalf,
    private readonly spaces: RunSpaces,
  ) {
    void half.closed.then(() => (this.ended = true));
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Starts mount.sh and resolves once sshfs is mounted on the remote. */
  static async start(client: Client, host: string, sshfs: string, sshfsOptions: string): Promise<SharedMount> {
    const nonce = randomBytes(12).toString('hex');
    let mounted: () => void = () => {};
    const isMounted = new Promise<void>((r) => (mounted = r));
    const spaces = new RunSpaces(() => undefined);
    const half = await startMountHalf(client, {
      nonce, sshfs, sshfsOptions, served: spaces, stderr: null, sayMounted: true,
      onLine: (l) => l.word === WORDS.mounted && mounted(),
    });
    trace('shared mount: mount.sh started');
    const ended = await Promise.race([isMounted.then(() => undefined), half.closed]);
    if (ended) {
      throw explainRemoteFailure({ host, errors: half.control.errors(), other: half.control.other, exitCode: ended.code });
    }
    trace('shared mount: sshfs mounted on the remote');
    return new SharedMount(nonce, half, spaces);
  }

  /** This run's subtree, served until the returned mount's stop(). */
  forRun(plan: RunPlan): Mount {
    this.spaces.add(plan.nonce, new ExportTable(plan.exports), plan.viewExports, traceHere());
    return {
      aliased: this.spaces.aliased(plan.nonce),
      requests: () => this.spaces.requests(plan.nonce),
      control: this.half.control,
      // Nothing to wait for when a run fails to start: the mount is not the run's.
      closed: Promise.resolve({ code: null }),
      shared: this.nonce,
      stop: () => this.spaces.remove(plan.nonce),
    };
  }

  /** Ends the SFTP stream: sshfs unmounts, mount.sh removes the directory. */
  stop(): Promise<void> {
    return this.half.stop();
  }
}
