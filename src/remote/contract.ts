/**
 * The local<->remote contract, in one place: every name, path, word and byte that
 * gocpu's TypeScript and the remote POSIX shell halves must agree on. The shell side
 * gets it as src/remote/prelude.sh, rendered from this module by renderPrelude()
 * (`make prelude` rewrites it; test/remote/contract.test.ts fails when the checked-in
 * file differs), and scripts.ts puts that text in place of each script's
 * `. ./prelude.sh` line when it ships the script.
 *
 * Layout on the remote, for one remote user:
 *   ${TMPDIR:-/tmp}/gocpu.NONCE/      one run (mode 0700): RUN_FILES, mnt/, root/
 *   ${TMPDIR:-/tmp}/gocpu-host.UID/   host-level state beside the runs (a per-host
 *                                     agent to come); never matched by the stale-run
 *                                     sweep (`gocpu.*`), hidden from tests like runs are
 *   ${TMPDIR:-/tmp}/gocpu-host.UID/files/  copy mode's content-addressed file cache
 *   ${XDG_CACHE_HOME:-$HOME/.cache}/gocpu/bin/   the content-addressed test binary cache
 */

/** The directory every run dir (and the host dir) lives in; a shell word. */
export const BASE_DIR_SH = '${TMPDIR:-/tmp}';
/** A run dir is BASE/RUN_DIR_PREFIX+NONCE; NONCE is 24 hex digits (96 random bits). */
export const RUN_DIR_PREFIX = 'gocpu.';
/** The host dir is BASE/HOST_DIR_PREFIX+UID (the remote user's numeric id). */
export const HOST_DIR_PREFIX = 'gocpu-host.';
/** Where a remote content-addressed cache lives (not in BASE: it survives reboots). */
export const CACHE_DIR_SH = '${XDG_CACHE_HOME:-${HOME:-}/.cache}/gocpu';

/**
 * Files in a run dir. Shell: `$gocpu_dir/$gocpu_f_<key in snake_case>`.
 * Whoever removes a run dir removes exactly these names and the two subdirectories,
 * never recursively (a live mount below would be emptied through).
 */
export const RUN_FILES = {
  /** mount.sh's pid: the run is alive while it is (the stale sweep's test). */
  mountPid: 'mount.pid',
  sshfsPid: 'sshfs.pid',
  /** run.sh's pid: the test is below it (kill.sh walks down from it). */
  runPid: 'run.pid',
  /** The namespace holder (unshare --kill-child): killing it ends the namespace. */
  holderPid: 'holder.pid',
  /** A fifo: view.sh writes "ready" when the view is up. */
  ready: 'ready',
  /**
   * Copy mode (src/copy/): mnt/ holds a copied tree, not a mount point. Made before
   * anything is copied, so that whoever removes the run dir (the copy half, the stale
   * sweep) knows mnt/ may be emptied recursively.
   */
  copyRun: 'copy',
  /** Copy mode: touched once the tree is in place; what the test writes is newer. */
  copied: 'copied',
  /** Copy mode: a link to the host's file cache, where the tar's hard links point. */
  cacheLink: 'c',
  /** Exists once the mount half gave up (or ended). */
  failed: 'failed',
  /**
   * The agent's shared mount only: what the remote's setsid and unshare can do, probed once
   * by its mount half before it says "mounted" (so every run on it finds the file whole):
   * "S U", 1 or 0 each: gocpu_setsid_fork, gocpu_unshare_map_user. The runs read it with a
   * builtin, where each probe was a fork and an exec per call.
   */
  tools: 'tools',
  viewErr: 'view.err',
  fstab: 'fstab',
  /** The test's exact end, written by run.sh: END_CODE or END_SIGNAL. */
  end: 'end',
  /** stderr of setsid/nsenter (the test's own stderr stays on the channel). */
  endErr: 'end.err',
  /** A fifo (made with `ready`) the watch half's log pusher waits on: run.sh writes a line once the end file is there. */
  logReady: 'log-ready',
  /**
   * A fifo (made with `ready`) for a test binary still on its way to the remote's cache when
   * the run starts (the header's gocpu_bin_late): run.sh writes two lines once the local
   * side sent its sha256: the cached file's path (empty: none), and the file of an upload
   * still committing it (upload.sh), whose lock view.sh waits for; view.sh binds the
   * cached file last, if it is there.
   */
  binLate: 'bin-late',
  /** Made by run.sh once the late binary's line is in bin-late: view.sh, seeing it before its mount -a, binds the binary with the rest. */
  binKnown: 'bin-known',
  /** Terminal runs (RUN_MODES.pty): fifos run.sh makes, ctl.sh feeds the header into... */
  ptyHeader: 'pty-header',
  /** ...and copies run.sh's control lines from, to the control channel's stderr. */
  ptyControl: 'pty-control',
} as const;
/**
 * staging: copy mode's files new to the host's cache, moved into it once extracted.
 * log: where the test writes go's test log (TEST_LOG), on the remote's own disk: the view
 * shows it at the run dir's path, and the watch half sends it back (HEARTBEAT.askLog).
 */
