/**
 * Which of the environment go set for the test binary travels to the remote. Like
 * Go's iOS wrapper we forward the user's variables (GOCOVERDIR, GODEBUG, GOTRACEBACK,
 * GOMAXPROCS, anything of their own) but not the ones that describe this machine
 * (PATH, HOME, TMPDIR, the ssh agent, terminals, caches): the remote keeps its own.
 */
export const DEFAULT_DENY = [
  'PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'USER', 'LOGNAME', 'SHELL', 'MAIL', 'HOSTNAME',
  'DISPLAY', 'WAYLAND_DISPLAY', 'XAUTHORITY', 'TERM', 'TERMCAP', 'COLORTERM', 'LS_COLORS',
  'SHLVL', '_', 'OLDPWD', 'LD_*', 'XDG_*', 'SSH_*', 'DBUS_*', 'GPG_*', 'KRB5*',
  'GOCACHE', 'GOTMPDIR', 'GOENV', 'GOTOOLDIR', 'GOFLAGS', 'GOCPU_*', 'NODE_*', 'npm_*',
];

function matches(pattern: string, name: string): boolean {
  if (pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

export interface EnvPolicy { allow?: string[]; deny?: string[] }

/** An explicit allow beats the default deny; an explicit deny beats everything. */
export function forwardable(name: string, policy: EnvPolicy = {}): boolean {
  if ((policy.deny ?? []).some((p) => matches(p, name))) return false;
  if ((policy.allow ?? []).some((p) => matches(p, name))) return true;
  return !DEFAULT_DENY.some((p) => matches(p, name));
}

/** Filters raw NAME=VALUE entries (bytes) into [name, value] pairs to forward. */
export function filterEnv(entries: readonly Buffer[], policy: EnvPolicy = {}): [Buffer, Buffer][] {
  const out: [Buffer, Buffer][] = [];
  for (const e of entries) {
    const eq = e.indexOf(0x3d);
    if (eq <= 0) continue;
    const name = e.subarray(0, eq);
    const key = name.toString('latin1');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue; // no POSIX shell can export it
    if (forwardable(key, policy)) out.push([name, e.subarray(eq + 1)]);
  }
  return out;
}
