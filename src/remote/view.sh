#!/bin/sh
# gocpu view (remote side): runs as root of a fresh user namespace, as pid 1 of a
# fresh pid namespace, in a private mount namespace. Builds a root on tmpfs that
# shows the remote's own filesystem, except that every exported local path appears
# at its own absolute path (served from the sshfs mount), chroots into it and
# waits there, so that nsenter can start the test process inside.
#
# A directory on the way to an export that the remote lacks cannot be created in
# place (the real user may not write there, and must not), so such an ancestor is
# "shadowed": a directory on the tmpfs holding a bind mount of each of the remote's
# entries plus the missing component. Everything else is one recursive bind of the
# real thing, so the remote's /usr, /etc, /dev, /proc, /tmp stay the remote's.
# Entries of the remote's own may vanish while we plan (other processes' temp
# files): their binds are `nofail`. The exports' binds are not.
#
# With a remote root R (a host's "remoteRoot", e.g. an schroot session's mount
# point), the view is built from R instead of /: R/usr is at /usr, R/etc at /etc,
# and the holder's and the test's /bin/sh, libc and tools are R's. Only what the
# machine itself provides comes from the real / (`sys` below):
#   /proc  unshare --mount-proc's, for our pid namespace (an R/proc that schroot
#          mounted shows the host's pids);
#   /dev   device nodes, /dev/pts, /dev/shm: we cannot create nodes, and a chroot's
#          own /dev is a few static nodes at best (schroot binds the real one too);
#   /sys   the kernel's;
#   /tmp   always writable (R may be read-only), and where the run dirs this
#          script hides live ($gocpu_base); schroot's default profile binds it too.
# /run stays R's: schroot leaves it to the chroot as well, and the real /run holds
# the machine's daemons and the schroot sessions themselves (R is usually below it).
# Paths in this script are the view's; `src` says where one comes from.
#
# Speed matters (this runs once per test binary), and a fork costs milliseconds on
# a small board: the view is planned with shell builtins only, then made with one
# mkdir, one cp (two with a remote root) and one `mount -a` over a generated fstab.
#
# Usage: sh -c "$(cat view.sh)" gocpu-view NONCE
# Env: gocpu_cwd, gocpu_exports (absolute paths, one per line, none below
# another), gocpu_mnt (where the exports are: the run's sshfs mount, or its
# subtree of the agent's shared one), gocpu_aliased (1: export i is also
# ${gocpu_mnt%/*}/@i/${gocpu_mnt##*/}), gocpu_binf and gocpu_bin_path (the cached test binary and
# where it goes), gocpu_testlog (1: show the run dir's log/ at the run dir's path), gocpu_ro (copy mode: exports to bind read-only), gocpu_root (R, checked by run.sh; empty
# for the remote's own /), gocpu_bin_late (1: the binary's cached path comes on fd 5, a
# line, once it is there). fd 3: gets "ready" when the view is up. No forwarded
# variable ever reaches this script (only exec.sh applies them), so its own names
# are short.
# `local` is not POSIX, but dash, bash, busybox sh and zsh all have it.
# shellcheck disable=SC3043
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
set -eu
gocpu_at_run "$1"
d=$gocpu_dir
root=$d/$gocpu_d_root
# shellcheck disable=SC2154 # set by run.sh in our environment
cwd=$gocpu_cwd exports=$gocpu_exports mnt=$gocpu_mnt top=${gocpu_root:-} aliased=${gocpu_aliased:-0}
binf=${gocpu_binf:-} late=${gocpu_bin_late:-} binpath=${gocpu_bin_path:-} ro=${gocpu_ro:-} testlog=${gocpu_testlog:-}
unset gocpu_cwd gocpu_exports gocpu_mnt gocpu_root gocpu_aliased gocpu_binf gocpu_bin_late gocpu_bin_path gocpu_ro gocpu_testlog
nl='
'
dirs='' links='' rlinks='' files='' fstab='' e='' s=''
sys='/dev /proc /sys /tmp' # the real system's, as in src()

