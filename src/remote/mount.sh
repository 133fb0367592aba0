#!/bin/sh
# gocpu mount half (remote side, channel A). Owns the run's private directory:
# creates it, runs `sshfs -o passive` in the foreground with its stdin/stdout wired
# (by sshd) to the SFTP server inside the local gocpu process, and when sshfs ends
# (local side closed the stream, or it failed) tears everything down again.
#
# Usage: sh -c "$(cat mount.sh)" gocpu-mount NONCE SSHFS SSHFS_OPTS
# The private dir is ${TMPDIR:-/tmp}/gocpu.NONCE; NONCE is random (unpredictable).
# Diagnostics go to stderr as "gocpu-NONCE error CODE DETAIL" lines for the local side.
set -u
# When the connection dies, our stderr is a broken pipe: a diagnostic must not
# kill us (SIGPIPE) before the cleanup below has run.
trap '' PIPE HUP
PATH=$PATH:/usr/sbin:/sbin
nonce=$1 sshfs=$2 opts=$3
d=${TMPDIR:-/tmp}/gocpu.$nonce

say() { printf 'gocpu-%s %s\n' "$nonce" "$*" >&2; }

cleanup() {
  # The holder (pid 1 of the run's pid namespace) is started by the run half;
  # killing its unshare parent kills it (--kill-child) and with it every
  # process the test left behind. SIGKILL: unshare --fork blocks SIGTERM and
  # SIGINT to pass them on to its child (util-linux 2.36+), and pid 1 ignores them.
  if [ -f "$d/holder.pid" ]; then
    kill -KILL "$(cat "$d/holder.pid")" 2>/dev/null
  fi
  if mountpoint -q "$d/mnt" 2>/dev/null; then
    fusermount3 -u "$d/mnt" 2>/dev/null || fusermount -u "$d/mnt" 2>/dev/null
  fi
  remove_dir "$d"
}

# Never rm -r: while anything is still mounted below a run's directory, a
# recursive remove would delete the developer's files through the mount.
remove_dir() {
  rm -f "$1/mount.pid" "$1/sshfs.pid" "$1/run.pid" "$1/holder.pid" "$1/ready" \
    "$1/failed" "$1/view.err" "$1/fstab"
  rmdir "$1/mnt" "$1/root" "$1" 2>/dev/null
}

fail() {
  say error "$@"
  : >"$d/failed"
  # Give the run half a moment to see the marker before the directory goes.
  sleep 0.2
  cleanup
  exit 1
}

# Runs that died without cleaning up (a crash, a reboot of the laptop) leave
# their directory, maybe a dead mount: clear ours when their mount half is gone.
# Only directories older than a minute: a run starting now has no mount.pid yet.
clear_stale() {
  find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'gocpu.*' -user "$(id -u)" -mmin +1 2>/dev/null | while IFS= read -r s; do
    pid=$(cat "$s/mount.pid" 2>/dev/null) || pid=
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
    if [ -f "$s/holder.pid" ]; then kill -KILL "$(cat "$s/holder.pid")" 2>/dev/null; fi
    fusermount3 -u -z "$s/mnt" 2>/dev/null || fusermount -u -z "$s/mnt" 2>/dev/null
    remove_dir "$s"
  done
}

umask 077
clear_stale
if ! mkdir "$d" 2>/dev/null; then
  say error mkdir "cannot create $d: $(mkdir "$d" 2>&1)"
  exit 1
fi
echo "$$" >"$d/mount.pid"
mkdir "$d/mnt" "$d/root"

if ! command -v "$sshfs" >/dev/null 2>&1; then
  fail no-sshfs "$sshfs"
fi
[ -e /dev/fuse ] || fail no-fuse "/dev/fuse is missing"

# `passive` is the 3.7.1+ name of `slave`, which 3.7.3 still accepts but warns about.
mode=slave
case "$("$sshfs" --version 2>&1)" in
  *"SSHFS version 3.7."[1-9]* | *"SSHFS version 3.[89]"* | *"SSHFS version "[4-9]*) mode=passive ;;
esac
# Debian's sshfs 3.7.3-1.2~deb12u1 and upstream 3.7.6 reject absolute symlinks and
# links with ".." unless told otherwise (CVE-2026-47187); older sshfs does not know
# the option and refuses to start with it.
if "$sshfs" --help 2>&1 | grep -q no_contain_symlinks; then
  opts="$opts,no_contain_symlinks"
fi

# In the background so the watch half can signal it; a background job's stdin
# would be /dev/null, so the SFTP stream goes through fd 3.
exec 3<&0
"$sshfs" -f -o "$mode,$opts" gocpu:/ "$d/mnt" <&3 3<&- &
exec 3<&-
echo "$!" >"$d/sshfs.pid"
wait "$!"
rc=$?
[ "$rc" -eq 0 ] || say error sshfs-exit "$rc"
: >"$d/failed"
cleanup
exit "$rc"
