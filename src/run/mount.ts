/**
 * The mount half: one exec channel runs mount.sh, whose `sshfs -o passive` speaks
 * SFTP on the channel's stdin/stdout to the server inside this process. Ending our
 * side of the stream makes sshfs unmount; mount.sh then removes the run's remote
 * directory and the namespace holder, and exits.
 */
import type { Client, ClientChannel } from 'ssh2';
import { exec } from '../ssh/connect.js';
import { writeBatcher } from '../ssh/write-batch.js';
import { ExportTable } from '../sftp/exports.js';
import { type SftpServer, startSftpServer } from '../sftp/server.js';
import type { Spaces } from '../sftp/spaces.js';
import { remoteScript } from '../remote/scripts.js';
import { shellJoin } from '../util/shell-quote.js';
import { type ControlLine, ControlStream } from './control.js';
import type { RunPlan } from './plan.js';
import { traceHere } from '../util/trace.js';

export interface Mount {
  control: ControlStream;
  /** The nonce of the agent's shared mount this run's files are a subtree of (src/agent/shared-mount.ts). */
  shared?: string;
  /** The view binds export i from mnt/@i (src/sftp/spaces.ts). */
  aliased?: boolean;
  /** Copy mode (src/copy/): mnt/ holds a copy; the view binds these, the read-only ones read-only. */
  copy?: { exports: string[]; readOnly: string[]; inPlace?: { token: string } };
  /** SFTP requests served for this run so far: each a round trip (GOCPU_TRACE). */
  requests(): number;
  /** Resolves when the mount half's channel has closed (remote cleanup done). */
  closed: Promise<{ code: number | null }>;
  stop(): Promise<void>;
}

/** mount.sh on its channel with our SFTP server on its stdio; what a run's own mount and the agent's shared one both are. */
export interface MountHalf {
  control: ControlStream;
  closed: Promise<{ code: number | null }>;
  /** Ends our side of the SFTP stream and waits (5 s at most) for the remote's cleanup. */
  stop(): Promise<void>;
  server: SftpServer;
}

export interface MountHalfOptions {
  nonce: string;
  sshfs: string;
  sshfsOptions: string;
  /** One run's table, or the runs of a shared mount (src/sftp/spaces.ts). */
  served: ExportTable | Spaces;
  /** Where the mount half's other lines go (null: kept for the error message only). */
  stderr: NodeJS.WritableStream | null;
  /** mount.sh says WORDS.mounted once sshfs is mounted (the shared mount waits for it). */
  sayMounted?: boolean;
  onLine?: (l: ControlLine) => void;
  /** A run's own mount: told of each SFTP request (GOCPU_TRACE). */
  onRequest?: (what: string) => void;
}

export async function startMountHalf(client: Client, o: MountHalfOptions): Promise<MountHalf> {
  const command = shellJoin(['sh', '-c', remoteScript('mount'), 'gocpu-mount', o.nonce, o.sshfs, o.sshfsOptions, ...(o.sayMounted ? ['1'] : [])]);
  const channel: ClientChannel = await exec(client, command);
  const control = new ControlStream(o.nonce, o.stderr, o.onLine);
  channel.stderr.pipe(control);
  let exitCode: number | null = null;
  channel.on('exit', (code: number | null) => {
    exitCode = code;
  });
  const closed = new Promise<{ code: number | null }>((resolve) => {
    channel.on('close', () => resolve({ code: exitCode }));
  });
  // ssh2 1.17's Channel._write copies the data into SSH packets (Protocol.channelData) and
  // calls back only after, also when it had to wait for the window: replies' buffers may be reused.
  const server = startSftpServer(channel, o.served, { reuseReplyBuffers: true, batchWrites: writeBatcher(client), onRequest: o.onRequest });
  return {
    control,
    closed,
    server,
    async stop() {
      server.close();
      const timer = setTimeout(() => channel.close(), 5000);
      await closed;
      clearTimeout(timer);
    },
  };
}

export async function startMount(client: Client, plan: RunPlan, stderr: NodeJS.WritableStream = process.stderr): Promise<Mount> {
  const half = await startMountHalf(client, { nonce: plan.nonce, sshfs: plan.sshfs, sshfsOptions: plan.sshfsOptions, served: new ExportTable(plan.exports), stderr, onRequest: traceHere() });
  return { control: half.control, closed: half.closed, requests: () => half.server.stats().requests, stop: () => half.stop() };
}
