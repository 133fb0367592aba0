/**
 * Which mode a host gets under `auto`, from doctor.sh's report (the facts `gocpu
 * doctor` shows): pure, shared by the run (src/run/mode.ts) and doctor's mode row.
 */
export interface ModeChoice {
  mode: 'mount' | 'copy';
  /** Why copy: what the host lacks. */
  reason?: string;
  /** The host gives its users user namespaces (the view needs them). */
  userns: boolean;
}

/** Pure: what a host with this doctor.sh report gets under `auto`. */
export function decideMode(r: Map<string, string>): ModeChoice {
  const userns = r.get('userns') === 'ok';
  const sshfs = r.get('sshfs') ?? 'missing';
  const fuse = r.get('fuse') ?? 'missing';
  if (sshfs === 'missing' || sshfs === '') return { mode: 'copy', reason: 'no sshfs', userns };
  if (fuse !== 'ok') return { mode: 'copy', reason: `no usable /dev/fuse (${fuse})`, userns };
  if (!userns) return { mode: 'copy', reason: 'no unprivileged user namespaces', userns };
  return { mode: 'mount', userns };
}