# src P: sets $s to what the view's P shows (a variable: no fork).
src() {
  case $1 in
    /dev | /dev/* | /proc | /proc/* | /sys | /sys/* | /tmp | /tmp/*) s=$1 ;;
    *) s=$top$1 ;;
  esac
}

# is_real_dir P: what P shows is a directory on the remote, reached from its
# base (/ or R) without any symlink.
is_real_dir() {
  src "$1"
  gocpu_real_dir "${s%"$1"}" "$1"
}

is_export() {
  case "$nl$exports$nl" in *"$nl$1$nl"*) return 0 ;; esac
  return 1
}

# must_shadow D: the private dir is below D, or an export below D has no real directory.
must_shadow() {
  local x rest
  case $d in "$1"/*) return 0 ;; esac
  rest=$exports$nl
  while [ -n "$rest" ]; do
    x=${rest%%"$nl"*} rest=${rest#*"$nl"}
    case $x in "$1"/*) is_real_dir "$x" || return 0 ;; esac
  done
  return 1
}

# esc S: sets $e to S with fstab(5)'s escapes for what its fields cannot hold.
# A variable, not output: $(...) would cost a fork per call.
esc() {
  local s c
  s=$1 e=
  case $s in *' '* | *'	'* | *\\*) ;; *) e=$s; return ;; esac
  while [ -n "$s" ]; do
    c=${s%"${s#?}"} s=${s#?}
    case $c in
      ' ') e="$e\\040" ;;
      '	') e="$e\\011" ;;
      \\) e="$e\\134" ;;
      *) e=$e$c ;;
    esac
  done
}

bind() { # SRC DST OPTS
  local src
  esc "$1"
  src=$e
  esc "$2"
  fstab="$fstab$src $e none $3 0 0$nl"
}

replicate() {
  src "$1"
  if [ -L "$s" ]; then
    # Copied below with one cp per list: paths of the real / as they are, R's relative to R.
    if [ "$s" = "$1" ]; then links=$links$1$nl; else rlinks=$rlinks${1#/}$nl; fi
  elif [ -d "$s" ]; then
    bind "$s" "$root$1" rbind,X-mount.mkdir,nofail
  else
    files=$files$1$nl
    bind "$s" "$root$1" bind,nofail
  fi
}

# place C: one entry of a shadowed directory.
# shellcheck disable=SC2254 # the contract's globs are unquoted on purpose
place() {
  case $1 in
    *"$nl"*) return ;; # a name no fstab line can carry stays hidden
    "$d") ;;
    # Other runs' private dirs hold their mounts of other developers' trees (same
    # remote user): a test must not reach them, and they come and go under us.
    # The host dir is gocpu's own state, not the test's either.
    "${d%/*}"/$gocpu_run_glob | "${d%/*}"/$gocpu_host_glob) return ;;
  esac
  if [ "$1" = "$d" ] || is_export "$1"; then
    dirs=$dirs$root$1$nl # an empty stand-in; exports are mounted on theirs below
  elif must_shadow "$1"; then
    dirs=$dirs$root$1$nl
    shadow "$1"
  else
    replicate "$1"
  fi
}

# shadow D: plan the tmpfs directory $root$D (D is "" for /).
shadow() {
  local c x n rest from
  if is_real_dir "${1:-/}"; then
    src "$1"
    from=$s
    for c in "$from"/* "$from"/.[!.]* "$from"/..?*; do
      if [ -e "$c" ] || [ -L "$c" ]; then
        c=$1/${c##*/}
        src "$c"
        # R's own /dev, /proc, ... are not shown: the real ones are, below.
        if [ -z "$1" ] && [ -n "$top" ] && [ "$s" = "$c" ]; then continue; fi
        place "$c"
      fi
    done
  fi
  if [ -z "$1" ] && [ -n "$top" ]; then
    for c in $sys; do
      if [ -e "$c" ] || [ -L "$c" ]; then place "$c"; fi
    done
  fi
  # Components on the way to an export (or the private dir) that the remote lacks.
  rest=$exports$nl$d$nl
  while [ -n "$rest" ]; do
    x=${rest%%"$nl"*} rest=${rest#*"$nl"}
    case $x in "$1"/*) ;; *) continue ;; esac
    n=${x#"$1"/}
    c=$1/${n%%/*}
    case "$nl$dirs" in *"$nl$root$c$nl"*) continue ;; esac
    src "$c"
    if [ ! -e "$s" ] && [ ! -L "$s" ]; then
      dirs=$dirs$root$c$nl
      is_export "$c" || shadow "$c"
    fi
  done
}

# lock_opts P: sets $lk to the flags of the mount that holds P which a read-only
# remount of a bind from it must repeat: in a user namespace the kernel refuses to
# drop the flags (nosuid, nodev, noexec, atime) a more privileged mount set, and
# util-linux 2.38's `bind,ro` remounts without them. Builtins only.
lock_opts() {
  local mp o best='' opts='' f
  # shellcheck disable=SC2034 # the fields before the mount point are not used
  while read -r f f f f mp o f; do
    case $mp in
      /) [ -n "$best" ] || opts=$o best=/ ;;
      *) case $1/ in "$mp"/*) if [ "${#mp}" -ge "${#best}" ]; then best=$mp opts=$o; fi ;; esac ;;
    esac
  done </proc/self/mountinfo
  lk=
  set -f
  IFS=,
  for f in $opts; do
    case $f in nosuid | nodev | noexec | noatime | nodiratime | relatime | strictatime) lk=$lk,$f ;; esac
  done
  IFS=' 	'
  set +f
}

shadow ""
lk=
[ -z "$ro" ] || lock_opts "$mnt"
# On the agent's shared mount (mnt is its root's RUN) the i-th export is also
# root/@i/RUN: a bind from there costs one FUSE lookup (a round trip) instead of one per
# component of its path, and run.sh has made them all at once (see gocpu_prefetch).
rest=$exports$nl i=0
while [ -n "$rest" ]; do
  x=${rest%%"$nl"*} rest=${rest#*"$nl"}
  [ -n "$x" ] || continue
  # A copied tree has no server to refuse writes to a read-only export: the bind does.
  o=bind
  case "$nl$ro$nl" in *"$nl$x$nl"*) o=bind,ro$lk ;; esac
  if [ "$aliased" = 1 ]; then bind "${mnt%/*}/@$i/${mnt##*/}" "$root$x" "$o"; else bind "$mnt$x" "$root$x" "$o"; fi
  i=$((i + 1))
