/**
 * Turns what the remote scripts and tools said before the test started into one
 * GocpuError that names the failing step and the fix. The patterns are the messages
 * of Debian/Ubuntu's util-linux, fuse3 and sshfs.
 */
import { type Target, targetName } from '../config/target.js';
import { GocpuError } from '../errors.js';
import type { ControlLine } from './control.js';

export interface RemoteFailure {
  host: string;
  target?: Target;
  /** "error CODE DETAIL" lines from the scripts, mount half first. */
  errors: ControlLine[];
  /** Other stderr lines before the test started. */
  other: string[];
  exitCode?: number | null;
}

function code(l: ControlLine): [string, string] {
  const sp = l.detail.indexOf(' ');
  return sp === -1 ? [l.detail, ''] : [l.detail.slice(0, sp), l.detail.slice(sp + 1)];
}

export function explainRemoteFailure(f: RemoteFailure): GocpuError {
  const { host } = f;
  const text = f.other.join(' | ');
  const remote = (c: string, msg: string, hint: string) => new GocpuError(c, msg, { side: 'remote', hint });
  const first = f.errors.map(code);
  const has = (c: string) => first.find(([k]) => k === c);

  const arch = has('arch');
  if (arch) {
    const t = f.target ? targetName(f.target) : 'another architecture';
    return remote('REMOTE_ARCH', `${host} is ${arch[1]} but the binary is ${t}`,
      `point GOCPU_HOST_${f.target ? `LINUX_${f.target.goarch.toUpperCase()}` : ''} at such a machine; gocpu doctor --target ${t} ${host} checks it`);
  }
  const noSshfs = has('no-sshfs');
  if (noSshfs) return remote('REMOTE_NO_SSHFS', `${host} has no sshfs (looked for "${noSshfs[1]}")`, `apt install sshfs on ${host}`);
  if (has('no-fuse')) return remote('REMOTE_NO_FUSE', `${host} has no /dev/fuse`, `modprobe fuse on ${host}, or apt install fuse3`);
  if (/unshare: unshare failed: (Operation not permitted|Invalid argument|No space left on device)/.test(text)) {
    return remote('REMOTE_NO_USERNS', `${host} does not allow unprivileged user namespaces (${text})`,
      `on ${host}: sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=10000, or on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0`);
  }
  const notFound = /failed to execute (unshare|nsenter|chroot)/.exec(text)
    ?? /(?:^|\s)(unshare|nsenter|mountpoint|mkfifo|dd|chroot|setsid|fusermount3?)[^|]*(?:not found|No such file)/.exec(text);
  if (notFound) return remote('REMOTE_MISSING_TOOL', `${host} lacks ${notFound[1]}`, `apt install util-linux coreutils fuse3 on ${host}`);
  if (/fusermount3?: .*(Permission denied|Operation not permitted)|fuse: device not found|failed to open \/dev\/fuse/.test(text)) {
    return remote('REMOTE_FUSE_DENIED', `sshfs cannot mount on ${host}: ${text}`, `make /dev/fuse usable for the login user on ${host} (mode 0666)`);
  }
  const mkdir = has('mkdir');
  if (mkdir) return remote('REMOTE_TMPDIR', `cannot create the run directory on ${host}: ${mkdir[1]}`, `check TMPDIR and free space on ${host}`);
  const sshfsExit = has('sshfs-exit');
  if (sshfsExit) return remote('REMOTE_SSHFS', `sshfs on ${host} exited with status ${sshfsExit[1]}${text ? `: ${text}` : ''}`, 'run `gocpu doctor` for this host');
  const [c, detail] = first[0] ?? ['', ''];
  if (c === 'mount' || c === 'mount-timeout') {
    return remote('REMOTE_MOUNT', `reverse sshfs mount on ${host} failed: ${detail}${text ? ` (${text})` : ''}`, 'run `gocpu doctor` for this host');
  }
  if (c === 'view') return remote('REMOTE_VIEW', `cannot build the namespace on ${host}: ${detail}${text ? ` (${text})` : ''}`, 'run `gocpu doctor` for this host');
  const what = first.length > 0 ? `${c}: ${detail}` : text || `the remote side exited with status ${f.exitCode ?? 'unknown'} before the test started`;
  return remote('REMOTE_SETUP', `setup on ${host} failed: ${what}${first.length > 0 && text ? ` (${text})` : ''}`, 'run `gocpu doctor` for this host');
}
