#!/bin/sh
# gocpu kill (remote side, a short channel of its own): delivers a signal that the
# local wrapper received (INT, TERM, HUP, QUIT) to the remote test itself.
# The chain below run.sh is run.sh -> setsid (waits) -> nsenter (waits) -> the
# test (exec.sh became it), or, with an old setsid, run.sh became nsenter. Walk
# down through setsid and nsenter and signal what is below them; the namespace
# holder is run.sh's child too and must be spared, or the namespace and the test
# die with it.
#
# Usage: sh -c "$(cat kill.sh)" gocpu-kill NONCE RUN_PID SIGNAL
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
gocpu_at_run "$1"
gocpu_p=$2 gocpu_sig=$3
gocpu_holder=$(cat "$gocpu_dir/$gocpu_f_holder_pid" 2>/dev/null)
while [ -n "$gocpu_p" ]; do
  gocpu_next='' gocpu_kids=''
  read -r gocpu_kids <"/proc/$gocpu_p/task/$gocpu_p/children" 2>/dev/null
  for gocpu_c in $gocpu_kids; do
    [ "$gocpu_c" != "$gocpu_holder" ] || continue
    gocpu_comm=''
    read -r gocpu_comm <"/proc/$gocpu_c/comm" 2>/dev/null
    case $gocpu_comm in
      setsid | nsenter) gocpu_next=$gocpu_c ;;
      *) kill -s "$gocpu_sig" "$gocpu_c" ;;
    esac
  done
  gocpu_p=$gocpu_next
done
