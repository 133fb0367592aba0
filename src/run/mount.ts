/**
 * The mount half: one exec channel runs mount.sh, whose `sshfs -o passive` speaks
 * SFTP on the channel's stdin/stdout to the server inside this process. Ending our
 * side of the stream makes sshfs unmount; mount.sh then removes the run's remote
 * directory and the namespace holder, and exits.
 */
import type { Client, ClientChannel } from 'ssh2';
import { exec } from '../ssh/connect.js';
import { ExportTable } from '../sftp/exports.js';
import { startSftpServer } from '../sftp/server.js';
import { remoteScript } from '../remote/scripts.js';
import { shellJoin } from '../util/shell-quote.js';
import { ControlStream } from './control.js';
import type { RunPlan } from './plan.js';

export interface Mount {
  control: ControlStream;
  /** The nonce of the agent's shared mount this run's files are a subtree of (src/agent/shared-mount.ts). */
  shared?: string;
  /** The view binds export i from mnt/@i (src/sftp/spaces.ts). */
  aliased?: boolean;
  /** SFTP requests served for this run so far: each a round trip (GOCPU_TRACE). */
  requests(): number;
  /** Resolves when the mount half's channel has closed (remote cleanup done). */
  closed: Promise<{ code: number | null }>;
  stop(): Promise<void>;
}

export async function startMount(client: Client, plan: RunPlan, stderr: NodeJS.WritableStream = process.stderr): Promise<Mount> {
  const command = shellJoin(['sh', '-c', remoteScript('mount'), 'gocpu-mount', plan.nonce, plan.sshfs, plan.sshfsOptions]);
  const channel: ClientChannel = await exec(client, command);
  const control = new ControlStream(plan.nonce, stderr);
  channel.stderr.pipe(control);
  let exitCode: number | null = null;
  channel.on('exit', (code: number | null) => {
    exitCode = code;
  });
  const closed = new Promise<{ code: number | null }>((resolve) => {
    channel.on('close', () => resolve({ code: exitCode }));
  });
  const server = startSftpServer(channel, new ExportTable(plan.exports));
  return {
    control,
    closed,
    requests: () => server.stats().requests,
    async stop() {
      server.close();
      const timer = setTimeout(() => channel.close(), 5000);
      await closed;
      clearTimeout(timer);
    },
  };
}
