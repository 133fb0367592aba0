/**
 * `gocpu doctor [--target linux/ARCH] HOST`: a preflight over one connection.
 * Connection, auth and host key are checked by connecting; the rest by
 * doctor.sh. Prints a table; exit status 0 only when nothing failed.
 * It checks what a run would use: the same host (src/cli/main.ts resolves it as
 * for a run), the same connect with retry, the same sshfs and options
 * (sshfs-choice.ts), the same remote root (remote-root.ts) and the contract's tool list.
 * The verdict is kept for `gocpu hosts` (record.ts).
 */
import type { GocpuConfig } from '../config/config-file.js';
import { remoteRootFor } from '../config/remote-root.js';
import type { GoArch } from '../config/target.js';
import { isGocpuError } from '../errors.js';
import { remoteScript } from '../remote/scripts.js';
import { sshfsChoice } from '../run/sshfs-choice.js';
import { closeClient, exec } from '../ssh/connect.js';
import { connectWithRetry } from '../ssh/retry.js';
import { resolveHostConfig } from '../ssh/ssh-config.js';
import { shellJoin } from '../util/shell-quote.js';
import { evaluate, formatTable, parseReport, type Row } from './checks.js';
import { recordFor, writeDoctorRecord } from './record.js';
import { modeSetting } from '../config/mode.js';
import { decideMode } from '../run/mode-decision.js';
import { modeKey, rememberMode } from '../run/mode.js';

export async function probe(client: import('ssh2').Client, sshfs: string, sshfsOptions: string, remoteRoot = ''): Promise<string> {
  const ch = await exec(client, shellJoin(['sh', '-c', remoteScript('doctor'), 'gocpu-doctor', sshfs, sshfsOptions, remoteRoot]));
  let out = '';
  ch.on('data', (d: Buffer) => (out += d.toString()));
  ch.stderr.resume();
  await new Promise<void>((r) => ch.on('close', () => r()));
  return out;
}

export async function doctor(host: string, goarch: GoArch | undefined, env: NodeJS.ProcessEnv, config: GocpuConfig, out: NodeJS.WritableStream): Promise<number> {
  const rows: Row[] = [];
  let client;
  // A bad path is a row of its own, after what the connection found.
  let remoteRoot: string | undefined;
  let rootRow: Row | undefined;
  try {
    remoteRoot = remoteRootFor(host, env, config);
  } catch (e) {
    if (!isGocpuError(e)) throw e;
    rootRow = { check: 'remote root', verdict: 'fail', detail: e.message, fix: e.hint };
  }
  try {
    const cfg = resolveHostConfig(host, { configFile: env.GOCPU_SSH_CONFIG || undefined, env });
    client = await connectWithRetry(cfg);
    rows.push({ check: 'ssh', verdict: 'ok', detail: `connected to ${cfg.user}@${cfg.hostName}:${cfg.port}, host key verified` });
    const { sshfs, sshfsOptions } = sshfsChoice(env, config);
    const report = parseReport(await probe(client, sshfs, sshfsOptions, remoteRoot));
    rows.push(...evaluate(report, host, goarch, sshfs, modeSetting(host, env, config)));
    // A host just fixed (sshfs installed) is seen by the next run at once.
    rememberMode(modeKey(host, sshfs), decideMode(report), env);
  } catch (e) {
    if (!isGocpuError(e)) throw e;
    rows.push({ check: 'ssh', verdict: 'fail', detail: e.message, fix: e.hint });
  } finally {
    if (client) await closeClient(client);
  }
  if (rootRow) rows.push(rootRow);
  out.write(formatTable(rows) + '\n');
  try {
    writeDoctorRecord(recordFor(host, goarch, rows, new Date()), env);
  } catch (e) {
    process.stderr.write(`gocpu: local: warning: cannot record this result for gocpu hosts: ${(e as Error).message}\n`);
  }
  return rows.some((r) => r.verdict === 'fail') ? 1 : 0;
}
