/**
 * Which sshfs the remote runs, and with which options: one answer for a run
 * (plan.ts) and for `gocpu doctor`, so that doctor checks what a run will use.
 * The remote adds `passive`/`slave` and `no_contain_symlinks` as its sshfs
 * allows (prelude.sh's gocpu_sshfs_opts, shared by mount.sh and doctor.sh).
 */
import type { GocpuConfig } from '../config/config-file.js';

// Attribute caching is safe: every run gets a fresh mount, and during a run only
// the remote side writes, through this same mount. idmap=user: what the local user
// owns is the remote user's on the mount (sshfs learns our uid from the SFTP root's
// owner), so the test sees its files as its own, as it would locally (issue 10);
// without it they show the local uid's number, which the view maps to nobody.
export const SSHFS_OPTIONS = 'max_read=65536,kernel_cache,entry_timeout=60,attr_timeout=60,negative_timeout=20,idmap=user';

export function sshfsChoice(env: NodeJS.ProcessEnv, config: GocpuConfig): { sshfs: string; sshfsOptions: string } {
  return {
    sshfs: env.GOCPU_REMOTE_SSHFS || config.remoteSshfs || 'sshfs',
    sshfsOptions: config.sshfsOptions ? `${SSHFS_OPTIONS},${config.sshfsOptions}` : SSHFS_OPTIONS,
  };
}
