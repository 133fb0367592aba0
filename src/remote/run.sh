#!/bin/sh
# gocpu run half (remote side, channel B). Reads the run's header from stdin
# (shell assignments made by the local side, every value single-quoted; they carry
# the forwarded environment, so they never appear on a command line), waits for the
# mount half's sshfs, starts the namespace holder (view.sh), runs the test in it
# through nsenter and ends exactly as the test ended (status, or death by signal),
# which sshd reports. Two stretches of it are parts of their own (src/remote/scripts.ts):
# the view (run-view.sh) and the test's run and end (run-end.sh).
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
# gocpu_tool FACT PROBE: what the shared mount's half found (FACT 1 or 0, RUN_FILES.tools),
# else PROBE's answer (direct mode, copy mode).
gocpu_tool() {
  case $1 in 1) return 0 ;; 0) return 1 ;; esac
  "$2"
}
gocpu_t_setsid='' gocpu_t_unshare=''
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
  # What setsid and unshare can do, as the shared mount's half found (RUN_FILES.tools).
  read -r gocpu_t_setsid gocpu_t_unshare <"$gocpu_shared_dir/$gocpu_f_tools" 2>/dev/null || :
else
  gocpu_mnt=$gocpu_dir/$gocpu_d_mnt
fi

# The test's user (issue 10): the local user is not root, so the program runs as the
# remote user's own uid and gid, not as root of the view's namespace. They are read
# here, outside every namespace, where they are the real ones (builtins: no fork).
# An unshare without --map-user or --root (an older util-linux) leaves it root, as before.
gocpu_uid='' gocpu_gid=''
if [ "$gocpu_as_user" = 1 ]; then
  while read -r gocpu_k gocpu_v gocpu_l; do
    case $gocpu_k in Uid:) gocpu_uid=$gocpu_v ;; Gid:) gocpu_gid=$gocpu_v ;; esac
  done <"/proc/$$/status"
  gocpu_tool "$gocpu_t_unshare" gocpu_unshare_map_user || gocpu_uid=''
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
  # shellcheck source=src/remote/run-view.sh
  . ./run-view.sh
fi

# shellcheck source=src/remote/run-end.sh
. ./run-end.sh
