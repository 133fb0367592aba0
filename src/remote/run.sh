#!/bin/sh
# gocpu run half (remote side, channel B). Reads the run's header from stdin
# (shell assignments made by the local side, every value single-quoted; they carry
# the forwarded environment, so they never appear on a command line), waits for the
# mount half's sshfs, starts the namespace holder (view.sh), runs the test in it
# through nsenter and ends exactly as the test ended (status, or death by signal),
# which sshd reports.
#
# Usage: sh -c "$(cat run.sh)" gocpu-run NONCE [MODE]
# Reads a line with the header's length N, then exactly N bytes of header, from
# stdin; the rest of stdin is the test's stdin. The length comes first on stdin, not
# on the command line, so that the local side can start us before it knows the
# header (while the mount half and the binary cache are still being set up).
# MODE $gocpu_mode_pty: our stdio is a pty (a terminal session). Nothing of ours may
# pass through it (it echoes): the header comes from a fifo in the run dir that
# ctl.sh fills from its channel, and our stderr (control lines) is another fifo that
# ctl.sh copies to its channel's stderr. The program runs in this session (the pty
# is its controlling terminal), not below setsid.
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
set -u
gocpu_at_run "$1"
gocpu_mode=${2:-$gocpu_mode_pipe}
shift 1
gocpu_fail() { gocpu_say error "$@"; exit 125; }
# The header's lists (exports) are a path a line.
gocpu_nl='
'
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
# GOCPU_TRACE on the local side: step times, in ms of the remote's clock.
gocpu_step() { [ "$gocpu_trace" != 1 ] || gocpu_say trace "$1 $(($(date +%s%N) / 1000000))"; }
# What the test would see of the locale without us: we set LC_ALL=C for the tools
# whose messages we parse, and exec.sh puts this back.
gocpu_lc_all_set=${LC_ALL+1} gocpu_lc_all=${LC_ALL-}

# read (a builtin) takes the length line byte by byte from a pipe, and dd with
# iflag=fullblock exactly hdrlen bytes and no more: head -c would read ahead and
# swallow the test's stdin. No length (the local side closed the channel before it
# sent the header: the run did not start) is a quiet end.
gocpu_hdrlen=
gocpu_read_header() {
  read -r gocpu_hdrlen <&"$1" || exit 125
  case $gocpu_hdrlen in '' | *[!0-9]*) gocpu_fail header "bad run header length" ;; esac
  gocpu_hdr=$(dd bs="$gocpu_hdrlen" count=1 iflag=fullblock status=none <&"$1") || gocpu_fail header "cannot read the run header"
}
if [ "$gocpu_mode" = "$gocpu_mode_pty" ]; then
  # The pty stays as fd 4 for the program's stderr. Until ctl.sh listens we have
  # no word for the local side; it explains a failure from the mount half's.
  # The mount half makes the run dir at once (as in the wait for the mount below).
  exec 4>&2 2>/dev/null
  gocpu_i=0
  until [ -d "$gocpu_dir" ]; do
    [ "$gocpu_i" -gt 200 ] && exit 125
    sleep 0.01
    gocpu_i=$((gocpu_i + 1))
  done
  # Each fifo is held open (read-write: that never blocks on a fifo) before ctl.sh
  # can see the next one, and ctl.sh starts when it sees the control fifo, made
  # last: so the header it writes always finds us holding its fifo (a fifo nobody
  # holds drops what was written to it), and its reader always finds a writer. If
  # ctl.sh is gone, the local side hangs the pty up when the mount half ends.
  mkfifo -m 600 "$gocpu_dir/$gocpu_f_pty_header" || exit 125
  exec 6<>"$gocpu_dir/$gocpu_f_pty_header"
  # ctl.sh's reader would wait forever for a writer if we died between these two
  # (the local side hangs the pty up when the mount half ends): a hangup waits.
  gocpu_hup=
  trap 'gocpu_hup=1' HUP
  mkfifo -m 600 "$gocpu_dir/$gocpu_f_pty_control" || exit 125
  exec 2<>"$gocpu_dir/$gocpu_f_pty_control"
  trap - HUP
  [ -z "$gocpu_hup" ] || kill -s HUP "$$"
  gocpu_read_header 6
  exec 6<&-
