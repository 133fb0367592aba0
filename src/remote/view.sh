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
#
# Env: GOCPU_DIR (the run's private dir), GOCPU_CWD, GOCPU_EXPORTS (absolute
# paths, one per line, none below another). fd 3: gets "ready" when the view is up.
# `local` is not POSIX, but dash, bash, busybox sh and zsh all have it.
# shellcheck disable=SC3043
set -eu
d=$GOCPU_DIR
root=$d/root
mnt=$d/mnt
cwd=$GOCPU_CWD
exports=$GOCPU_EXPORTS
unset GOCPU_DIR GOCPU_CWD GOCPU_EXPORTS

# is_real_dir P: P is a directory on the remote, reached without any symlink.
is_real_dir() {
  local rest p
  rest=${1#/} p=
  while [ -n "$rest" ]; do
    p=$p/${rest%%/*}
    case $rest in */*) rest=${rest#*/} ;; *) rest= ;; esac
    if [ ! -d "$p" ] || [ -L "$p" ]; then return 1; fi
  done
  return 0
}

is_export() {
  local x
  while IFS= read -r x; do
    [ "$x" = "$1" ] && return 0
  done <<EOT
$exports
EOT
  return 1
}

# must_shadow D: the private dir is below D, or an export below D has no real directory.
must_shadow() {
  local x
  case $d in "$1"/*) return 0 ;; esac
  while IFS= read -r x; do
    case $x in "$1"/*) is_real_dir "$x" || return 0 ;; esac
  done <<EOT
$exports
EOT
  return 1
}

replicate() {
  if [ -L "$1" ]; then
    ln -s "$(readlink "$1")" "$root$1"
  elif [ -d "$1" ]; then
    mkdir "$root$1"
    mount --rbind "$1" "$root$1"
  else
    : >"$root$1"
    mount --bind "$1" "$root$1"
  fi
}

# place C: one entry of a shadowed directory.
place() {
  if [ "$1" = "$d" ]; then
    mkdir "$root$1" # the run's own files stay out of the test's view
  elif is_export "$1"; then
    mkdir "$root$1" # the export is mounted here below
  elif must_shadow "$1"; then
    mkdir "$root$1"
    shadow "$1"
  else
    replicate "$1"
  fi
}

# shadow D: fill the tmpfs directory $root$D (D is "" for /).
shadow() {
  local c x n
  if is_real_dir "${1:-/}"; then
    for c in "$1"/* "$1"/.[!.]* "$1"/..?*; do
      if [ -e "$c" ] || [ -L "$c" ]; then place "$c"; fi
    done
  fi
  # Components on the way to an export (or the private dir) that the remote lacks.
  while IFS= read -r x; do
    case $x in "$1"/*) ;; *) continue ;; esac
    n=${x#"$1"/}
    c=$1/${n%%/*}
    if [ ! -e "$root$c" ] && [ ! -L "$root$c" ]; then
      mkdir "$root$c"
      is_export "$c" || shadow "$c"
    fi
  done <<EOT
$exports
$d
EOT
}

mount -t tmpfs -o mode=0755 gocpu-view "$root"
shadow ""
while IFS= read -r x; do
  [ -n "$x" ] || continue
  [ -d "$root$x" ] || { echo "gocpu view: no directory for $x" >&2; exit 1; }
  mount --bind "$mnt$x" "$root$x"
done <<EOT
$exports
EOT

# shellcheck disable=SC2016 # expanded by the inner shell
exec chroot "$root" /bin/sh -c 'cd "$1" || exit 1; echo ready >&3; exec sleep infinity 3>&-' gocpu-hold "$cwd"
