#!/bin/sh
# gocpu exec (remote side): the last step, inside the view, started by nsenter.
# Tells the local side that everything from here on is the test's own output,
# puts back what run.sh changed for its own tools (LC_ALL, PATH), applies the
# forwarded environment (a block of `export K='V'` lines that reached us through
# the run header on stdin, never a command line) and becomes the test.
#
# Usage: sh -c "$(cat exec.sh)" gocpu-exec NONCE MERGE PROGRAM ARGS...
# Env: gocpu_env, gocpu_path, gocpu_lc_all_set, gocpu_lc_all. fd 3: the run
# channel's stderr (our fd 2 is where setsid and nsenter talk).
# shellcheck disable=SC2154 # gocpu_* come from run.sh through the environment
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
gocpu_at_run "$1"
gocpu_merge=$2
shift 2
exec 2>&3 3>&-
gocpu_say exec
# go hands its wrapper one pipe for stdout and stderr; one stream on the remote too
# keeps their bytes in the order the test wrote them.
if [ "$gocpu_merge" = 1 ]; then exec 2>&1; fi
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
# dropped the shell's special ones) can change anything we do: only exec follows.
eval "$gocpu_e"
exec "$@"
