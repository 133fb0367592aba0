#!/bin/sh
# gocpu watch half (remote side, channel C): the run's dead man's switch.
# The local side writes a byte every couple of seconds; we echo each one (so it
# can tell a silent remote too) and write "q" when the run ends normally. If the
# bytes stop (the link was cut, the laptop slept) or the stream ends without "q"
# (gocpu was killed), nothing of the run may survive: kill its namespace (the
# test and everything it started), stop sshfs (which unmounts; the mount half then
# removes the run's directory) and finally our own sshd session.
#
# Usage: sh -c "$(cat watch.sh)" gocpu-watch NONCE TIMEOUT_SECONDS
set -u
# The echo to a dead connection must not kill us (SIGPIPE) before the teardown.
trap '' PIPE HUP
nonce=$1 limit=$2
d=${TMPDIR:-/tmp}/gocpu.$nonce
PATH=$PATH:/usr/sbin:/sbin

while :; do
  c=$(timeout "$limit" head -c 1) || c=
  case $c in
    q) exit 0 ;;
    # The test has exited: end its pid namespace now, as the death of a pid
    # namespace's init would, so that no process it left behind keeps the
    # session's stdout open (go would wait for it).
    k) if [ -f "$d/holder.pid" ]; then kill -KILL "$(cat "$d/holder.pid")" 2>/dev/null; fi ;;
    ?) printf '%s' "$c" ;;
    *) break ;;
  esac
done

[ -d "$d" ] || exit 0
# Tell the local side, if it still listens, why its test is about to die.
printf T
for f in holder.pid run.pid; do
  if [ -f "$d/$f" ]; then kill -KILL "$(cat "$d/$f")" 2>/dev/null; fi
done
if [ -f "$d/sshfs.pid" ]; then kill -TERM "$(cat "$d/sshfs.pid")" 2>/dev/null; fi
i=0
while [ -d "$d" ] && [ "$i" -lt 30 ]; do
  sleep 0.1
  i=$((i + 1))
done
# sshfs may hang on a dead link: a lazy unmount frees the mount point anyway.
fusermount3 -u -z "$d/mnt" 2>/dev/null || fusermount -u -z "$d/mnt" 2>/dev/null
# Our parent is this connection's sshd session process; it runs as us.
kill -TERM "$PPID" 2>/dev/null
exit 0
