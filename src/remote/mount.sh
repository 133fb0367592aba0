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
  # Never rm -r here: while anything is still mounted below $d, a recursive
  # remove would delete the developer's files through the mount.
  rm -f "$d/holder.pid" "$d/ready" "$d/failed" "$d/view.err"
  rmdir "$d/mnt" "$d/root" "$d" 2>/dev/null
}

fail() {
  say error "$@"
  : >"$d/failed"
  # Give the run half a moment to see the marker before the directory goes.
  sleep 0.2
  cleanup
  exit 1
}

umask 077
if ! mkdir "$d" 2>/dev/null; then
  say error mkdir "cannot create $d: $(mkdir "$d" 2>&1)"
  exit 1
fi
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

"$sshfs" -f -o "$mode,$opts" gocpu:/ "$d/mnt"
rc=$?
[ "$rc" -eq 0 ] || say error sshfs-exit "$rc"
: >"$d/failed"
cleanup
exit "$rc"
