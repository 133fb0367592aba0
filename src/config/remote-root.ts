/**
 * A host's remote root (issue 9, Debian porter boxes): a directory on the remote,
 * typically an schroot session's mount point, that the run's view replicates in
 * place of the remote's own `/` (src/remote/view.sh). The config names it per host,
 * keyed by the host exactly as gocpu names it (`--host`, `GOCPU_HOST_*`, an entry of
 * "hosts"):
 *
 *   "remoteRoot": { "porter": "/run/schroot/mount/gocpu" }
 *
 * GOCPU_REMOTE_ROOT overrides it for whatever host the run uses; `/` there means the
 * remote's own root (no remote root), empty means "not set".
 */
import { GocpuError } from '../errors.js';
import type { GocpuConfig } from './config-file.js';

/**
 * The remote root for `host` as the run header carries it: a normalized absolute
 * path without a trailing slash, or undefined for the remote's own `/`.
 */
export function remoteRootFor(host: string, env: NodeJS.ProcessEnv, config: GocpuConfig): string | undefined {
  if (env.GOCPU_REMOTE_ROOT) return checkRemoteRoot(env.GOCPU_REMOTE_ROOT, 'GOCPU_REMOTE_ROOT');
  const configured = config.remoteRoot?.[host];
  if (configured === undefined) return undefined;
  return checkRemoteRoot(configured, `"remoteRoot" of ${host} in the gocpu config`);
}

/**
 * Absolute, no newline (the header carries paths one per line), no `.` or `..`
 * (the remote checks that the path is reached without a symlink, component by
 * component: a `..` would make that check say nothing). Repeated and trailing
 * slashes are dropped.
 */
export function checkRemoteRoot(path: string, what: string): string | undefined {
  const bad = (why: string) =>
    new GocpuError('REMOTE_ROOT_PATH', `${what} ${JSON.stringify(path)} ${why}`, {
      hint: 'name the directory the chroot lives in on the remote, e.g. /run/schroot/mount/SESSION',
    });
  if (!path.startsWith('/')) throw bad('is not an absolute path');
  if (path.includes('\n')) throw bad('contains a newline, which gocpu cannot carry to the remote');
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..')) throw bad('contains "." or ".."');
  return parts.length === 0 ? undefined : `/${parts.join('/')}`;
}
