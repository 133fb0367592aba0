#!/bin/sh
# Remote half of proc-watch.ts, run as root with `sh -s`, after the caller's preamble
# set $d (a root-only directory holding one file p.NAME per pattern: a fixed string)
# and $end (when to give up, in epoch seconds). Until $d/stop exists, polls every
# process's command line and prints one line per (pattern, process) it finds:
#   hit NAME PID NONCE|- ,ENVNAMES HOLDERPID:START|- PID1:START|- CMDLINE
# The patterns live in files so that no command line here contains them.
# shellcheck disable=SC2154 # d and end come from the preamble
seen=' '
start_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
while [ ! -e "$d/stop" ] && [ "$(date +%s)" -lt "$end" ]; do
  for p in "$d"/p.*; do
    name=${p##*/p.}
    # shellcheck disable=SC2013 # /proc paths have no spaces
    for f in $(grep -laF -f "$p" /proc/[0-9]*/cmdline 2>/dev/null); do
      pid=${f#/proc/} pid=${pid%/cmdline}
      case $seen in *" $name:$pid "*) continue ;; esac
      seen="$seen$name:$pid "
      # run.sh runs: setsid -f -w nsenter ... sh -c EXEC_SH gocpu-exec NONCE MERGE PROGRAM ARGS...
      nonce=$(tr '\0' '\n' <"$f" 2>/dev/null | grep -A1 -x gocpu-exec | sed -n 2p)
      envs=
      for q in "$d"/p.*; do
        if grep -qaF -f "$q" "/proc/$pid/environ" 2>/dev/null; then envs="$envs,${q##*/p.}"; fi
      done
      holder=- p1=-
      if [ -n "$nonce" ]; then
        h=$(cat "/tmp/gocpu.$nonce/holder.pid" 2>/dev/null)
        if [ -n "$h" ]; then
          holder="$h:$(start_of "$h")"
          c=$(cat "/proc/$h/task/$h/children" 2>/dev/null) c=${c%% *}
          [ -z "$c" ] || p1="$c:$(start_of "$c")"
        fi
      fi
      cmd=$(tr '\0\n' '  ' <"$f" 2>/dev/null | cut -c1-300)
      echo "hit $name $pid ${nonce:--} ${envs:-,} $holder $p1 $cmd"
    done
  done
  sleep 0.05
done
rm -rf "$d"
echo 'done'
