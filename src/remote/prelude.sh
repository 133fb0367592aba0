# gocpu prelude: the contract of src/remote/contract.ts for the remote scripts.
# Generated: `make prelude` rewrites it; edit contract.ts, not this file.
# shellcheck shell=sh disable=SC2034
gocpu_base=${TMPDIR:-/tmp}
gocpu_run_glob='gocpu.*'
gocpu_host_glob='gocpu-host.*'
gocpu_cache=${XDG_CACHE_HOME:-${HOME:-}/.cache}/gocpu
gocpu_host_files='files'
gocpu_f_mount_pid='mount.pid'
gocpu_f_sshfs_pid='sshfs.pid'
gocpu_f_run_pid='run.pid'
gocpu_f_holder_pid='holder.pid'
gocpu_f_ready='ready'
gocpu_f_copy_run='copy'
gocpu_f_copied='copied'
gocpu_f_cache_link='c'
gocpu_f_failed='failed'
gocpu_f_tools='tools'
gocpu_f_view_err='view.err'
gocpu_f_fstab='fstab'
gocpu_f_end='end'
gocpu_f_end_err='end.err'
gocpu_f_log_ready='log-ready'
gocpu_f_bin_late='bin-late'
gocpu_f_bin_known='bin-known'
gocpu_f_pty_header='pty-header'
gocpu_f_pty_control='pty-control'
gocpu_run_files='mount.pid sshfs.pid run.pid holder.pid ready copy copied c failed tools view.err fstab end end.err log-ready bin-late bin-known pty-header pty-control'
gocpu_d_mnt='mnt'
gocpu_d_root='root'
gocpu_d_staging='new'
gocpu_d_log='log'
gocpu_hb_beat='.'
gocpu_hb_reap='k'
gocpu_hb_quit='q'
gocpu_hb_ask_end='e'
gocpu_hb_ask_log='l'
gocpu_hb_push_log='L'
gocpu_hb_torn='T'
gocpu_end_code='code' gocpu_end_signal='signal' gocpu_end_none='none'
gocpu_test_log='testlog.txt' gocpu_test_log_none='-' gocpu_test_log_data='='
gocpu_setsid_signaled='did not exit normally'
gocpu_mode_pipe='pipe' gocpu_mode_pty='pty'
gocpu_tools='unshare nsenter setsid mountpoint mount chroot dd mkfifo sleep fusermount3 fusermount'
gocpu_nonce=''
# gocpu_at_run NONCE: this run's dir is $gocpu_dir.
gocpu_at_run() {
  gocpu_nonce=$1
  gocpu_dir=$gocpu_base/gocpu.$1
}
# gocpu_at_host: the host dir of this remote user is $gocpu_host_dir.
gocpu_at_host() {
  gocpu_host_dir=$gocpu_base/gocpu-host.$(id -u)
}
# gocpu_remove_dir DIR: a run dir, never with rm -r: while anything is still
# mounted below it, a recursive remove would delete the developer's files through it.
# A copy run's mnt/ is a copied tree: it goes recursively, unless something is mounted there.
gocpu_remove_dir() {
  if [ -f "$1/$gocpu_f_copy_run" ] && ! mountpoint -q "$1/$gocpu_d_mnt" 2>/dev/null; then
    # A directory copied read-only (0555) would keep its entries: only directories, as
    # files may be hard links into the cache, whose modes are part of their names.
    find "$1/$gocpu_d_mnt" "$1/$gocpu_d_staging" -type d ! -perm -u+w -exec chmod u+w {} + 2>/dev/null
    rm -rf --one-file-system "${1:?}/${gocpu_d_mnt:?}" "${1:?}/${gocpu_d_staging:?}"
  fi
  # One rm for all of the run's files: a fork each was most of a warm call's teardown.
  # log/ is the test's to write in (go's test log, and whatever else it put there): it goes
  # whole. Nothing is mounted below it here: the test's own mounts are in its namespace.
  gocpu_rm_d=$1
  set -- "$gocpu_rm_d/$gocpu_d_log"
  for gocpu_f in $gocpu_run_files; do set -- "$@" "$gocpu_rm_d/$gocpu_f"; done
  rm -rf -- "$@"
  rmdir "$gocpu_rm_d/$gocpu_d_mnt" "$gocpu_rm_d/$gocpu_d_root" "$gocpu_rm_d/$gocpu_d_staging" "$gocpu_rm_d" 2>/dev/null
}
# gocpu_remove_dir_after DIR: gocpu_remove_dir, and again once the run half (its pid from
# DIR/run.pid) has ended. Torn down at once (the wrapper was killed, so the watch half and
# the mount or copy half tear down together), the holder's death wakes a run half that then
# writes its end into the dir as it is removed, and the dir stayed.
gocpu_remove_dir_after() {
  gocpu_ra_p=
  read -r gocpu_ra_p <"$1/$gocpu_f_run_pid" 2>/dev/null || :
  gocpu_remove_dir "$1"
  [ -d "$1" ] && [ -n "$gocpu_ra_p" ] || return 0
  gocpu_ra_i=0
  while kill -0 "$gocpu_ra_p" 2>/dev/null && [ "$gocpu_ra_i" -lt 60 ]; do
    sleep 0.05
    gocpu_ra_i=$((gocpu_ra_i + 1))
  done
  gocpu_remove_dir "$1"
}
# gocpu_kill_holder DIR: ends the run's namespace (SIGKILL to the holder, unshare --kill-child:
# it ignores TERM) and so everything the test left; without a namespace the file holds
# the test's process group as -PGID (exec.sh), which the same kill ends.
gocpu_kill_holder() {
  gocpu_kh=
  read -r gocpu_kh <"$1/$gocpu_f_holder_pid" 2>/dev/null || :
  if [ -n "$gocpu_kh" ]; then kill -KILL "$gocpu_kh" 2>/dev/null; fi
}
# gocpu_clear_stale: runs that died without cleaning up (a crash, a reboot of the
# laptop) leave their directory, maybe a dead mount: clear ours when their mount or
# copy half is gone. Only directories older than a minute: a run starting now has no
# mount.pid yet. The host dir (gocpu-host.UID) does not match: it is not a run.
gocpu_clear_stale() {
  find "$gocpu_base" -maxdepth 1 -name "$gocpu_run_glob" -user "$(id -u)" -mmin +1 2>/dev/null | while IFS= read -r gocpu_s; do
    gocpu_p=$(cat "$gocpu_s/$gocpu_f_mount_pid" 2>/dev/null) || gocpu_p=
    if [ -n "$gocpu_p" ] && kill -0 "$gocpu_p" 2>/dev/null; then continue; fi
    gocpu_kill_holder "$gocpu_s"
    fusermount3 -u -z "$gocpu_s/$gocpu_d_mnt" 2>/dev/null || fusermount -u -z "$gocpu_s/$gocpu_d_mnt" 2>/dev/null
    gocpu_remove_dir "$gocpu_s"
  done
}
# gocpu_own_run_dir: the mount or copy half takes the run dir (private, with its pid
# for the stale sweep); fails with a control line. The half sweeps (gocpu_clear_stale)
# once its own work is under way: a find and two forks, 7 ms of a cold call here.
gocpu_own_run_dir() {
  umask 077
  if ! mkdir "$gocpu_dir" 2>/dev/null; then
    gocpu_say error mkdir "cannot create $gocpu_dir: $(LC_ALL=C mkdir "$gocpu_dir" 2>&1)"
    return 1
  fi
  echo "$$" >"$gocpu_dir/$gocpu_f_mount_pid"
}
# gocpu_real_dir BASE PATH: BASE/PATH is a directory and no component of PATH is a
# symlink (BASE itself is not looked at: "" for /). Builtins only: view.sh calls it a lot.
gocpu_real_dir() {
  gocpu_rd_rest=${2#/} gocpu_rd_p=$1
  while [ -n "$gocpu_rd_rest" ]; do
    gocpu_rd_p=$gocpu_rd_p/${gocpu_rd_rest%%/*}
    case $gocpu_rd_rest in */*) gocpu_rd_rest=${gocpu_rd_rest#*/} ;; *) gocpu_rd_rest= ;; esac
    if [ ! -d "$gocpu_rd_p" ] || [ -L "$gocpu_rd_p" ]; then return 1; fi
  done
  [ -d "$1/" ]
}
# gocpu_say WORD DETAIL...: a control line for the local side.
gocpu_say() {
  printf 'gocpu-%s %s\n' "$gocpu_nonce" "$*" >&2
}
# gocpu_setsid_fork: setsid has --fork and --wait (util-linux 2.36+ at least), which the
# exact end of a test needs; its help text is parsed, hence LC_ALL=C.
gocpu_setsid_fork() {
  case "$(LC_ALL=C setsid --help 2>&1)" in *--fork*--wait* | *--wait*--fork*) return 0 ;; esac
  return 1
}
# gocpu_unshare_map_user: unshare has --map-user and --root (not every util-linux), which a
# test run as the remote user's own uid needs (run.sh); its help text is parsed too.
gocpu_unshare_map_user() {
  gocpu_um_h=$(LC_ALL=C unshare --help 2>&1)
  case $gocpu_um_h in *--map-user=*) case $gocpu_um_h in *--root=*) return 0 ;; esac ;; esac
  return 1
}
# gocpu_sshfs_opts SSHFS OPTS: sets $gocpu_sshfs_o to what the mount half passes
# to `sshfs -o` (doctor reports the same). `passive` is the 3.7.1+ name of `slave`,
# which 3.7.3 still accepts but warns about. Debian's sshfs 3.7.3-1.2~deb12u1 and
# upstream 3.7.6 reject absolute symlinks and links with ".." unless told otherwise
# (CVE-2026-47187); older sshfs does not know the option and refuses to start with it.
gocpu_sshfs_opts() {
  gocpu_sshfs_o=slave
  case "$(LC_ALL=C "$1" --version 2>&1)" in
    *"SSHFS version 3.7."[1-9]* | *"SSHFS version 3.[89]"* | *"SSHFS version "[4-9]*) gocpu_sshfs_o=passive ;;
  esac
  gocpu_sshfs_o=$gocpu_sshfs_o,$2
  if LC_ALL=C "$1" --help 2>&1 | grep -q no_contain_symlinks; then
    gocpu_sshfs_o=$gocpu_sshfs_o,no_contain_symlinks
  fi
}