export const RUN_SUBDIRS = { mnt: 'mnt', root: 'root', staging: 'new', log: 'log' } as const;
/** The test log's name in RUN_SUBDIRS.log (and at the run dir's path in the view). */
export const TEST_LOG = 'testlog.txt';
/** Copy mode's content-addressed file cache, in the host dir (same filesystem as the run dirs: hard links). */
export const HOST_FILES = 'files';

/**
 * Control lines: `gocpu-NONCE WORD DETAIL\n`. The nonce keeps a test's own output
 * from being taken for ours.
 */
export const CONTROL_PREFIX = 'gocpu-';
export function controlPrefix(nonce: string): string {
  return `${CONTROL_PREFIX}${nonce} `;
}
export const WORDS = {
  /** DETAIL = CODE TEXT, CODE one of ERROR_CODES. */
  error: 'error',
  /** DETAIL = run.sh's pid (the kill channel's starting point). */
  pid: 'pid',
  /** DETAIL = STEP MILLISECONDS (GOCPU_TRACE). */
  trace: 'trace',
  /** No DETAIL; everything after it on the run channel's stderr is the test's. */
  exec: 'exec',
  /** On the watch channel, answer to HEARTBEAT.askEnd: DETAIL = the end file's line or END_NONE. */
  end: 'end',
  /** From the mount half when asked to say it (the agent's shared mount): sshfs is mounted. */
  mounted: 'mounted',
  /**
   * On the watch channel, answer to HEARTBEAT.askLog or pushLog: DETAIL = TEST_LOG_NONE, or
   * TEST_LOG_DATA followed by the test log's bytes in base64.
   */
  testlog: 'testlog',
} as const;
export const TEST_LOG_NONE = '-';
export const TEST_LOG_DATA = '=';
export type Word = (typeof WORDS)[keyof typeof WORDS];

/** CODEs of `error` lines, by the script that sends them. */
export const ERROR_CODES = {
  /** root: the remote root is no directory reached without a symlink; root-sh: it has no /bin/sh. */
  run: ['header', 'arch', 'root', 'root-sh', 'mount', 'mount-timeout', 'mkdir', 'mkfifo', 'view'],
  mount: ['mkdir', 'no-sshfs', 'no-fuse', 'sshfs-exit'],
  copy: ['mkdir', 'no-tar', 'protocol', 'copy', 'copy-back'],
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES][number];

/**
 * How the run channel runs the program (run.sh's and exec.sh's MODE argument): with
 * pipes, or on a pty sshd allocated for it (a terminal session, issue 9).
 */
export const RUN_MODES = { pipe: 'pipe', pty: 'pty' } as const;

/**
 * Which channel carries the run header and the control lines. Without a pty: the run
 * channel, header on its stdin, control lines on its stderr before the exec marker.
 * A pty echoes what is written to it (the header holds the forwarded environment)
 * and its line discipline rewrites long lines and control bytes, so with a pty both
 * travel on a channel of their own, ctl.sh's (through RUN_FILES.ptyHeader and
 * ptyControl): never on the program's stdio. Not the watch channel: it is the
 * heartbeat's, which a per-host agent keeps per run.
 */
export const CONTROL_CHANNEL = { plain: 'run-stderr', pty: 'ctl' } as const;

