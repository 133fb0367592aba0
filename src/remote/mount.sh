#!/bin/sh
# gocpu mount half (remote side, channel A). Owns the run's private directory:
# (the agent's mount shared by the runs on a host is one such "run", whose mnt/
# holds a subtree per run: see run.sh)
# creates it, runs `sshfs -o passive` in the foreground with its stdin/stdout wired
# (by sshd) to the SFTP server inside the local gocpu process, and when sshfs ends
# (local side closed the stream, or it failed) tears everything down again.
#
# Usage: sh -c "$(cat mount.sh)" gocpu-mount NONCE SSHFS SSHFS_OPTS [SAY_MOUNTED]
# SAY_MOUNTED=1 (the agent's shared mount): a "mounted" control line once sshfs is.
# NONCE is random (unpredictable); the run dir is $gocpu_dir (prelude.sh).
# Diagnostics go to stderr as "gocpu-NONCE error CODE DETAIL" lines for the local side.
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
set -u
# When the connection dies, our stderr is a broken pipe: a diagnostic must not
# kill us (SIGPIPE) before the cleanup below has run.
trap '' PIPE HUP
PATH=$PATH:/usr/sbin:/sbin
gocpu_at_run "$1"
gocpu_sshfs=$2 gocpu_opts=$3 gocpu_say_mounted=${4:-0}
gocpu_mnt=$gocpu_dir/$gocpu_d_mnt

gocpu_cleanup() {
  # The holder (pid 1 of the run's pid namespace) is started by the run half;
  # killing its unshare parent kills it (--kill-child) and with it every
  # process the test left behind. SIGKILL: unshare --fork blocks SIGTERM and
  # SIGINT to pass them on to its child (util-linux 2.36+), and pid 1 ignores them.
  gocpu_kill_holder "$gocpu_dir"
  if mountpoint -q "$gocpu_mnt" 2>/dev/null; then
    fusermount3 -u "$gocpu_mnt" 2>/dev/null || fusermount -u "$gocpu_mnt" 2>/dev/null
  fi
  gocpu_remove_dir_after "$gocpu_dir"
}

gocpu_fail() {
  gocpu_say error "$@"
  : >"$gocpu_dir/$gocpu_f_failed"
  # Give the run half a moment to see the marker before the directory goes.
  sleep 0.2
  gocpu_cleanup
  exit 1
}

gocpu_own_run_dir || exit 1
mkdir "$gocpu_mnt" "$gocpu_dir/$gocpu_d_root"

if ! command -v "$gocpu_sshfs" >/dev/null 2>&1; then
  gocpu_fail no-sshfs "$gocpu_sshfs"
fi
[ -e /dev/fuse ] || gocpu_fail no-fuse "/dev/fuse is missing"

gocpu_sshfs_opts "$gocpu_sshfs" "$gocpu_opts"

# The mount point as it is before sshfs mounts on it, for the wait below. `command`:
# where the open fails, the quick wait is skipped, not the script ended (dash ends a
# script whose `exec` redirection fails).
gocpu_held=
if [ "$gocpu_say_mounted" = 1 ] && command exec 5<"$gocpu_mnt"; then gocpu_held=1; fi
# In the background so the watch half can signal it; a background job's stdin
# would be /dev/null, so the SFTP stream goes through fd 3. LC_ALL=C: the local
# side matches sshfs's and fusermount's messages (src/run/remote-errors.ts).
exec 3<&0
LC_ALL=C "$gocpu_sshfs" -f -o "$gocpu_sshfs_o" gocpu:/ "$gocpu_mnt" <&3 3<&- 5<&- &
exec 3<&-
gocpu_sshfs_pid=$!
echo "$gocpu_sshfs_pid" >"$gocpu_dir/$gocpu_f_sshfs_pid"
# While sshfs starts (its SFTP handshake with the local side, fusermount3). Our
# stdin is sshfs's SFTP stream: nothing of the sweep may read it.
gocpu_clear_stale </dev/null
if [ "$gocpu_say_mounted" = 1 ]; then
  # What the runs on this mount would each ask setsid and unshare (RUN_FILES.tools), asked
  # once, while sshfs starts; written before "mounted", so no run finds it half written.
  gocpu_t_s=0 gocpu_t_u=0
  gocpu_setsid_fork </dev/null && gocpu_t_s=1
  gocpu_unshare_map_user </dev/null && gocpu_t_u=1
  echo "$gocpu_t_s $gocpu_t_u" >"$gocpu_dir/$gocpu_f_tools"
  # Runs on a shared mount start at once, without waiting for it themselves.
  # Mounted once the path no longer reaches the directory held on fd 5: test -ef is a
  # builtin, where mountpoint(1) cost an exec every turn, and the turns are shorter.
  # shellcheck disable=SC3013 # dash, bash and busybox have -ef; without it, the loop below
  while [ -n "$gocpu_held" ] && kill -0 "$gocpu_sshfs_pid" 2>/dev/null && [ /dev/fd/5 -ef "$gocpu_mnt" ]; do sleep 0.005; done
  # mountpoint(1) has the last word, once here when the loop above saw the mount.
  gocpu_m=1
  while ! mountpoint -q "$gocpu_mnt" 2>/dev/null; do
    kill -0 "$gocpu_sshfs_pid" 2>/dev/null || { gocpu_m= && break; }
    sleep 0.01
  done
  [ -z "$gocpu_m" ] || gocpu_say mounted
  [ -z "$gocpu_held" ] || exec 5<&-
fi
wait "$gocpu_sshfs_pid"
gocpu_rc=$?
[ "$gocpu_rc" -eq 0 ] || gocpu_say error sshfs-exit "$gocpu_rc"
: >"$gocpu_dir/$gocpu_f_failed"
gocpu_cleanup
exit "$gocpu_rc"
