/**
 * What `gocpu doctor` concludes from doctor.sh's KEY=VALUE report: one row per
 * check, each failure with one line saying how to fix it. Pure, unit tested.
 */
import { type GoArch, QEMU_BINFMT as QEMU, UNAME_MACHINES } from '../config/target.js';
import { packagesFor, REMOTE_TOOLS } from '../remote/contract.js';
import type { HostMode } from '../config/mode.js';
import { decideMode } from '../run/mode-decision.js';

export type Verdict = 'ok' | 'warn' | 'fail';
export interface Row { check: string; verdict: Verdict; detail: string; fix?: string }


export function parseReport(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}

function versionAtLeast(v: string, min: number[]): boolean {
  const parts = v.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < min.length; i++) {
    if ((parts[i] ?? 0) !== min[i]) return (parts[i] ?? 0) > min[i];
  }
  return true;
}

/** The contract's tools doctor.sh reported missing (a group needs only one member). */
export function missingTools(r: Map<string, string>): string[] {
  const missing: string[] = [];
  const groups = new Map<string, boolean>();
  for (const t of REMOTE_TOOLS) {
    const absent = (r.get(`tool_${t.name}`) ?? 'missing') === 'missing';
    if (t.group === undefined) {
      if (absent) missing.push(t.name);
    } else if (!groups.has(t.group)) {
      const members = REMOTE_TOOLS.filter((m) => m.group === t.group);
      groups.set(t.group, true);
      if (members.every((m) => (r.get(`tool_${m.name}`) ?? 'missing') === 'missing')) missing.push(members[0].name);
    }
  }
  return missing;
}

export function evaluate(r: Map<string, string>, host: string, goarch?: GoArch, sshfsName = 'sshfs', hostMode: HostMode = { setting: 'auto', forced: false }): Row[] {
  // Copy mode needs neither sshfs nor FUSE: their absence only costs mount mode.
  const missing = hostMode.setting === 'mount' ? 'fail' : 'warn';
  const rows: Row[] = [];
  const get = (k: string) => r.get(k) ?? '';
  const machine = get('uname_m');
  if (!goarch) {
    rows.push({ check: 'architecture', verdict: 'ok', detail: machine });
  } else if (UNAME_MACHINES[goarch].includes(machine)) {
    rows.push({ check: 'architecture', verdict: 'ok', detail: `${machine} runs linux/${goarch} natively` });
  } else if (get('binfmt').split(' ').includes(QEMU[goarch] ?? '-')) {
    rows.push({ check: 'architecture', verdict: 'warn', detail: `${machine}: linux/${goarch} binaries run emulated (binfmt ${QEMU[goarch]})`, fix: `use a native linux/${goarch} host for real results` });
  } else if (get('binfmt_visible') !== 'yes') {
    rows.push({ check: 'architecture', verdict: 'warn', detail: `${machine}, not linux/${goarch}: runs only under binfmt emulation, which cannot be checked here`, fix: `use a native linux/${goarch} host` });
  } else {
    rows.push({ check: 'architecture', verdict: 'fail', detail: `${host} is ${machine} but the target is linux/${goarch}`, fix: `point GOCPU_HOST_LINUX_${goarch.toUpperCase()} at a linux/${goarch} machine` });
  }
  const sshfs = get('sshfs');
  if (sshfs === 'missing' || sshfs === '') {
    rows.push({ check: 'sshfs', verdict: missing, detail: `${sshfsName} not found${missing === 'warn' ? ': runs use copy mode' : ''}`, fix: `apt install sshfs on ${host}${sshfsName === 'sshfs' ? '' : `, or fix remoteSshfs / GOCPU_REMOTE_SSHFS ("${sshfsName}")`}` });
  } else {
    const v = get('sshfs_version');
    const passive = versionAtLeast(v, [3, 7, 1]);
    rows.push({ check: 'sshfs', verdict: 'ok', detail: `${sshfs} ${v}${passive ? '' : ' (old: uses -o slave)'}, -o ${get('sshfs_options')}` });
  }
  const fuse = get('fuse');
  rows.push(fuse === 'ok'
    ? { check: '/dev/fuse', verdict: 'ok', detail: 'usable' }
    : { check: '/dev/fuse', verdict: missing, detail: `${fuse}${missing === 'warn' ? ': runs use copy mode' : ''}`, fix: fuse === 'missing' ? `modprobe fuse on ${host} (apt install fuse3)` : `chmod 0666 /dev/fuse on ${host}, or add the user to its group` });
  const userns = get('userns');
  if (userns === 'ok') {
    rows.push({ check: 'user namespaces', verdict: 'ok', detail: 'unshare --user --map-root-user --pid works' });
  } else {
    let fix = `on ${host}: sysctl -w user.max_user_namespaces=10000`;
    if (get('sysctl_unprivileged_userns_clone') === '0') fix = `on ${host}: sysctl -w kernel.unprivileged_userns_clone=1`;
    else if (get('sysctl_apparmor_restrict_unprivileged_userns') === '1') fix = `on ${host}: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04+), or an AppArmor profile allowing userns for unshare`;
    else if (get('sysctl_max_user_namespaces') !== '0') fix = `check ${host}'s kernel and security modules: ${userns}`;
    // Copy mode runs without them, in place (paths differ); a remote root cannot.
    const verdict = hostMode.setting === 'mount' || get('remote_root') !== '' ? 'fail' : 'warn';
    rows.push({ check: 'user namespaces', verdict, detail: `${userns || 'unknown'}${verdict === 'warn' ? ': runs use copy mode without a namespace' : ''}`, fix });
  }
  rows.push(modeRow(r, hostMode));
  const tools = missingTools(r).filter((t) => !t.startsWith('fusermount') || hostMode.setting === 'mount' || decideMode(r).mode === 'mount');
  rows.push(tools.length === 0
    ? { check: 'tools', verdict: 'ok', detail: 'unshare, nsenter, setsid, mount, fusermount3, coreutils' }
    : { check: 'tools', verdict: 'fail', detail: `missing: ${tools.join(', ')}`, fix: `apt install ${packagesFor(tools).join(' ')} on ${host}` });
  if (!tools.includes('setsid') && get('setsid_fork') !== 'yes') {
    rows.push({ check: 'exact signals', verdict: 'warn', detail: 'setsid has no --fork/--wait (an old util-linux; 2.36 and later have it): a test killed by a signal outside RFC 4254\'s 13 (BUS, SYS, XCPU, ...) ends with status 255',
      fix: `upgrade util-linux on ${host}` });
  }
  if (get('userns') === 'ok' && get('unshare_map_user') === 'no') {
    rows.push({ check: 'test uid', verdict: 'warn', detail: 'unshare has no --map-user or --root (util-linux before 2.38): a test run by a local user other than root runs as root of its namespace, not as the remote user\'s uid',
      fix: `upgrade util-linux on ${host}` });
  }
  const free = Number(get('tmp_free_kb'));
  const tmp = get('tmpdir');
  if (get('tmp_writable') !== 'yes') rows.push({ check: 'temp dir', verdict: 'fail', detail: `${tmp} is not writable`, fix: `set TMPDIR for the login user on ${host}` });
  else if (free < 10 * 1024) rows.push({ check: 'temp dir', verdict: 'fail', detail: `${tmp}: ${free} KiB free`, fix: `free space in ${tmp} on ${host}` });
  else rows.push({ check: 'temp dir', verdict: 'ok', detail: `${tmp}: ${Math.round(free / 1024)} MiB free` });
  const root = get('remote_root');
  if (root !== '') rows.push(remoteRootRow(root, get('remote_root_sh'), host));
  const shell = get('login_shell');
  if (/(^|\/)(csh|tcsh|fish)$/.test(shell)) {
    rows.push({ check: 'login shell', verdict: 'fail', detail: shell, fix: 'gocpu needs a POSIX-like login shell (sh, bash, dash, zsh, ksh)' });
  }
  return rows;
}

