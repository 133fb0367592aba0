#!/bin/sh
# gocpu copy half (remote side, copy mode: src/copy/). For a remote without sshfs or
# a usable /dev/fuse, it takes the mount half's place: it owns the run's private
# directory the same way, but fills mnt/ with a copy of what the test may read, at
# the same absolute paths a mount would show, so that run.sh and view.sh build the
# same view from it. Files that did not change since an earlier run are not sent
# again: the host's content-addressed cache (the host dir's files/, on the run
# dirs' filesystem) keeps one inode per content and mode, and the tar hard-links
# the run's read-only files to it.
#
# Usage: sh -c "$(cat copy.sh)" gocpu-copy NONCE [NAMESPACED]
# NAMESPACED=0: no view will show the copy read-only (no user namespaces): the test
# runs in it, so it gets files of its own instead of links into the cache, which a
# write would change for every later run.
# On the channel (in: our stdin, out: our stdout):
#   in   "N\n", then N cache names (SHA256.MODE), one per line
#   out  the names the cache lacks, one per line, then "send"
#   in   a tar in chunks, "LEN\n" and LEN bytes each, then "0\n": extracted in the run
#        dir (mnt/PATH: the copy; new/NAME: new cache files; c/NAME: the cache)
#   out  "copied"
#   in   "collect N\n" and N paths below mnt/ (the writable ones), or EOF
#   out  a tar of what the test wrote below them, then EOF
# EOF at any point tears the run down; so does SIGTERM (the watch half's).
# Errors: "gocpu-NONCE error CODE DETAIL" on stderr, as the mount half's.
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
set -u
trap '' PIPE HUP
trap 'gocpu_cleanup; exit 1' TERM
PATH=$PATH:/usr/sbin:/sbin
gocpu_at_run "$1"
gocpu_namespaced=${2:-1}
gocpu_at_host
gocpu_mnt=$gocpu_dir/$gocpu_d_mnt
gocpu_files=$gocpu_host_dir/$gocpu_host_files

gocpu_cleanup() {
  gocpu_kill_holder "$gocpu_dir"
  gocpu_remove_dir_after "$gocpu_dir"
  # Cache files no run links to (one link: the cache's own) and unused for three days
  # go; so does everything unused when the cache is over 2 GiB. A link is a use: it
  # changes the file's ctime.
  find "$gocpu_files" -maxdepth 1 -type f -links 1 -cmin +4320 -delete 2>/dev/null
  gocpu_kb=$(du -sk "$gocpu_files" 2>/dev/null) || gocpu_kb=0
  if [ "${gocpu_kb%%[!0-9]*}" -gt 2097152 ] 2>/dev/null; then
    find "$gocpu_files" -maxdepth 1 -type f -links 1 -delete 2>/dev/null
  fi
}

gocpu_fail() {
  gocpu_say error "$@"
  : >"$gocpu_dir/$gocpu_f_failed"
  gocpu_cleanup
  exit 1
}

gocpu_own_run_dir || exit 1
gocpu_clear_stale
: >"$gocpu_dir/$gocpu_f_copy_run"
mkdir "$gocpu_mnt" "$gocpu_dir/$gocpu_d_root" "$gocpu_dir/$gocpu_d_staging" || gocpu_fail mkdir "cannot create $gocpu_dir"
(umask 077 && mkdir -p "$gocpu_files") || gocpu_fail mkdir "cannot create $gocpu_files"
ln -s "$gocpu_files" "$gocpu_dir/$gocpu_f_cache_link" || gocpu_fail mkdir "cannot link $gocpu_files"
command -v tar >/dev/null 2>&1 || gocpu_fail no-tar "tar"

# Which cache files we lack: builtins only (one test per name, no fork).
IFS= read -r gocpu_n || { gocpu_cleanup; exit 0; }
case $gocpu_n in '' | *[!0-9]*) gocpu_fail protocol "bad name count" ;; esac
while [ "$gocpu_n" -gt 0 ]; do
  IFS= read -r gocpu_name || { gocpu_cleanup; exit 0; }
  case $gocpu_name in */* | .* | '') gocpu_fail protocol "bad cache name" ;; esac
  [ -f "$gocpu_files/$gocpu_name" ] || printf '%s\n' "$gocpu_name"
  gocpu_n=$((gocpu_n - 1))
done
echo send

# dd, not head -c: exactly LEN bytes, nothing read ahead (the next length line and the
# commands after the tar are ours to read). -B: a pipe delivers short reads.
{
  while IFS= read -r gocpu_len; do
    case $gocpu_len in '' | *[!0-9]*) exit 1 ;; 0) exit 0 ;; esac
    dd bs=65536 iflag=fullblock,count_bytes count="$gocpu_len" status=none || exit 1
  done
  exit 1
} | LC_ALL=C tar -x -p -B -f - -C "$gocpu_dir" 2>"$gocpu_dir/$gocpu_f_view_err"
# Both sides of the pipe must have succeeded; the left one's status is lost in sh.
gocpu_rc=$?
if [ "$gocpu_rc" -ne 0 ] || [ ! -f "$gocpu_dir/$gocpu_d_staging/.end" ]; then
  gocpu_fail copy "$(head -c 300 "$gocpu_dir/$gocpu_f_view_err" | tr '\n' ' ')(tar exit $gocpu_rc)"
fi
rm -f "$gocpu_dir/$gocpu_d_staging/.end" "$gocpu_dir/$gocpu_f_view_err"
# New contents join the cache (a rename: a run that links to the same name meanwhile
# gets the old inode, with the same bytes). mv -t: one fork for all.
find "$gocpu_dir/$gocpu_d_staging" -mindepth 1 -maxdepth 1 -type f -exec mv -f -t "$gocpu_files" {} + 2>/dev/null
if [ "$gocpu_namespaced" = 0 ]; then
  # tar copies each inode once and keeps modes and mtimes; the links among the tree's
  # own files stay links, those into the cache do not.
  if ! { mkdir "$gocpu_dir/$gocpu_d_staging/tree" &&
    (cd "$gocpu_mnt" && tar -cf - .) | (cd "$gocpu_dir/$gocpu_d_staging/tree" && tar -xpf -) &&
    find "$gocpu_mnt" -type d ! -perm -u+w -exec chmod u+w {} + &&
    rm -rf --one-file-system "${gocpu_mnt:?}" &&
    mv "$gocpu_dir/$gocpu_d_staging/tree" "$gocpu_mnt"; }; then
    gocpu_fail copy "cannot give the test a copy of its own"
  fi
fi
: >"$gocpu_dir/$gocpu_f_copied"
echo copied

IFS=' ' read -r gocpu_cmd gocpu_n || gocpu_cmd=
if [ "$gocpu_cmd" = collect ]; then
  case $gocpu_n in '' | *[!0-9]*) gocpu_fail protocol "bad path count" ;; esac
  set --
  while [ "$gocpu_n" -gt 0 ]; do
    IFS= read -r gocpu_p || break
    [ -e "$gocpu_mnt/$gocpu_p" ] && set -- "$@" "$gocpu_p"
    gocpu_n=$((gocpu_n - 1))
  done
  # The holder is gone (the test ended): nothing writes any more.
  gocpu_kill_holder "$gocpu_dir"
  if [ "$#" -gt 0 ]; then
    (cd "$gocpu_mnt" && find "$@" -newer "$gocpu_dir/$gocpu_f_copied" \( -type f -o -type d -o -type l \) -print0 |
      LC_ALL=C tar -c -f - --null --no-recursion -T -) || gocpu_say error copy-back "tar -c failed"
  fi
fi
gocpu_cleanup
exit 0