/**
 * Heartbeat bytes on the watch channel, each a line of its own on its stdin (echoed
 * back without the newline on its stdout): one watch channel, one
 * heartbeat, per run (an agent serving many runs keeps one per nonce; a run whose
 * heartbeat stops is torn down alone). Local -> remote: beat (echoed back), reap
 * (the test exited: end its namespace), quit (normal end), askEnd (answered with an
 * `end` control line on the watch channel's stderr), askLog (answered with a `testlog`
 * line), pushLog (sent once the test has started: the `testlog` line comes by itself
 * when it has ended, up to a round trip sooner than askLog's). Remote -> local on stdout: the echo, and
 * torn (the remote stopped hearing us and tore the run down).
 */
export const HEARTBEAT = { beat: '.', reap: 'k', quit: 'q', askEnd: 'e', askLog: 'l', pushLog: 'L', torn: 'T' } as const;

/** The end file: `code C`, or `signal N NAME` (NAME as the remote's `kill -l N`). */
export const END_CODE = 'code';
export const END_SIGNAL = 'signal';
/** The watch half's answer when there is no end file (run.sh fell back to exec). */
export const END_NONE = 'none';
/** sshd (OpenSSH 9.2) names only RFC 4254's 13 signals; any other arrives as this. */
export const SSHD_OTHER_SIGNAL = 'SIG@openssh.com';
/** setsid -w (checked: util-linux 2.38) says this when its child died by a signal. */
export const SETSID_SIGNALED = 'did not exit normally';

export interface RemoteTool {
  name: string;
  /** The Debian package that provides it. */
  pkg: string;
  /** Any one of a group is enough (fusermount3 or fusermount). */
  group?: string;
}

/**
 * Every program a run fails without, besides a POSIX sh and its builtins. doctor.sh
 * probes each, doctor's `tools` row and run's "lacks TOOL" message read this list.
 * sshfs is configurable (remoteSshfs) and checked on its own. Not here: what only
 * doctor uses, or what a run can do without (find: the stale-run sweep).
 */
export const REMOTE_TOOLS: readonly RemoteTool[] = [
  { name: 'unshare', pkg: 'util-linux' },
  { name: 'nsenter', pkg: 'util-linux' },
  { name: 'setsid', pkg: 'util-linux' },
  { name: 'mountpoint', pkg: 'util-linux' },
  { name: 'mount', pkg: 'mount' },
  { name: 'chroot', pkg: 'coreutils' },
  { name: 'dd', pkg: 'coreutils' },
  { name: 'mkfifo', pkg: 'coreutils' },
  { name: 'sleep', pkg: 'coreutils' },
  { name: 'fusermount3', pkg: 'fuse3', group: 'fusermount' },
  { name: 'fusermount', pkg: 'fuse', group: 'fusermount' },
];

/** Packages to install for a list of missing tools, in list order, no duplicates. */
export function packagesFor(tools: readonly string[]): string[] {
  const pkgs: string[] = [];
  for (const t of REMOTE_TOOLS) {
    if (tools.includes(t.name) && !pkgs.includes(t.pkg)) pkgs.push(t.pkg);
  }
  return pkgs;
}

/**
 * Names a forwarded environment variable may not have: the shell's special or
 * readonly variables (dash, bash --posix, busybox sh), and the scripts' own
 * prefix. Assigning them would abort the script (readonly: UID, EUID, PPID,
 * SHELLOPTS, BASHOPTS; OPTIND=abc in dash) or change how it parses (IFS).
 */
export const RESERVED_ENV_NAMES: readonly string[] = [
  'IFS', 'PS1', 'PS2', 'PS3', 'PS4', 'ENV', 'OPTIND', 'PPID', 'LINENO',
  'UID', 'EUID', 'SHELLOPTS', 'BASHOPTS', 'RANDOM', 'SRANDOM', 'SECONDS', 'FUNCNAME',
  'GROUPS', 'HISTCMD', 'DIRSTACK', 'PIPESTATUS', 'EPOCHSECONDS', 'EPOCHREALTIME',
  'BASH', 'BASHPID', 'COMP_WORDBREAKS',
];
export const RESERVED_ENV_PREFIXES: readonly string[] = ['BASH_', 'gocpu_'];

