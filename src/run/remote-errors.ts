/**
 * Turns what the remote scripts and tools said before the test started into one
 * GocpuError that names the failing step and the fix. The patterns are the messages
 * of Debian/Ubuntu's util-linux, fuse3 and sshfs.
 */
import { type Target, targetName } from '../config/target.js';
import { GocpuError } from '../errors.js';
import { type ErrorCode, packagesFor, REMOTE_TOOLS } from '../remote/contract.js';
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

// Longest names first, so that fusermount3 is not read as fusermount.
const TOOL_NAMES = REMOTE_TOOLS.map((t) => t.name).sort((a, b) => b.length - a.length).join('|');
const TOOL_EXEC_FAILED = new RegExp(`failed to execute (${TOOL_NAMES})\\b`);
// dash: "sh: 1: mkfifo: not found"; bash: "...: mkfifo: command not found".
const TOOL_NOT_FOUND = new RegExp(`(?:^|\\s)(${TOOL_NAMES}): (?:command )?not found`);

export function explainRemoteFailure(f: RemoteFailure): GocpuError {
  const { host } = f;
  const text = f.other.join(' | ');
  const remote = (c: string, msg: string, hint: string) => new GocpuError(c, msg, { side: 'remote', hint });
  const first = f.errors.map(code);
  const has = (c: ErrorCode) => first.find(([k]) => k === c);

  const arch = has('arch');
  if (arch) {
    const t = f.target ? targetName(f.target) : 'another architecture';
    return remote('REMOTE_ARCH', `${host} is ${arch[1]} but the binary is ${t}`,
      `point GOCPU_HOST_${f.target ? `LINUX_${f.target.goarch.toUpperCase()}` : ''} at such a machine; gocpu doctor --target ${t} ${host} checks it`);
  }
  const root = has('root');
  if (root) {
    return remote('REMOTE_ROOT', `the remote root ${root[1]} is not a directory on ${host} (or a symlink is on its way)`,
      `check "remoteRoot" in the gocpu config or GOCPU_REMOTE_ROOT; an schroot session's root is /run/schroot/mount/SESSION while the session lasts, and schroot --list --all-sessions on ${host} names them`);
  }
  const rootSh = has('root-sh');
  if (rootSh) {
    return remote('REMOTE_ROOT_SH', `the remote root ${rootSh[1]} on ${host} has no /bin/sh`,
      'point it at the top of a chroot, the directory holding its bin, usr and etc, e.g. /run/schroot/mount/SESSION');
  }
  const noSshfs = has('no-sshfs');
  if (noSshfs) return remote('REMOTE_NO_SSHFS', `${host} has no sshfs (looked for "${noSshfs[1]}")`, `apt install sshfs on ${host}, or GOCPU_MODE=copy`);
  if (has('no-fuse')) return remote('REMOTE_NO_FUSE', `${host} has no /dev/fuse`, `modprobe fuse on ${host}, or apt install fuse3, or GOCPU_MODE=copy`);
  if (has('no-tar')) return remote('REMOTE_MISSING_TOOL', `${host} lacks tar, which copy mode needs`, `apt install tar on ${host}`);
  if (/unshare: unshare failed: (Operation not permitted|Invalid argument|No space left on device)/.test(text)) {
    return remote('REMOTE_NO_USERNS', `${host} does not allow unprivileged user namespaces (${text})`,
      `on ${host}: sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=10000, or on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0`);
  }
  const notFound = TOOL_EXEC_FAILED.exec(text) ?? TOOL_NOT_FOUND.exec(text);
  if (notFound) {
    const tool = notFound[1];
    return remote('REMOTE_MISSING_TOOL', `${host} lacks ${tool}`, `apt install ${packagesFor([tool]).join(' ')} on ${host}`);
  }
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
