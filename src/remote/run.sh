#!/bin/sh
# gocpu run half (remote side, channel B). Reads the run's header from stdin
# (shell assignments made by the local side, every value single-quoted; they carry
# the forwarded environment, so they never appear on a command line), waits for the
# mount half's sshfs, starts the namespace holder (view.sh) and then becomes the
# test process through nsenter, whose exit status (or death by signal) sshd reports.
#
# Usage: sh -c "$(cat run.sh)" gocpu-run NONCE HEADER_BYTES
# Reads exactly HEADER_BYTES from stdin; the rest of stdin is the test's stdin.
set -u
nonce=$1 hdrlen=$2
say() { printf 'gocpu-%s %s\n' "$nonce" "$*" >&2; }
fail() { say error "$@"; exit 125; }
# GOCPU_TRACE on the local side: step times, in ms of the remote's clock.
trace() { [ "$gocpu_trace" != 1 ] || say trace "$1 $(($(date +%s%N) / 1000000))"; }

# dd with iflag=fullblock reads exactly hdrlen bytes and no more: head -c would
# read ahead and swallow the test's stdin.
hdr=$(dd bs="$hdrlen" count=1 iflag=fullblock status=none) || fail header "cannot read the run header"
gocpu_arch='' gocpu_binfmt='' gocpu_trace=0 gocpu_cwd='' gocpu_exports='' gocpu_view_sh='' gocpu_exec_sh='' gocpu_env='' gocpu_merge=0
eval "$hdr"
unset hdr
trace header-read
d=${TMPDIR:-/tmp}/gocpu.$nonce

# A binary this machine cannot run fails in the shell's exec with a message that
# names no cause; say it here. Emulation through binfmt_misc counts as running.
if [ -n "$gocpu_arch" ]; then
  m=$(uname -m)
  case " $gocpu_arch " in
    *" $m "*) ;;
    *)
      if [ -e /proc/sys/fs/binfmt_misc/status ] &&
        ! grep -qs '^enabled' "/proc/sys/fs/binfmt_misc/$gocpu_binfmt"; then
        fail arch "$m"
      fi
      ;;
  esac
fi
GOCPU_PATH=$PATH
PATH=$PATH:/usr/sbin:/sbin

# The mount half creates $d and mounts sshfs on $d/mnt; wait for either.
i=0 seen=0
while ! mountpoint -q "$d/mnt" 2>/dev/null; do
  [ -e "$d/failed" ] && fail mount "sshfs ended before the mount was ready"
  if [ -d "$d" ]; then seen=1
  elif [ "$seen" = 1 ] || [ "$i" -gt 200 ]; then fail mount "the mount half did not start"
  fi
  [ "$i" -gt 3000 ] && fail mount-timeout "sshfs did not mount within 30 s"
  sleep 0.01
  i=$((i + 1))
done

trace mounted
mkfifo -m 600 "$d/ready" || fail mkfifo "cannot create $d/ready"
# setsid: the holder must not share our process group, or a signal meant for
# the test (sshd signals the session's group) would kill the whole namespace.
GOCPU_DIR=$d GOCPU_CWD=$gocpu_cwd GOCPU_EXPORTS=$gocpu_exports \
  setsid unshare --user --map-root-user --mount-proc --pid --fork --kill-child \
  sh -c "$gocpu_view_sh" gocpu-view 3>"$d/ready" </dev/null >/dev/null 2>"$d/view.err" &
# The holder outlives us: it must not hold our stdout/stderr, or sshd would keep
# the channel open until the mount half kills it.
holder=$!
echo "$holder" >"$d/holder.pid"
read -r ready <"$d/ready" || ready=
if [ "$ready" != ready ]; then
  wait "$holder"
  rc=$?
  cat "$d/view.err" >&2
  fail view "could not build the namespace (unshare exit $rc)"
fi

trace view-ready
# pid 1 of the new pid namespace is the holder's only child.
p1=$(cat "/proc/$holder/task/$holder/children" 2>/dev/null) || p1=
p1=${p1%% *}
[ -n "$p1" ] || fail view "cannot find the namespace's pid 1"

# exec, not a child: a death by signal must reach sshd as the exit signal. A
# shell waiting for nsenter would only see 128+N, indistinguishable from exit(128+N).
export GOCPU_ENV="$gocpu_env" GOCPU_PATH
# Our pid survives the exec: the local side signals our child (the test) through it.
say pid "$$"
echo "$$" >"$d/run.pid"
exec nsenter --target "$p1" --user --mount --pid --root --wd --preserve-credentials \
  sh -c "$gocpu_exec_sh" gocpu-exec "$nonce" "$gocpu_merge" "$@"