export function reservedEnvName(name: string): boolean {
  return RESERVED_ENV_NAMES.includes(name) || RESERVED_ENV_PREFIXES.some((p) => name.startsWith(p));
}

/** Shell variable of a RUN_FILES entry: holderPid -> gocpu_f_holder_pid. */
export function fileVar(key: keyof typeof RUN_FILES): string {
  return `gocpu_f_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The text of src/remote/prelude.sh. */
export function renderPrelude(): string {
  const L: string[] = [];
  L.push('# gocpu prelude: the contract of src/remote/contract.ts for the remote scripts.');
  L.push('# Generated: `make prelude` rewrites it; edit contract.ts, not this file.');
  L.push('# shellcheck shell=sh disable=SC2034');
  L.push(`gocpu_base=${BASE_DIR_SH}`);
  L.push(`gocpu_run_glob=${sq(`${RUN_DIR_PREFIX}*`)}`);
  L.push(`gocpu_host_glob=${sq(`${HOST_DIR_PREFIX}*`)}`);
  L.push(`gocpu_cache=${CACHE_DIR_SH}`);
  L.push(`gocpu_host_files=${sq(HOST_FILES)}`);
  for (const [k, v] of Object.entries(RUN_FILES)) L.push(`gocpu_f_${snake(k)}=${sq(v)}`);
  L.push(`gocpu_run_files=${sq(Object.values(RUN_FILES).join(' '))}`);
  for (const [k, v] of Object.entries(RUN_SUBDIRS)) L.push(`gocpu_d_${k}=${sq(v)}`);
  for (const [k, v] of Object.entries(HEARTBEAT)) L.push(`gocpu_hb_${snake(k)}=${sq(v)}`);
  L.push(`gocpu_end_code=${sq(END_CODE)} gocpu_end_signal=${sq(END_SIGNAL)} gocpu_end_none=${sq(END_NONE)}`);
  L.push(`gocpu_test_log=${sq(TEST_LOG)} gocpu_test_log_none=${sq(TEST_LOG_NONE)} gocpu_test_log_data=${sq(TEST_LOG_DATA)}`);
  L.push(`gocpu_setsid_signaled=${sq(SETSID_SIGNALED)}`);
  L.push(`gocpu_mode_pipe=${sq(RUN_MODES.pipe)} gocpu_mode_pty=${sq(RUN_MODES.pty)}`);
  L.push(`gocpu_tools=${sq(REMOTE_TOOLS.map((t) => t.name).join(' '))}`);
  L.push(`gocpu_nonce=''`);
  L.push('# gocpu_at_run NONCE: this run\'s dir is $gocpu_dir.');
  L.push('gocpu_at_run() {');
  L.push('  gocpu_nonce=$1');
  L.push(`  gocpu_dir=$gocpu_base/${RUN_DIR_PREFIX}$1`);
  L.push('}');
  L.push('# gocpu_at_host: the host dir of this remote user is $gocpu_host_dir.');
  L.push('gocpu_at_host() {');
  L.push(`  gocpu_host_dir=$gocpu_base/${HOST_DIR_PREFIX}$(id -u)`);
  L.push('}');
  L.push('# gocpu_remove_dir DIR: a run dir, never with rm -r: while anything is still');
  L.push('# mounted below it, a recursive remove would delete the developer\'s files through it.');
  L.push('# A copy run\'s mnt/ is a copied tree: it goes recursively, unless something is mounted there.');
  L.push('gocpu_remove_dir() {');
  L.push('  if [ -f "$1/$gocpu_f_copy_run" ] && ! mountpoint -q "$1/$gocpu_d_mnt" 2>/dev/null; then');
  L.push('    # A directory copied read-only (0555) would keep its entries: only directories, as');
  L.push('    # files may be hard links into the cache, whose modes are part of their names.');
  L.push('    find "$1/$gocpu_d_mnt" "$1/$gocpu_d_staging" -type d ! -perm -u+w -exec chmod u+w {} + 2>/dev/null');
  L.push('    rm -rf --one-file-system "${1:?}/${gocpu_d_mnt:?}" "${1:?}/${gocpu_d_staging:?}"');
  L.push('  fi');
  L.push('  # One rm for all of the run\'s files: a fork each was most of a warm call\'s teardown.');
  L.push('  # log/ is the test\'s to write in (go\'s test log, and whatever else it put there): it goes');
  L.push('  # whole. Nothing is mounted below it here: the test\'s own mounts are in its namespace.');
  L.push('  gocpu_rm_d=$1');
  L.push('  set -- "$gocpu_rm_d/$gocpu_d_log"');
  L.push('  for gocpu_f in $gocpu_run_files; do set -- "$@" "$gocpu_rm_d/$gocpu_f"; done');
  L.push('  rm -rf -- "$@"');
  L.push('  rmdir "$gocpu_rm_d/$gocpu_d_mnt" "$gocpu_rm_d/$gocpu_d_root" "$gocpu_rm_d/$gocpu_d_staging" "$gocpu_rm_d" 2>/dev/null');
  L.push('}');
  L.push('# gocpu_remove_dir_after DIR: gocpu_remove_dir, and again once the run half (its pid from');
  L.push('# DIR/run.pid) has ended. Torn down at once (the wrapper was killed, so the watch half and');
  L.push('# the mount or copy half tear down together), the holder\'s death wakes a run half that then');
  L.push('# writes its end into the dir as it is removed, and the dir stayed.');
  L.push('gocpu_remove_dir_after() {');
  L.push('  gocpu_ra_p=');
  L.push('  read -r gocpu_ra_p <"$1/$gocpu_f_run_pid" 2>/dev/null || :');
  L.push('  gocpu_remove_dir "$1"');
  L.push('  [ -d "$1" ] && [ -n "$gocpu_ra_p" ] || return 0');
  L.push('  gocpu_ra_i=0');
  L.push('  while kill -0 "$gocpu_ra_p" 2>/dev/null && [ "$gocpu_ra_i" -lt 60 ]; do');
  L.push('    sleep 0.05');
  L.push('    gocpu_ra_i=$((gocpu_ra_i + 1))');
  L.push('  done');
  L.push('  gocpu_remove_dir "$1"');
  L.push('}');
  L.push('# gocpu_kill_holder DIR: ends the run\'s namespace (SIGKILL to the holder, unshare --kill-child:');
  L.push('# it ignores TERM) and so everything the test left; without a namespace the file holds');
  L.push('# the test\'s process group as -PGID (exec.sh), which the same kill ends.');
  L.push('gocpu_kill_holder() {');
  L.push('  gocpu_kh=');
  L.push('  read -r gocpu_kh <"$1/$gocpu_f_holder_pid" 2>/dev/null || :');
  L.push('  if [ -n "$gocpu_kh" ]; then kill -KILL "$gocpu_kh" 2>/dev/null; fi');
  L.push('}');
  L.push('# gocpu_clear_stale: runs that died without cleaning up (a crash, a reboot of the');
  L.push('# laptop) leave their directory, maybe a dead mount: clear ours when their mount or');
  L.push('# copy half is gone. Only directories older than a minute: a run starting now has no');
  L.push('# mount.pid yet. The host dir (gocpu-host.UID) does not match: it is not a run.');
  L.push('gocpu_clear_stale() {');
  L.push('  find "$gocpu_base" -maxdepth 1 -name "$gocpu_run_glob" -user "$(id -u)" -mmin +1 2>/dev/null | while IFS= read -r gocpu_s; do');
  L.push('    gocpu_p=$(cat "$gocpu_s/$gocpu_f_mount_pid" 2>/dev/null) || gocpu_p=');
  L.push('    if [ -n "$gocpu_p" ] && kill -0 "$gocpu_p" 2>/dev/null; then continue; fi');
  L.push('    gocpu_kill_holder "$gocpu_s"');
  L.push('    fusermount3 -u -z "$gocpu_s/$gocpu_d_mnt" 2>/dev/null || fusermount -u -z "$gocpu_s/$gocpu_d_mnt" 2>/dev/null');
  L.push('    gocpu_remove_dir "$gocpu_s"');
  L.push('  done');
  L.push('}');
  L.push('# gocpu_own_run_dir: the mount or copy half takes the run dir (private, with its pid');
  L.push('# for the stale sweep); fails with a control line. The half sweeps (gocpu_clear_stale)');
  L.push('# once its own work is under way: a find and two forks, 7 ms of a cold call here.');
  L.push('gocpu_own_run_dir() {');
  L.push('  umask 077');
  L.push('  if ! mkdir "$gocpu_dir" 2>/dev/null; then');
  L.push('    gocpu_say error mkdir "cannot create $gocpu_dir: $(LC_ALL=C mkdir "$gocpu_dir" 2>&1)"');
  L.push('    return 1');
  L.push('  fi');
  L.push('  echo "$$" >"$gocpu_dir/$gocpu_f_mount_pid"');
  L.push('}');
  L.push('# gocpu_real_dir BASE PATH: BASE/PATH is a directory and no component of PATH is a');
  L.push('# symlink (BASE itself is not looked at: "" for /). Builtins only: view.sh calls it a lot.');
  L.push('gocpu_real_dir() {');
  L.push('  gocpu_rd_rest=${2#/} gocpu_rd_p=$1');
  L.push('  while [ -n "$gocpu_rd_rest" ]; do');
  L.push('    gocpu_rd_p=$gocpu_rd_p/${gocpu_rd_rest%%/*}');
  L.push('    case $gocpu_rd_rest in */*) gocpu_rd_rest=${gocpu_rd_rest#*/} ;; *) gocpu_rd_rest= ;; esac');
  L.push('    if [ ! -d "$gocpu_rd_p" ] || [ -L "$gocpu_rd_p" ]; then return 1; fi');
  L.push('  done');
  L.push('  [ -d "$1/" ]');
  L.push('}');
  L.push('# gocpu_say WORD DETAIL...: a control line for the local side.');
  L.push('gocpu_say() {');
  L.push(`  printf '${CONTROL_PREFIX}%s %s\\n' "$gocpu_nonce" "$*" >&2`);
  L.push('}');
  L.push('# gocpu_setsid_fork: setsid has --fork and --wait (util-linux 2.36+ at least), which the');
  L.push('# exact end of a test needs; its help text is parsed, hence LC_ALL=C.');
  L.push('gocpu_setsid_fork() {');
  L.push('  case "$(LC_ALL=C setsid --help 2>&1)" in *--fork*--wait* | *--wait*--fork*) return 0 ;; esac');
  L.push('  return 1');
  L.push('}');
  L.push('# gocpu_unshare_map_user: unshare has --map-user and --root (not every util-linux), which a');
  L.push('# test run as the remote user\'s own uid needs (run.sh); its help text is parsed too.');
  L.push('gocpu_unshare_map_user() {');
  L.push('  gocpu_um_h=$(LC_ALL=C unshare --help 2>&1)');
  L.push('  case $gocpu_um_h in *--map-user=*) case $gocpu_um_h in *--root=*) return 0 ;; esac ;; esac');
  L.push('  return 1');
  L.push('}');
  L.push('# gocpu_sshfs_opts SSHFS OPTS: sets $gocpu_sshfs_o to what the mount half passes');
  L.push('# to `sshfs -o` (doctor reports the same). `passive` is the 3.7.1+ name of `slave`,');
  L.push('# which 3.7.3 still accepts but warns about. Debian\'s sshfs 3.7.3-1.2~deb12u1 and');
  L.push('# upstream 3.7.6 reject absolute symlinks and links with ".." unless told otherwise');
  L.push('# (CVE-2026-47187); older sshfs does not know the option and refuses to start with it.');
  L.push('gocpu_sshfs_opts() {');
  L.push('  gocpu_sshfs_o=slave');
  L.push('  case "$(LC_ALL=C "$1" --version 2>&1)" in');
  L.push('    *"SSHFS version 3.7."[1-9]* | *"SSHFS version 3.[89]"* | *"SSHFS version "[4-9]*) gocpu_sshfs_o=passive ;;');
  L.push('  esac');
  L.push('  gocpu_sshfs_o=$gocpu_sshfs_o,$2');
  L.push('  if LC_ALL=C "$1" --help 2>&1 | grep -q no_contain_symlinks; then');
  L.push('    gocpu_sshfs_o=$gocpu_sshfs_o,no_contain_symlinks');
  L.push('  fi');
  L.push('}');
  return L.join('\n') + '\n';
}