else
  gocpu_read_header 0
fi
gocpu_arch='' gocpu_binfmt='' gocpu_trace=0 gocpu_cwd='' gocpu_exports='' gocpu_root='' gocpu_view_sh='' gocpu_exec_sh='' gocpu_env='' gocpu_merge=0 gocpu_shared='' gocpu_aliased=0 gocpu_bin='' gocpu_bin_late='' gocpu_bin_path='' gocpu_copy='' gocpu_ro='' gocpu_inplace='' gocpu_as_user=0 gocpu_testlog=''
eval "$gocpu_hdr"
unset gocpu_hdr
gocpu_step header-read
# A late binary's sha256 follows the header on stdin (src/run/program.ts): a copy or a
# terminal (whose stdin is the pty) has its binary in the cache before it starts.
if [ -n "$gocpu_bin_late" ] && { [ -n "$gocpu_copy" ] || [ "$gocpu_mode" != "$gocpu_mode_pipe" ]; }; then
  gocpu_fail header "a late binary in a copy or a terminal"
fi

# A binary this machine cannot run fails in the shell's exec with a message that
# names no cause; say it here. Emulation through binfmt_misc counts as running.
# Builtin reads where the kernel has the files (kernel.arch since Linux 6.1): a fork
# each saved on every call.
if [ -n "$gocpu_arch" ]; then
  gocpu_m=
  read -r gocpu_m </proc/sys/kernel/arch 2>/dev/null || :
  [ -n "$gocpu_m" ] || gocpu_m=$(uname -m)
  case " $gocpu_arch " in
    *" $gocpu_m "*) ;;
    *)
      if [ -e /proc/sys/fs/binfmt_misc/status ]; then
        gocpu_l=
        read -r gocpu_l <"/proc/sys/fs/binfmt_misc/$gocpu_binfmt" 2>/dev/null || :
        [ "$gocpu_l" = enabled ] || gocpu_fail arch "$gocpu_m"
      fi
      ;;
  esac
