/** What a set of runs left behind on the test host, seen as root. */
import { randomToken } from './testhost.js';
import type { ProcId } from './proc-watch.js';
import { remoteSh, sq } from './remote-sh.js';

/**
 * One line per thing still there: the run directory /tmp/gocpu.NONCE, a mount that
 * names it, a process whose command line or environment names a nonce or the
 * marker (mount, run and watch halves, sshfs, nsenter, the namespace holder, the
 * test), and a namespace process (holder, pid 1) that still runs.
 */
export async function leftovers(nonces: string[], mark: string, pid1s: ProcId[]): Promise<string[]> {
  const d = `/root/gocpu-e2e-load.${randomToken()}`;
  const script = [
    `d=${sq(d)}`,
    'mkdir -m 700 "$d"',
    `printf '%s\\n' ${[...nonces, mark].map(sq).join(' ')} >"$d/pats"`,
    `for n in ${nonces.map(sq).join(' ')}; do [ ! -e "/tmp/gocpu.$n" ] || echo "dir /tmp/gocpu.$n"; done`,
    'grep -F -f "$d/pats" /proc/self/mounts | sed "s/^/mount /"',
    'for f in $(grep -laF -f "$d/pats" /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null); do',
    '  echo "process ${f%/*} $(tr \'\\0\\n\' \'  \' <"${f%/*}/cmdline" 2>/dev/null | cut -c1-200)"',
    'done',
    `start_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }`,
    ...pid1s.map((p) => `[ "$(start_of ${p.pid})" != ${p.start} ] || echo "namespace process ${p.pid} still runs: $(tr '\\0\\n' '  ' </proc/${p.pid}/cmdline | cut -c1-200)"`),
    'rm -rf "$d"',
  ].join('\n');
  const r = await remoteSh(script, 'root', 30_000);
  if (r.timedOut || r.code !== 0) return [`(the leftover scan failed: ${r.code} ${r.stderr})`];
  return r.stdout.split('\n').filter((l) => l !== '');
}
