/**
 * `gocpu hosts`: each target with the hosts a run would use for it (the same
 * resolution as a run: GOCPU_HOST_LINUX_<ARCH>, else GOCPU_HOST, else the config
 * file), where that list comes from, and what `gocpu doctor` last found for each
 * host (src/doctor/record.ts). No connection is made.
 */
import { askAgentStatus } from '../agent/status.js';
import type { AgentStatus } from '../agent/frames.js';
import { type GocpuConfig, configPath } from '../config/config-file.js';
import { hostsFor, targetEnvName } from '../config/host.js';
import { LINUX_GOARCHES, isGoArch, type Target, targetName } from '../config/target.js';
import { describeRecord, readDoctorRecord } from '../doctor/record.js';

/**
 * Extra lines about a host, shown indented below it: the agent's open connections
 * to it and the tests running on them (issue 8). Asked once per `gocpu hosts`; no
 * agent, no lines (we never start one for this).
 */
let status: Promise<AgentStatus | undefined> | undefined;
export async function agentStatusLines(host: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  status ??= askAgentStatus(env);
  const s = await status;
  const mine = s?.connections.filter((c) => c.host === host) ?? [];
  if (!s || mine.length === 0) return [];
  const runs = mine.reduce((n, c) => n + c.runs, 0);
  return [`agent ${s.pid}: ${mine.length} connection${mine.length === 1 ? '' : 's'} open, ${runs} test${runs === 1 ? '' : 's'} running`];
}

interface Group {
  title: string;
  source: string;
  hosts: string[];
}

/** Targets grouped by where their hosts come from; GOCPU_HOST's targets as one group. */
export function hostGroups(env: NodeJS.ProcessEnv, config: GocpuConfig): { groups: Group[]; notes: string[] } {
  const groups: Group[] = [];
  const viaFallback: Target[] = [];
  const notes: string[] = [];
  for (const goarch of LINUX_GOARCHES) {
    const t: Target = { goos: 'linux', goarch };
    const hosts = hostsFor(t, env, config);
    if (hosts.length === 0) continue;
    const specific = targetEnvName(t);
    if (env[specific]) groups.push({ title: targetName(t), source: specific, hosts });
    else if (env.GOCPU_HOST) viaFallback.push(t);
    else groups.push({ title: targetName(t), source: configPath(env), hosts });
  }
  if (viaFallback.length > 0) {
    const title = viaFallback.length === LINUX_GOARCHES.length ? 'every linux target' : `every other linux target (${viaFallback.map((t) => t.goarch).join(', ')})`;
    groups.push({ title, source: 'GOCPU_HOST', hosts: [env.GOCPU_HOST!] });
  }
  for (const key of Object.keys(config.hosts ?? {})) {
    const arch = key.replace(/^linux\//, '');
    if (!isGoArch(arch)) {
      notes.push(`"${key}" in ${configPath(env)} names no linux target (use linux/GOARCH, e.g. linux/arm64)`);
      continue;
    }
    const t: Target = { goos: 'linux', goarch: arch };
    const shadow = env[targetEnvName(t)] ? targetEnvName(t) : env.GOCPU_HOST ? 'GOCPU_HOST' : undefined;
    if (shadow) notes.push(`${targetName(t)}: ${configPath(env)} is not used while ${shadow} is set`);
  }
  return { groups, notes };
}

export async function listHosts(env: NodeJS.ProcessEnv, config: GocpuConfig, out: NodeJS.WritableStream): Promise<number> {
  const { groups, notes } = hostGroups(env, config);
  if (groups.length === 0) {
    out.write(`no hosts: set GOCPU_HOST_LINUX_ARM64=user@host (any GOARCH), or GOCPU_HOST, or list them under "hosts" in ${configPath(env)}\n`);
  }
  const width = Math.max(0, ...groups.flatMap((g) => g.hosts.map((h) => h.length)));
  for (const g of groups) {
    out.write(`${g.title} (from ${g.source})\n`);
    for (const h of g.hosts) {
      out.write(`  ${h.padEnd(width)}  ${describeRecord(readDoctorRecord(h, env))}\n`);
      for (const line of await agentStatusLines(h, env)) out.write(`    ${line}\n`);
    }
  }
  for (const n of notes) out.write(`note: ${n}\n`);
  return 0;
}
