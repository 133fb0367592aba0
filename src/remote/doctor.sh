#!/bin/sh
# gocpu doctor (remote side): reports, one KEY=VALUE per line, what a run needs
# from this host. Only reads and probes; changes nothing.
#
# Usage: sh -c "$(cat doctor.sh)" gocpu-doctor SSHFS
sshfs=$1
PATH=$PATH:/usr/sbin:/sbin
out() { printf '%s=%s\n' "$1" "$2"; }
one() { tr '\n' ' ' | sed 's/ *$//'; }

out uname_m "$(uname -m)"
binfmt=
for f in /proc/sys/fs/binfmt_misc/*; do
  case ${f##*/} in register | status) continue ;; esac
  if [ -r "$f" ] && head -n 1 "$f" | grep -q enabled; then binfmt="$binfmt ${f##*/}"; fi
done
out binfmt "${binfmt# }"
if [ -e /proc/sys/fs/binfmt_misc/status ]; then out binfmt_visible yes; else out binfmt_visible no; fi
out login_shell "${SHELL:-unknown}"
for t in unshare nsenter mount mountpoint setsid chroot dd mkfifo timeout fusermount3 fusermount; do
  out "tool_$t" "$(command -v "$t" 2>/dev/null || echo missing)"
done
if command -v "$sshfs" >/dev/null 2>&1; then
  out sshfs "$(command -v "$sshfs")"
  out sshfs_version "$("$sshfs" --version 2>&1 | sed -n 's/^SSHFS version //p' | head -n 1)"
else
  out sshfs missing
fi
if [ ! -e /dev/fuse ]; then out fuse missing
elif [ -r /dev/fuse ] && [ -w /dev/fuse ]; then out fuse ok
else out fuse "denied (mode $(stat -c %a /dev/fuse), owner $(stat -c %U:%G /dev/fuse))"
fi
out sysctl_unprivileged_userns_clone "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo absent)"
out sysctl_max_user_namespaces "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo absent)"
out sysctl_apparmor_restrict_unprivileged_userns "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo absent)"
# Inside the namespace we are root and may mount: probe that too, as the view needs it.
r=$(unshare --user --map-root-user --mount-proc --pid --fork sh -c 'mount -t tmpfs gocpu-probe /tmp && echo ok' 2>&1)
if [ "$r" = ok ]; then out userns ok; else out userns "failed: $(printf '%s' "$r" | one)"; fi
tmp=${TMPDIR:-/tmp}
out tmpdir "$tmp"
out tmp_free_kb "$(df -Pk "$tmp" 2>/dev/null | awk 'NR == 2 { print $4 }')"
if [ -w "$tmp" ]; then out tmp_writable yes; else out tmp_writable no; fi
