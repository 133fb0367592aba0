#!/bin/sh
# gocpu watch half (remote side, channel C): the run's dead man's switch.
# The local side writes a beat (a line) every second; we echo each one (so it can
# tell a silent remote too) and it writes "q" when the run ends normally. If the
# beats stop (the link was cut, the laptop slept) or the stream ends without "q"
# (gocpu was killed), nothing of the run may survive: kill its namespace (the
# test and everything it started), stop sshfs (which unmounts; the mount half then
# removes the run's directory) and finally our own sshd session.
# Control lines (the answers to "e", how the test ended, and "l" or "L", go's test log) go on our stderr.
#
# Usage: sh -c "$(cat watch.sh)" gocpu-watch NONCE TIMEOUT_SECONDS SHARED
# SHARED=1: the connection carries other runs (the agent's): spare it.
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
set -u
# The echo to a dead connection must not kill us (SIGPIPE) before the teardown.
trap '' PIPE HUP
gocpu_at_run "$1"
gocpu_limit=$2 gocpu_shared=${3:-0}
PATH=$PATH:/usr/sbin:/sbin

# A builtin read, not $(cat): a fork saved at every run's end.
gocpu_kill_pidfile() {
  gocpu_kp=
  { read -r gocpu_kp <"$gocpu_dir/$1"; } 2>/dev/null || :
  if [ -n "$gocpu_kp" ]; then kill "-$2" "$gocpu_kp" 2>/dev/null; fi
}

# gocpu_send_log: go's test log, which the test wrote on this disk (run.sh), as one
# `testlog` line: one answer instead of a round trip per request through the mount.
# Without base64 (not a tool a run needs) there is none: go then only does not cache.
gocpu_send_log() {
  gocpu_sl=$gocpu_dir/$gocpu_d_log/$gocpu_test_log
  if [ -f "$gocpu_sl" ] && gocpu_sl=$(base64 -w 0 <"$gocpu_sl" 2>/dev/null); then
    gocpu_say testlog "$gocpu_test_log_data$gocpu_sl"
  else
    gocpu_say testlog "$gocpu_test_log_none"
  fi
}
# gocpu_push_log (in the background): sends the log once the test has ended, which
# run.sh tells its fifo after it wrote the end file. The local side asks for it once the
# test has started, so the fifo is there. Race-free either way round: the fifo is held
# open before the end file is looked at, and run.sh writes to it only after that file.
gocpu_push_log() {
  [ -p "$gocpu_dir/$gocpu_f_log_ready" ] || exit 0
  exec 5<>"$gocpu_dir/$gocpu_f_log_ready"
  # shellcheck disable=SC2034 # the line only says "now"
  [ -s "$gocpu_dir/$gocpu_f_end" ] || read -r gocpu_x <&5 || exit 0
  gocpu_send_log
}
gocpu_pusher=

# gocpu_end: the run's end here, after "q", the end of input or the dog's word (gocpu_c
# says which); once only.
gocpu_end() {
  trap '' USR2
  kill "$gocpu_dog_pid" 2>/dev/null
  # sshd keeps the channel open while the pusher holds it.
  if [ -n "$gocpu_pusher" ]; then kill "$gocpu_pusher" 2>/dev/null; fi
  [ -d "$gocpu_dir" ] || exit 0
  if [ "$gocpu_c" != "$gocpu_hb_quit" ]; then
    # Tell the local side, if it still listens, why its test is about to die.
    printf '%s' "$gocpu_hb_torn"
    gocpu_kill_pidfile "$gocpu_f_holder_pid" KILL
    gocpu_kill_pidfile "$gocpu_f_run_pid" KILL
  fi
  if [ "$gocpu_shared" = 1 ]; then
    # A run on the agent's shared mount has no mount half of its own to remove its
    # dir, and the mount and the connection are the other runs' too: only ours goes.
    # A copy run's dir is its copy half's, which still sends back what the test wrote.
    # (Its namespace went above unless the run ended normally.)
    [ "$gocpu_c" != "$gocpu_hb_quit" ] || gocpu_kill_pidfile "$gocpu_f_holder_pid" KILL
    [ -f "$gocpu_dir/$gocpu_f_copy_run" ] || gocpu_remove_dir "$gocpu_dir"
    exit 0
  fi
  [ "$gocpu_c" != "$gocpu_hb_quit" ] || exit 0
  # The mount half removes the dir once its sshfs ends. A copy run has no sshfs: its
  # copy half goes with the session below, so waiting for the dir would only delay
  # the teardown (by 3 s, after the 7 s without a beat: the cleanup test's 10 s).
  if [ -f "$gocpu_dir/$gocpu_f_sshfs_pid" ]; then
    gocpu_kill_pidfile "$gocpu_f_sshfs_pid" TERM
    gocpu_i=0
    while [ -d "$gocpu_dir" ] && [ "$gocpu_i" -lt 30 ]; do
      sleep 0.1
      gocpu_i=$((gocpu_i + 1))
    done
  fi
  # sshfs may hang on a dead link: a lazy unmount frees the mount point anyway.
  fusermount3 -u -z "$gocpu_dir/$gocpu_d_mnt" 2>/dev/null || fusermount -u -z "$gocpu_dir/$gocpu_d_mnt" 2>/dev/null
  # Our parent is this connection's sshd session process; it runs as us. Ending
  # it makes sshd drop a connection whose link may be dead (a shared connection
  # left above: the agent's keepalives judge it).
  kill -TERM "$PPID" 2>/dev/null
  exit 0
}

