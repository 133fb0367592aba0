/**
 * Copy mode on a host without user namespaces (issue 10): no view can show the copy
 * at the developer's paths, so the test runs in the copy itself, below the run dir
 * (run.sh), and every path in its arguments and GOCOVERDIR that points into what was
 * copied must point into the copy instead. Only the remote knows where that is
 * (its TMPDIR): we put a token in front of each such path, and run.sh replaces the
 * token by the copy's root. Pure.
 */
import type { RunPlan } from '../run/plan.js';
import { isAtOrBelow } from '../sftp/exports.js';

export function rebaseToken(nonce: string): string {
  return `gocpu-copy-${nonce}`;
}

/** `/abs` or `-flag=/abs`: the absolute path's offset in the argument, if it is one. */
function pathAt(arg: string): number | undefined {
  if (arg.startsWith('/')) return 0;
  const m = /^-[^=]+=\//.exec(arg);
  return m ? m[0].length - 1 : undefined;
}

export function rebaseArgs(plan: RunPlan): { argv: Buffer[]; env: [Buffer, Buffer][]; rebased: number } {
  const token = rebaseToken(plan.nonce);
  const copied = (p: string) => plan.copyRoots.some((r) => isAtOrBelow(p, r.path));
  let rebased = 0;
  const one = (value: string): string => {
    const at = pathAt(value);
    if (at === undefined || !copied(value.slice(at))) return value;
    rebased++;
    return value.slice(0, at) + token + value.slice(at);
  };
  // argv[0] is the binary: run.sh runs it from the binary cache.
  const argv = [plan.argv[0], ...plan.argv.slice(1).map((a) => Buffer.from(one(a.toString())))];
  const env = plan.env.map(([k, v]): [Buffer, Buffer] => (k.toString('latin1') === 'GOCOVERDIR' ? [k, Buffer.from(one(v.toString()))] : [k, v]));
  return { argv, env, rebased };
}
