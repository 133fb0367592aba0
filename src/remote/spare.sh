#!/bin/sh
# gocpu spare (remote side): a run or watch half started before its run exists. The
# agent keeps one pair ready per warm connection (src/agent/spare.ts), so a call does
# not wait for the two channels it needs: two round trips each, plus the remote's
# login shell and sh. Until a run takes it, it only waits on its input and holds no
# run dir; an end of input first (the agent closed it, the connection went) is a
# quiet end. The run's nonce comes as the first line of input; then we become the
# half itself, exactly as if it had been started with that nonce (its command line
# names the run, as every process of a run does).
#
# Usage: sh -c "$(cat spare.sh)" gocpu-spare SCRIPT NAME [ARGS...]
# becomes: sh -c SCRIPT NAME NONCE [ARGS...]
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
# A builtin read takes the line byte by byte from the pipe: what follows it (the run
# header, the beats) stays for the half.
IFS= read -r gocpu_n || exit 0
# It names a run dir: hex only.
case $gocpu_n in '' | *[!0-9a-f]*) exit 125 ;; esac
gocpu_s=$1 gocpu_name=$2
shift 2
exec sh -c "$gocpu_s" "$gocpu_name" "$gocpu_n" "$@"