fi
# A remote root (the host's "remoteRoot"): view.sh shows it in place of /, and
# the holder starts its /bin/sh. Reached without a symlink, like the view's own
# paths: what we check is what view.sh binds.
if [ -n "$gocpu_root" ]; then
  case $gocpu_root in /*) ;; *) gocpu_fail root "$gocpu_root" ;; esac
  gocpu_real_dir '' "$gocpu_root" || gocpu_fail root "$gocpu_root"
  [ -e "$gocpu_root/bin/sh" ] || [ -L "$gocpu_root/bin/sh" ] || gocpu_fail root-sh "$gocpu_root"
fi
gocpu_path=$PATH
PATH=$PATH:/usr/sbin:/sbin
# The test's user (issue 10): the local user is not root, so the program runs as the
# remote user's own uid and gid, not as root of the view's namespace. They are read
# here, outside every namespace, where they are the real ones (builtins: no fork).
# An unshare without --map-user or --root (an older util-linux) leaves it root, as before.
gocpu_uid='' gocpu_gid=''
if [ "$gocpu_as_user" = 1 ]; then
  while read -r gocpu_k gocpu_v gocpu_l; do
    case $gocpu_k in Uid:) gocpu_uid=$gocpu_v ;; Gid:) gocpu_gid=$gocpu_v ;; esac
  done <"/proc/$$/status"
  gocpu_l=$(LC_ALL=C unshare --help 2>&1)
  case $gocpu_l in *--map-user=*) ;; *) gocpu_uid='' ;; esac
  case $gocpu_l in *--root=*) ;; *) gocpu_uid='' ;; esac
fi

if [ -n "$gocpu_shared" ]; then
  # The agent's mount, shared by the runs on this host: our files are its mnt/NONCE
  # (the local side added them before starting us). Our dir is ours to make; it
  # lives as long as that mount does, for the stale sweep (mount.sh), and the watch
  # half removes it when the run ends.
  gocpu_n=$gocpu_nonce
  gocpu_at_run "$gocpu_shared"
  gocpu_shared_dir=$gocpu_dir
  gocpu_at_run "$gocpu_n"
  # Builtins where they do: a fork costs milliseconds on a small board. The mount is
  # up (the local side waited for mount.sh's word); a dead one fails the view's binds.
  read -r gocpu_p <"$gocpu_shared_dir/$gocpu_f_mount_pid" 2>/dev/null || gocpu_fail mount "the shared mount $gocpu_shared_dir is gone"
  mkdir -m 700 "$gocpu_dir" "$gocpu_dir/$gocpu_d_root" || gocpu_fail mkdir "cannot create $gocpu_dir"
  echo "$gocpu_p" >"$gocpu_dir/$gocpu_f_mount_pid"
  gocpu_mnt=$gocpu_shared_dir/$gocpu_d_mnt/$gocpu_nonce
else
  gocpu_mnt=$gocpu_dir/$gocpu_d_mnt
fi

# The mount half creates the run dir and mounts sshfs on mnt/ in it; wait for either.
# A copy half has finished before the local side starts us.
gocpu_i=0 gocpu_seen=0
if [ -n "$gocpu_copy" ] && [ ! -f "$gocpu_dir/$gocpu_f_copied" ]; then gocpu_fail mount "the copy half did not finish"; fi
while [ -z "$gocpu_shared" ] && [ -z "$gocpu_copy" ] && ! mountpoint -q "$gocpu_mnt" 2>/dev/null; do
  [ -e "$gocpu_dir/$gocpu_f_failed" ] && gocpu_fail mount "sshfs ended before the mount was ready"
  if [ -d "$gocpu_dir" ]; then gocpu_seen=1
  elif [ "$gocpu_seen" = 1 ] || [ "$gocpu_i" -gt 200 ]; then gocpu_fail mount "the mount half did not start"
  fi
  [ "$gocpu_i" -gt 3000 ] && gocpu_fail mount-timeout "sshfs did not mount within 30 s"
  sleep 0.01
  gocpu_i=$((gocpu_i + 1))
done

gocpu_step mounted
# The test binary from the cache the local side put it in (upload.sh); gone since
# (an age sweep), it is paged in through the mount as without a cache.
gocpu_binf=
if [ -n "$gocpu_bin" ] && [ -f "$gocpu_cache/bin/$gocpu_bin" ]; then gocpu_binf=$gocpu_cache/bin/$gocpu_bin; fi

if [ -n "$gocpu_inplace" ]; then
  # Copy mode without user namespaces (src/copy/rebase.ts): no view can show the copy
  # at the developer's paths, so the test runs in the copy itself, from the binary
  # cache, with the copy's root in place of the token in its arguments and
  # environment; exec.sh records its process group for the teardown, which has no
  # pid namespace to end.
  [ -n "$gocpu_binf" ] || gocpu_fail view "the test binary is not in the host's cache"
  gocpu_first=1
  for gocpu_a; do
    shift
    if [ "$gocpu_first" = 1 ]; then
      gocpu_a=$gocpu_binf gocpu_first=0
    else
      case $gocpu_a in *"$gocpu_inplace"*) gocpu_a=${gocpu_a%%"$gocpu_inplace"*}$gocpu_mnt${gocpu_a#*"$gocpu_inplace"} ;; esac
    fi
    set -- "$@" "$gocpu_a"
  done
  while :; do
    case $gocpu_env in *"$gocpu_inplace"*) ;; *) break ;; esac
    gocpu_env=${gocpu_env%%"$gocpu_inplace"*}$gocpu_mnt${gocpu_env#*"$gocpu_inplace"}
  done
  cd "$gocpu_mnt$gocpu_cwd" || gocpu_fail view "cannot enter $gocpu_mnt$gocpu_cwd"
  gocpu_group=$gocpu_dir/$gocpu_f_holder_pid
  export gocpu_group
  set -- sh -c "$gocpu_exec_sh" gocpu-exec "$gocpu_nonce" "$gocpu_merge" "$gocpu_mode" "$@"
  gocpu_enter='env'
else
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
  exec 7<"$gocpu_dir/$gocpu_f_ready"
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
fi

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
if ! gocpu_setsid_fork; then
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
# A signal we cannot die by (ignored since the shell started): the shell convention.
exit $((128 + gocpu_sig))
