#!/bin/sh
# gocpu control half of a terminal run (remote side, channel D, no pty). When the
# run channel has a pty, nothing of ours may pass through it: it echoes what is
# written to it (the run header holds the forwarded environment) and its line
# discipline rewrites long lines and control bytes. So run.sh, on the pty, makes two
# fifos in the run dir; we copy our stdin (the header, then EOF) into one, and the
# other (run.sh's control lines, "gocpu-NONCE WORD ...") to our stderr.
#
# Usage: sh -c "$(cat ctl.sh)" gocpu-ctl NONCE
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
set -u
trap '' PIPE HUP
gocpu_at_run "$1"

# run.sh makes the fifos once the mount half has made the run dir: control last.
# A run dir that never came, or went again, is a run that failed to start.
gocpu_i=0 gocpu_seen=0
until [ -p "$gocpu_dir/$gocpu_f_pty_control" ]; do
  if [ -d "$gocpu_dir" ]; then gocpu_seen=1
  elif [ "$gocpu_seen" = 1 ] || [ "$gocpu_i" -gt 200 ]; then exit 1
  fi
  [ -e "$gocpu_dir/$gocpu_f_failed" ] && exit 1
  [ "$gocpu_i" -gt 3000 ] && exit 1
  sleep 0.01
  gocpu_i=$((gocpu_i + 1))
done
# run.sh holds the header's fifo open already, and the control fifo from just after
# making it (see there); read-write never blocks on a fifo.
cat "$gocpu_dir/$gocpu_f_pty_control" >&2 &
cat 1<>"$gocpu_dir/$gocpu_f_pty_header"
wait