done
# The test binary from the remote cache, over its path in the (binary dir's) export:
# read from local disk, not page by page through FUSE; read-only, as a test that wrote
# to it would change what later runs of the same binary execute.
if [ -n "$binf" ]; then bind "$binf" "$root$binpath" bind,ro; fi
# go's test log, at the path run.sh gave the test: our run dir's stand-in shows log/, a
# directory on the remote's disk that the test may write (the watch half sends the log back).
if [ "$testlog" = 1 ]; then
  dirs=$dirs$d/$gocpu_d_log$nl
  bind "$d/$gocpu_d_log" "$root$d" bind
fi

mount -t tmpfs -o mode=0755 gocpu-view "$root"
set -f
IFS=$nl
# shellcheck disable=SC2086 # split on newlines only, globbing off
[ -z "$dirs" ] || mkdir -p -- $dirs
for f in $files; do : >"$root$f"; done
# --parents puts each link at its own path below $root: one cp for all of a list
# (Debian 12's / alone has four: bin, lib, lib64, sbin).
# shellcheck disable=SC2086 # split on newlines only, globbing off
[ -z "$links" ] || cp -P --parents -- $links "$root"
if [ -n "$rlinks" ]; then
  cd "$top/"
  # shellcheck disable=SC2086
  cp -P --parents -- $rlinks "$root"
fi
IFS=' 	'
set +f
# libmount cannot parse an fstab from a pipe: it goes through a file (in the run dir,
# which the run's teardown removes: no rm here, a fork saved).
# A late binary (run.sh): still on its way to the cache when we started; bound once it is
# there (a file not there is paged in through the mount). No line: the run is over. Its
# line there already (bin-known: a builtin test, no fork), it is bound with the rest by
# `mount -a`; else by a mount of its own once it comes. The line after it names the file
# of an upload still committing it (upload.sh), whose lock we wait for, after `mount -a`.
# late: 1 (its lines not read yet), read (read: bind it after `mount -a`), or empty.
lockf=
if [ -n "$late" ] && [ -e "$d/$gocpu_f_bin_known" ]; then
  read -r binf <&5 && read -r lockf <&5
  if [ -n "$lockf" ] && [ ! -f "$binf" ]; then
    late='read'
  else
    # Not committing, or committed meanwhile (builtin tests).
    late=
    [ ! -f "$binf" ] || bind "$binf" "$root$binpath" bind,ro
  fi
fi
printf '%s' "$fstab" >"$d/$gocpu_f_fstab"
mount -a -T "$d/$gocpu_f_fstab"
if [ -n "$late" ]; then
  [ "$late" = read ] || { read -r binf <&5 && read -r lockf <&5; }
  # A file gone from its name is moved into place or dropped: the commit is over (and
  # the open fails: not our end, under set -e).
  if [ -n "$lockf" ] && [ ! -f "$binf" ]; then { flock -s 8; } 2>/dev/null 8<"$lockf" || :; fi
  [ ! -f "$binf" ] || mount -o bind,ro -- "$binf" "$root$binpath"
fi
exec 5<&-

# shellcheck disable=SC2016 # expanded by the inner shell
exec chroot "$root" /bin/sh -c 'cd "$1" || exit 1; echo ready >&3; exec sleep infinity 3>&-' gocpu-hold "$cwd"