# The dog (in the background) counts the seconds without a line from us and, past
# the limit, ends the run: USR2, whose trap tears it down (gocpu_end), again each
# second (it may land while we are not waiting). Not `timeout head -c 1` per byte: two
# forks and two execs for each of a run's few lines (4 ms of a warm call's CPU). The
# teardown is in the trap itself: dash, busybox sh and bash as sh (POSIX mode) end a blocked
# builtin read for a trapped signal, but bash otherwise runs the trap and reads on
# (bash 5.2). The dog's beats (USR1) end only its wait, which every shell ends for one.
# Its sleep never holds our stdout: sshd keeps the channel open while anything does.
gocpu_dog() {
  trap 'gocpu_heard=$((gocpu_heard + 1))' USR1
  trap 'kill "$gocpu_sleep" 2>/dev/null; exit 0' TERM
  gocpu_heard=0 gocpu_seen=0 gocpu_quiet=0
  while kill -0 "$$" 2>/dev/null; do
    sleep 1 &
    gocpu_sleep=$!
    while wait "$gocpu_sleep"; [ $? -gt 128 ]; do :; done
    if [ "$gocpu_heard" != "$gocpu_seen" ]; then
      gocpu_seen=$gocpu_heard gocpu_quiet=0
    else
      gocpu_quiet=$((gocpu_quiet + 1))
    fi
    if [ "$gocpu_quiet" -ge "$gocpu_limit" ]; then kill -USR2 "$$" 2>/dev/null; fi
  done
}
trap 'gocpu_c= && gocpu_end' USR2
# Ignored until the dog has its own trap: a beat before that must not end it.
trap '' USR1
gocpu_dog </dev/null >/dev/null 2>&1 &
gocpu_dog_pid=$!

while :; do
  # A line cut short by the end of input (or by the dog, in dash) is no line.
  IFS= read -r gocpu_c || gocpu_c=
  kill -USR1 "$gocpu_dog_pid" 2>/dev/null
  case $gocpu_c in
    "$gocpu_hb_quit") break ;;
    # The test has exited: end its pid namespace now, as the death of a pid
    # namespace's init would, so that no process it left behind keeps the
    # session's stdout open (go would wait for it).
    "$gocpu_hb_reap") gocpu_kill_pidfile "$gocpu_f_holder_pid" KILL ;;
    # How the test ended, as run.sh recorded it (sshd could not name its signal).
    "$gocpu_hb_ask_end")
      if IFS= read -r gocpu_l <"$gocpu_dir/$gocpu_f_end" 2>/dev/null; then
        gocpu_say end "$gocpu_l"
      else
        gocpu_say end "$gocpu_end_none"
      fi
      ;;
    "$gocpu_hb_ask_log") gocpu_send_log ;;
    # Holds our stdout and stderr while it waits: gocpu_end ends it, whichever way we end.
    "$gocpu_hb_push_log") if [ -z "$gocpu_pusher" ]; then
      gocpu_push_log &
      gocpu_pusher=$!
    fi ;;
    ?) printf '%s' "$gocpu_c" ;;
    *) break ;;
  esac
done

gocpu_end
