/**
 * For test files that start agents of their own (each test its own GOCPU_AGENT_DIR):
 * temp dirs to remove and agent pids to kill when the file is done, so no agent of a
 * test outlives it (an idle one would leave after 60 s anyway).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';

/** The process is gone, or a zombie (where nothing reaps orphans): it serves nothing any more. */
export function processGone(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return true;
  }
  return /^[ZX]/.test(stat.slice(stat.lastIndexOf(') ') + 2));
}

export interface AgentScratch {
  /** A cleanup to run after the file's tests (a temp dir's). */
  dirs: (() => void)[];
  /** Agent pids to SIGKILL after the file's tests. */
  agents: number[];
  /** Agent pids known only once the tests ran (a logging node's), asked for after them. */
  agentsLater: (() => number[])[];
  /** The pids in an agent dir's pid files (none without the dir), each to SIGKILL after the file's tests. */
  pidsIn: (dir: string) => number[];
}

export function agentScratch(): AgentScratch {
  const s: AgentScratch = {
    dirs: [],
    agents: [],
    agentsLater: [],
    pidsIn: (dir) => {
      const pids = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.pid')).map((f) => Number(readFileSync(join(dir, f), 'utf8'))) : [];
      s.agents.push(...pids);
      return pids;
    },
  };
  after(() => {
    for (const pid of [...s.agents, ...s.agentsLater.flatMap((f) => f())]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already: the usual case.
      }
    }
    for (const c of s.dirs) c();
  });
  return s;
}
