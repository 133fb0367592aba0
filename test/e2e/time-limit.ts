// The time limit of every process the e2e suite starts: past it, kill the whole
// process group; if something outside the group still holds the pipes 3 s later,
// 'close' would never fire, so give up on them and report what was seen.
import type { ChildProcess } from 'node:child_process';

export interface TimeLimit {
  timedOut(): boolean;
  clear(): void;
}

export function timeLimit(
  child: ChildProcess,
  ms: number,
  label: string,
  giveUp: (code: number | null, signal: NodeJS.Signals | null, note: string) => void,
): TimeLimit {
  let timedOut = false;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let grace: NodeJS.Timeout | undefined;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    grace = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      const why = exited
        ? `the process exited (${exited.code ?? exited.signal}) but something kept its stdout/stderr open`
        : 'killed after the time limit';
      giveUp(exited?.code ?? null, exited?.signal ?? null, `\n[${label}: ${why}]\n`);
    }, 3000);
  }, ms);
  return {
    timedOut: () => timedOut,
    clear: () => {
      clearTimeout(timer);
      clearTimeout(grace);
    },
  };
}
