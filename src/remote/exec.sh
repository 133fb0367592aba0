#!/bin/sh
# gocpu exec (remote side): the last step, inside the view, started by nsenter.
# Tells the local side that everything from here on is the test's own output,
# puts back what run.sh changed for its own tools (LC_ALL, PATH), applies the
# forwarded environment (a block of `export K='V'` lines that reached us through
# the run header on stdin, never a command line) and becomes the test.
#
# Usage: sh -c "$(cat exec.sh)" gocpu-exec NONCE MERGE MODE [PROGRAM ARGS...]
# Env: gocpu_env, gocpu_path, gocpu_lc_all_set, gocpu_lc_all. fd 3: the run
# channel's stderr (our fd 2 is where setsid and nsenter talk).
# No PROGRAM: the remote user's login shell ($SHELL, as sshd set it, with -l).
# MODE $gocpu_mode_pty: fd 3 is the pty, fd 2 run.sh's control lines (ctl.sh), and
# we write the program's end on fd 5 (see the end of this file).
# shellcheck disable=SC2154 # gocpu_* come from run.sh through the environment
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
gocpu_at_run "$1"
gocpu_merge=$2 gocpu_mode=$3
shift 3
# Copy mode without a namespace (run.sh sets gocpu_group): there is no pid namespace
# to end, so the run's teardown kills our process group instead (we lead a session of
# our own, setsid -f); "-PID" in the holder's file is that group for kill.
if [ -n "${gocpu_group:-}" ]; then echo "-$$" >"$gocpu_group"; fi
unset gocpu_group
if [ "$gocpu_mode" = "$gocpu_mode_pty" ]; then
  gocpu_say exec
  exec 2>&3 3>&-
else
  exec 2>&3 3>&- 5>&-
  gocpu_say exec
fi
# go hands its wrapper one pipe for stdout and stderr; one stream on the remote too
# keeps their bytes in the order the test wrote them.
if [ "$gocpu_merge" = 1 ]; then exec 2>&1; fi
if [ $# -eq 0 ]; then set -- "${SHELL:-/bin/sh}" -l; fi
PATH=$gocpu_path
if [ "$gocpu_lc_all_set" = 1 ]; then
  LC_ALL=$gocpu_lc_all
  export LC_ALL
else
  unset LC_ALL
fi
gocpu_e=$gocpu_env
unset gocpu_env gocpu_path gocpu_lc_all_set gocpu_lc_all
# The forwarded environment comes last, so that no name in it (the local side has
# dropped the shell's special ones) can change anything we do: only exec follows
# (on a pty, shell builtins that start and wait for the program).
eval "$gocpu_e"
[ "$gocpu_mode" = "$gocpu_mode_pty" ] || exec "$@"

# On a pty the program gets a process group of its own, in the foreground: the
# terminal's ^C, ^Z and window changes are for it alone, not for nsenter and run.sh
# above it. Only a shell's job control (set -m) does that, so we wait here. A
# stopped program (^Z; its group is not orphaned as under sshd) is continued: over
# ssh the same stop is discarded. Our own stderr goes nowhere while we wait (dash
# says "Terminated" for a killed job, and cannot give the terminal back to run.sh's
# group from inside the pid namespace when job control ends, which makes it exit 2);
# so the end goes on fd 5, as a shell sees it: 128+N for a death by signal N.
# Not in bash (5.2, as sh on Fedora): it gives its jobs the terminal through its stderr,
# and with /dev/null there it left the program in a group of its own in the background,
# stopped by its first read (dash opens /dev/tty for that).
exec 4>&2
set -m
[ -n "${BASH_VERSION-}" ] || exec 2>/dev/null
"$@" 2>&4 4>&- 5>&-
gocpu_st=$?
while [ "$gocpu_st" -gt 128 ] && kill -0 %1; do
  fg %1 >/dev/null
  gocpu_st=$?
done
echo "$gocpu_end_code $gocpu_st" >&5
exit "$gocpu_st"