/** The mode a run on this host gets, and why (issue 10). */
function modeRow(r: Map<string, string>, hostMode: HostMode): Row {
  const auto = decideMode(r);
  const why = hostMode.forced ? `set by GOCPU_MODE or "mode"` : auto.reason ? `auto: ${auto.reason}` : 'auto: sshfs, FUSE and user namespaces work';
  const mode = hostMode.setting === 'auto' ? auto.mode : hostMode.setting;
  if (!auto.userns) {
    if (mode === 'mount') return { check: 'mode', verdict: 'fail', detail: `mount (${why}), which needs user namespaces`, fix: 'see "user namespaces" above' };
    return { check: 'mode', verdict: 'warn', detail: `copy without a namespace (${why}): the test runs in a copy at another path, so os.Getwd, runtime.Caller paths and GOROOT differ from a local run`, fix: 'see "user namespaces" above' };
  }
  return { check: 'mode', verdict: 'ok', detail: `${mode} (${why})${mode === 'copy' ? ': the files a test reads are copied to the host, what it writes is copied back' : ''}` };
}

/** The host's remote root (remoteRoot / GOCPU_REMOTE_ROOT): there, and its /bin/sh runs. */
function remoteRootRow(root: string, sh: string, host: string): Row {
  const check = 'remote root';
  const fixPath = 'point "remoteRoot" (or GOCPU_REMOTE_ROOT) at the top of the chroot, e.g. /run/schroot/mount/SESSION';
  if (sh === 'ok') return { check, verdict: 'ok', detail: `${root}: its /bin/sh runs` };
  if (sh === 'nodir') {
    return { check, verdict: 'fail', detail: `${root} is not a directory on ${host} (or a symlink is on its way)`,
      fix: `start the schroot session (schroot -b -c CHROOT on ${host}) or fix the path` };
  }
  if (sh === 'missing') return { check, verdict: 'fail', detail: `${root} has no /bin/sh`, fix: fixPath };
  if (sh === 'unchecked') return { check, verdict: 'warn', detail: `${root} has a /bin/sh, not started (no user namespaces)` };
  return { check, verdict: 'fail', detail: `${root}: its /bin/sh does not start: ${sh.replace(/^failed: /, '')}`, fix: `a chroot for ${host}'s own architecture, with coreutils` };
}

export function formatTable(rows: Row[]): string {
  const w = Math.max(...rows.map((r) => r.check.length));
  return rows
    .map((r) => {
      const mark = r.verdict === 'ok' ? 'ok  ' : r.verdict === 'warn' ? 'warn' : 'FAIL';
      return `${mark}  ${r.check.padEnd(w)}  ${r.detail}${r.fix ? `\n      ${' '.repeat(w)}  fix: ${r.fix}` : ''}`;
    })
    .join('\n');
}
