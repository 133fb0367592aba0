# shellcheck shell=sh disable=SC2034,SC2154
# Part of run.sh (src/remote/scripts.ts ships it in place of its `. ./run-view.sh`, in
# run.sh's shell): the namespace view. Starts the holder (view.sh) and waits until it
# is ready, then sets the positional parameters to what enters the view (gocpu_enter).
# SC2154/SC2034: run.sh's names and the prelude's, in both directions.
# gocpu_prefetch MNT EXPORTS ALIASED BIN_PATH BINF CWD: see where it is started below.
gocpu_prefetch() {
  gocpu_rest=$2$gocpu_nl gocpu_i=0
  while [ -n "$gocpu_rest" ]; do
    gocpu_x=${gocpu_rest%%"$gocpu_nl"*} gocpu_rest=${gocpu_rest#*"$gocpu_nl"}
    [ -n "$gocpu_x" ] || continue
    gocpu_p=$1$gocpu_x
    [ "$3" != 1 ] || gocpu_p=${1%/*}/@$gocpu_i/${1##*/}
    gocpu_i=$((gocpu_i + 1))
    # Below an export root, the binary's place (bound over from the cache) and the
    # test's cwd (the view's last step enters it): each lookup takes the root's on its
    # way, and the two go side by side, not one after the other (at 50 ms, the cwd's
    # alone was a round trip of every call, and of a late binary's wait).
    gocpu_q=
    case $4 in "$gocpu_x"/*) [ -z "$5" ] || gocpu_q=$gocpu_p${4#"$gocpu_x"} ;; esac
    case $6 in "$gocpu_x"/*)
      { test -e "$gocpu_p${6#"$gocpu_x"}"; } &
      [ -n "$gocpu_q" ] || continue ;;
    esac
    { test -e "${gocpu_q:-$gocpu_p}"; } &
  done
  wait
}
# What the view's binds reach through the mount is looked up ahead, all at once, in
# the background while the namespace is made: each FUSE lookup is an SFTP round
# trip, mount -a makes them one by one, and the kernel serializes the lookups in one
# directory (sshfs 3.7.3, libfuse 3.14: no parallel dirops). On the agent's shared
# mount the exports' aliases are each in a directory of its own for that (ROOT/@i/RUN,
# src/sftp/spaces.ts). A far remote (issue 8: 50 ms) paid a round trip per export.
# Each lookup is a fork, no exec; none holds our fds.
if [ -z "$gocpu_copy" ]; then
  gocpu_prefetch "$gocpu_mnt" "$gocpu_exports" "$gocpu_aliased" "$gocpu_bin_path" "$gocpu_binf$gocpu_bin_late" "$gocpu_cwd" </dev/null >/dev/null 2>&1 3>&- 4>&- &
fi
# go's test log (the local side added -test.testlogfile right after the binary, for go's
# test cache) goes to the remote's disk: through the mount, its create, writes and
# close cost the test five round trips (250 ms at 50 ms); the view shows log/ at the
# run dir's own path, and the watch half sends the file back in one answer. Not when
# the run dir is inside an export (the view could not show it there).
if [ "$gocpu_testlog" = 1 ] && [ -z "$gocpu_copy" ] && [ $# -ge 2 ]; then
  gocpu_rest=$gocpu_exports$gocpu_nl
  while [ -n "$gocpu_rest" ]; do
    gocpu_x=${gocpu_rest%%"$gocpu_nl"*} gocpu_rest=${gocpu_rest#*"$gocpu_nl"}
    case $gocpu_dir/ in "$gocpu_x"/*) gocpu_testlog= ;; esac
  done
  if [ "$gocpu_testlog" = 1 ]; then
    gocpu_a=$1
    shift 2
    set -- "$gocpu_a" "-test.testlogfile=$gocpu_dir/$gocpu_test_log" "$@"
  fi
else
  gocpu_testlog=
fi
# log-ready too (same mkfifo): the watch half's log pusher waits on it (gocpu_log_ready).
# bin-late too: a late binary's cached path goes to the holder through it, and is held
# open here (read-write: that never blocks on a fifo) before the holder opens it to read,
# as a fifo nobody holds drops what is written to it.
mkfifo -m 600 "$gocpu_dir/$gocpu_f_ready" "$gocpu_dir/$gocpu_f_log_ready" ${gocpu_bin_late:+"$gocpu_dir/$gocpu_f_bin_late"} || gocpu_fail mkfifo "cannot create $gocpu_dir/$gocpu_f_ready"
gocpu_late_in=/dev/null
if [ -n "$gocpu_bin_late" ]; then
  exec 6<>"$gocpu_dir/$gocpu_f_bin_late"
  gocpu_late_in=$gocpu_dir/$gocpu_f_bin_late
fi
# setsid: the holder must not share our process group, or a signal meant for
# the test (sshd signals the session's group) would kill the whole namespace.
# LC_ALL=C: the local side matches unshare's and mount's messages.
gocpu_cwd=$gocpu_cwd gocpu_exports=$gocpu_exports gocpu_mnt=$gocpu_mnt gocpu_aliased=$gocpu_aliased gocpu_root=$gocpu_root \
  gocpu_binf=$gocpu_binf gocpu_bin_late=$gocpu_bin_late gocpu_bin_path=$gocpu_bin_path gocpu_ro=$gocpu_ro gocpu_testlog=$gocpu_testlog LC_ALL=C \
  setsid unshare --user --map-root-user --mount-proc --pid --fork --kill-child \
  sh -c "$gocpu_view_sh" gocpu-view "$gocpu_nonce" 3>"$gocpu_dir/$gocpu_f_ready" 5<"$gocpu_late_in" 6>&- </dev/null >/dev/null 2>"$gocpu_dir/$gocpu_f_view_err" 4>&- &
# The holder outlives us: it must not hold our stdout/stderr (nor the pty, fd 4),
# or sshd would keep the channel open until the mount half kills it.
gocpu_holder=$!
echo "$gocpu_holder" >"$gocpu_dir/$gocpu_f_holder_pid"
# The holder's open of ready (its fd 3) waits for a reader: open it now, or the view
# would not start before a late binary's line below (a fifo's open meets its other end).
# busybox's ash (Alpine's sh, 1.35) fails an open that a signal interrupts (EINTR: the
# prefetch's SIGCHLD, above) where dash and bash retry it: so do we, a bounded number of times.
gocpu_i=0
until { command exec 7<"$gocpu_dir/$gocpu_f_ready"; } 2>/dev/null; do
  gocpu_i=$((gocpu_i + 1))
  [ "$gocpu_i" -lt 20 ] || gocpu_fail view "cannot open $gocpu_dir/$gocpu_f_ready"
done
if [ -n "$gocpu_bin_late" ]; then
  # No line: the local side gave up on the run (it says why). "SHA ID": upload.sh ID
  # may still be committing it (upload.sh): the holder waits for its lock on the file
  # it writes, killed with the view if the run goes meanwhile (not we: a wait here
  # would outlive a teardown that kills the holder).
  # view.sh binds the file only if it is there.
  read -r gocpu_bin gocpu_upload || exit 125
  gocpu_binf='' gocpu_lockf=''
  case $gocpu_bin in '' | *[!0-9a-f]*) ;; *)
    gocpu_binf=$gocpu_cache/bin/$gocpu_bin
    case $gocpu_upload in '' | *[!0-9]*) ;; *) gocpu_lockf=$gocpu_binf.tmp.$gocpu_upload ;; esac ;;
  esac
  printf '%s\n%s\n' "$gocpu_binf" "$gocpu_lockf" >&6
  exec 6>&-
  : >"$gocpu_dir/$gocpu_f_bin_known"
  gocpu_step binary
fi
read -r gocpu_ready <&7 || gocpu_ready=
exec 7<&-
if [ "$gocpu_ready" != ready ]; then
  wait "$gocpu_holder"
  gocpu_rc=$?
  cat "$gocpu_dir/$gocpu_f_view_err" >&2
  gocpu_fail view "could not build the namespace (unshare exit $gocpu_rc)"
fi

gocpu_step view-ready
# pid 1 of the new pid namespace is the holder's only child.
# A builtin read (no fork); the file has no newline, so read's status says nothing.
gocpu_p1=
read -r gocpu_p1 gocpu_l <"/proc/$gocpu_holder/task/$gocpu_holder/children" 2>/dev/null || :
[ -n "$gocpu_p1" ] || gocpu_fail view "cannot find the namespace's pid 1"

# How the program enters the view: nsenter takes the holder's namespaces, root and
# cwd. As the test's user (above), it takes only the namespaces, and unshare makes a
# user namespace inside the view's that maps the remote user's uid and gid to
# themselves (the view's root is that user outside), then takes the view's root and
# the cwd itself: the kernel refuses a new user namespace to a chrooted process.
# Without --fork, unshare becomes sh and sh the test: the chain below run.sh keeps
# its processes, so the test's end is seen exactly as before.
set -- sh -c "$gocpu_exec_sh" gocpu-exec "$gocpu_nonce" "$gocpu_merge" "$gocpu_mode" "$@"
if [ -n "$gocpu_uid" ]; then
  set -- --target "$gocpu_p1" --user --mount --pid --preserve-credentials \
    unshare --user --map-user="$gocpu_uid" --map-group="$gocpu_gid" --root="$gocpu_dir/$gocpu_d_root" --wd="$gocpu_cwd" "$@"
else
  set -- --target "$gocpu_p1" --user --mount --pid --root --wd --preserve-credentials "$@"
fi
gocpu_enter='nsenter'
