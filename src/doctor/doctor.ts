/**
 * `gocpu doctor [--target linux/ARCH] HOST`: a preflight over one connection.
 * Connection, auth and host key are checked by connecting; the rest by
 * doctor.sh. Prints a table; exit status 0 only when nothing failed.
 */
import type { GoArch } from '../config/target.js';
import { isGocpuError } from '../errors.js';
import { remoteScript } from '../remote/scripts.js';
import { closeClient, connect, exec } from '../ssh/connect.js';
import { resolveHostConfig } from '../ssh/ssh-config.js';
import { shellJoin } from '../util/shell-quote.js';
import { evaluate, formatTable, parseReport, type Row } from './checks.js';

export async function probe(client: import('ssh2').Client, sshfs: string): Promise<string> {
  const ch = await exec(client, shellJoin(['sh', '-c', remoteScript('doctor'), 'gocpu-doctor', sshfs]));
  let out = '';
  ch.on('data', (d: Buffer) => (out += d.toString()));
  ch.stderr.resume();
  await new Promise<void>((r) => ch.on('close', () => r()));
  return out;
}

export async function doctor(host: string, goarch: GoArch | undefined, env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Promise<number> {
  const rows: Row[] = [];
  let client;
  try {
    const cfg = resolveHostConfig(host, { configFile: env.GOCPU_SSH_CONFIG || undefined, env });
    client = await connect(cfg, { prompter: null });
    rows.push({ check: 'ssh', verdict: 'ok', detail: `connected to ${cfg.user}@${cfg.hostName}:${cfg.port}, host key verified` });
    const report = parseReport(await probe(client, env.GOCPU_REMOTE_SSHFS || 'sshfs'));
    rows.push(...evaluate(report, host, goarch));
  } catch (e) {
    if (!isGocpuError(e)) throw e;
    rows.push({ check: 'ssh', verdict: 'fail', detail: e.message, fix: e.hint });
  } finally {
    if (client) await closeClient(client);
  }
  out.write(formatTable(rows) + '\n');
  return rows.some((r) => r.verdict === 'fail') ? 1 : 0;
}
