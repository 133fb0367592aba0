# shellcheck shell=sh disable=SC2034,SC2154
# Part of run.sh (src/remote/scripts.ts ships it in place of its `. ./run-end.sh`, in
# run.sh's shell): runs the test through gocpu_enter with the positional parameters
# as set, and ends exactly as it ended, its end recorded for the watch half.
# SC2154/SC2034: run.sh's names and the prelude's, in both directions.
# The end file is written: the watch half's log pusher may send go's test log now. The
# fifo (made with the view's) is opened read-write, so the open never blocks; the line
# waits in it for the pusher, which holds it open, and goes when nobody does.
gocpu_log_ready() {
  if [ -p "$gocpu_dir/$gocpu_f_log_ready" ]; then
    { echo >&5; } 5<>"$gocpu_dir/$gocpu_f_log_ready"
  fi
}

# exec.sh gets what it must restore or apply through its environment, and our
# stderr (the test's) as fd 3: fd 2 of setsid and nsenter is a file, so that
# their own words never reach the test's output.
export gocpu_env gocpu_path gocpu_lc_all_set gocpu_lc_all
# The local side signals the test through our pid (src/remote/kill.sh).
gocpu_say pid "$$"
echo "$$" >"$gocpu_dir/$gocpu_f_run_pid"
if [ "$gocpu_mode" = "$gocpu_mode_pty" ]; then
  # In this session, so that the pty is the program's controlling terminal; exec.sh
  # gives it a process group of its own in the foreground (^C is for it alone) and
  # writes its end on fd 5. nsenter's own messages go to ctl.sh; LC_ALL=C for them.
  exec 3>&4 4>&-
  LC_ALL=C "$gocpu_enter" "$@" 5>"$gocpu_dir/$gocpu_f_end"
  gocpu_rc=$?
  exec 3>&-
  gocpu_l=
  read -r gocpu_l <"$gocpu_dir/$gocpu_f_end"
  case $gocpu_l in
    "$gocpu_end_code "*)
      gocpu_log_ready
      exit "${gocpu_l#"$gocpu_end_code "}"
      ;;
  esac
  # exec.sh never got to say (nsenter failed, or it was killed): nsenter's status.
  echo "$gocpu_end_code $gocpu_rc" >"$gocpu_dir/$gocpu_f_end"
  gocpu_log_ready
  exit "$gocpu_rc"
fi
exec 3>&2
# setsid and nsenter are the remote's own; nsenter enters the view's root before it
# looks up `sh` on our PATH, so with a remote root that sh (and the test) is R's.
if ! gocpu_tool "$gocpu_t_setsid" gocpu_setsid_fork; then
  # An old util-linux without setsid --fork: nsenter re-raises the test's signal on itself, and sshd
  # names it exactly if it is one of RFC 4254's 13; others arrive as SIG@openssh.com.
  # LC_ALL=C for nsenter's own messages; exec.sh puts the test's back.
  LC_ALL=C
  export LC_ALL
  exec "$gocpu_enter" "$@"
fi

# A shell that waits for the test sees only 128+N for a death by signal N, the
# same as exit(128+N); setsid -w tells them apart: it says "did not exit normally"
# (its stderr, parsed: LC_ALL=C) and exits with the raw status's low byte. setsid -f
# also makes the test a session leader (setsid -c would give it a pty later).
LC_ALL=C setsid -f -w "$gocpu_enter" "$@" 2>"$gocpu_dir/$gocpu_f_end_err"
gocpu_rc=$?
exec 3>&-
gocpu_sig=
while IFS= read -r gocpu_l; do
  case $gocpu_l in
    "setsid: child "*" $gocpu_setsid_signaled"*) gocpu_sig=$((gocpu_rc & 127)) ;;
    *) printf '%s\n' "$gocpu_l" >&2 ;; # nsenter's own failure, before the test started
  esac
done <"$gocpu_dir/$gocpu_f_end_err"
if [ -z "$gocpu_sig" ]; then
  echo "$gocpu_end_code $gocpu_rc" >"$gocpu_dir/$gocpu_f_end"
  gocpu_log_ready
  exit "$gocpu_rc"
fi
# Die by the same signal, so that sshd reports its name (RFC 4254's 13); the local
# side asks the watch half for this file for any other (SIG@openssh.com).
gocpu_name=$(kill -l "$gocpu_sig")
echo "$gocpu_end_signal $gocpu_sig $gocpu_name" >"$gocpu_dir/$gocpu_f_end"
gocpu_log_ready
# shellcheck disable=SC3045 # dash, bash and busybox sh have ulimit -c
ulimit -c 0 2>/dev/null
trap - "$gocpu_name" 2>/dev/null
kill -s "$gocpu_name" "$$"
# Still here. bash and busybox's ash ignore SIGQUIT whatever their traps say (bash 5.2 as
# sh, e.g. Fedora's; busybox 1.35, e.g. Alpine's), and neither tells the test's death by it
# from one we cannot die by. GNU env (coreutils 8.31+) gives it its default action again and
# execs kill, which sends it to this very process: the test died by it, and so do we.
# Asked first: a failed exec would end us with its own status.
if [ "$gocpu_name" = QUIT ] && env --default-signal kill -s 0 "$$" 2>/dev/null; then
  exec env --default-signal kill -s "$gocpu_name" "$$"
fi
# Otherwise a signal ignored since the shell started: the shell convention.
exit $((128 + gocpu_sig))
