#!/bin/sh
# gocpu upload (remote side): puts one test binary into the remote user's
# content-addressed cache, so that the run's view can bind it from local disk
# instead of paging it in through FUSE, one round trip per page (issue 8), and a
# rerun of an unchanged binary (-count=1, several -run passes) sends nothing.
#
# Usage: sh -c "$(cat upload.sh)" gocpu-upload
# Reads a line "SHA256 SIZE" from stdin: it comes when the binary is hashed, and the
# agent opens the channel before that, one per warm connection ahead of the next new
# binary (src/agent/binary-cache.ts: at 50 ms, opening it cost 2.5 round trips); an
# end of input first (the agent closed it, the connection went) is a quiet end.
# Prints "have" (nothing more to send) or "send ID"; after it, reads exactly SIZE
# bytes from stdin, then a line: "commit" puts them in the cache and prints "done"
# (or an error line); anything else drops them.
# ID names the file the bytes go to (SHA256.tmp.ID), locked (flock) until the commit is
# over. A run's view (view.sh) waits for that lock rather than for our "done", so the
# local side tells the run half as it says "commit", not a round trip later (issue 8:
# 50 ms of every new binary at 50 ms). Without flock (util-linux's) it is "send" alone,
# and the local side waits for "done".
# The local side hashes the bytes as it sends them and says "commit" only when they
# are the file SHA256 names (a file that changed after it was hashed is not); ssh's
# MAC covers the way here. A sha256sum here took as long as the transfer (3 MB: 11 ms,
# 12 MB: 40 ms on the bench machine; more on a small board), on every new test binary.
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
set -u
# A builtin read takes the line byte by byte from the pipe: the bytes after it are dd's.
IFS=' ' read -r gocpu_sha gocpu_size || exit 0
case $gocpu_sha in *[!0-9a-f]* | '') echo "error bad-sha"; exit 1 ;; esac
case $gocpu_size in *[!0-9]* | '') echo "error bad-size"; exit 1 ;; esac
gocpu_bins=$gocpu_cache/bin
gocpu_f=$gocpu_bins/$gocpu_sha
if [ -f "$gocpu_f" ]; then
  # Recently used: the age sweep below keeps it.
  touch "$gocpu_f" 2>/dev/null
  echo have
  exit 0
fi
[ -d "$gocpu_bins" ] || (umask 077 && mkdir -p "$gocpu_bins") || { echo "error mkdir"; exit 1; }
gocpu_t=$gocpu_f.tmp.$$
# The lock is on the file's inode: it is the cached file once moved into place.
gocpu_id=
# command: a failed exec redirection would end a POSIX sh (dash) here, not fail.
if { command exec 9>"$gocpu_t"; } 2>/dev/null && flock -n 9 2>/dev/null; then gocpu_id=" $$"; fi
echo "send$gocpu_id"
# dd, not head -c: exactly SIZE bytes, nothing read ahead.
if ! dd of="$gocpu_t" bs=65536 iflag=fullblock,count_bytes count="$gocpu_size" status=none; then
  rm -f "$gocpu_t"
  echo "error write"
  exit 1
fi
gocpu_verdict=
read -r gocpu_verdict || :
if [ "$gocpu_verdict" != commit ]; then
  rm -f "$gocpu_t"
  echo "error checksum"
  exit 1
fi
if ! { chmod 0500 "$gocpu_t" && mv -f "$gocpu_t" "$gocpu_f"; }; then
  rm -f "$gocpu_t"
  echo "error write"
  exit 1
fi
exec 9>&-
echo 'done'
# Binaries not used for three days go (interrupted uploads after a day).
find "$gocpu_bins" -maxdepth 1 -type f \( -name '*.tmp.*' -mtime +1 -o -mtime +3 \) -delete 2>/dev/null
exit 0
