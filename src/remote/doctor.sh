#!/bin/sh
# gocpu doctor (remote side): reports, one KEY=VALUE per line, what a run needs
# from this host. Only reads and probes; changes nothing.
#
# Usage: sh -c "$(cat doctor.sh)" gocpu-doctor SSHFS SSHFS_OPTS [REMOTE_ROOT]
# shellcheck source=src/remote/prelude.sh
. ./prelude.sh
gocpu_sshfs=$1 gocpu_root=${3:-}
PATH=$PATH:/usr/sbin:/sbin
gocpu_out() { printf '%s=%s\n' "$1" "$2"; }
gocpu_one() { tr '\n' ' ' | sed 's/ *$//'; }

gocpu_out uname_m "$(uname -m)"
gocpu_binfmt=
for gocpu_f in /proc/sys/fs/binfmt_misc/*; do
  case ${gocpu_f##*/} in register | status) continue ;; esac
  if [ -r "$gocpu_f" ] && head -n 1 "$gocpu_f" | grep -q enabled; then gocpu_binfmt="$gocpu_binfmt ${gocpu_f##*/}"; fi
done
gocpu_out binfmt "${gocpu_binfmt# }"
if [ -e /proc/sys/fs/binfmt_misc/status ]; then gocpu_out binfmt_visible yes; else gocpu_out binfmt_visible no; fi
gocpu_out login_shell "${SHELL:-unknown}"
# The contract's list: the tools a run fails without.
for gocpu_t in $gocpu_tools; do
  gocpu_out "tool_$gocpu_t" "$(command -v "$gocpu_t" 2>/dev/null || echo missing)"
done
if gocpu_setsid_fork; then gocpu_out setsid_fork yes; else gocpu_out setsid_fork no; fi
# run.sh's test as the remote user's own uid (when the local user is not root) needs both.
if gocpu_unshare_map_user; then gocpu_out unshare_map_user yes; else gocpu_out unshare_map_user no; fi
if command -v "$gocpu_sshfs" >/dev/null 2>&1; then
  gocpu_out sshfs "$(command -v "$gocpu_sshfs")"
  gocpu_out sshfs_version "$(LC_ALL=C "$gocpu_sshfs" --version 2>&1 | sed -n 's/^SSHFS version //p' | head -n 1)"
  gocpu_sshfs_opts "$gocpu_sshfs" "$2"
  gocpu_out sshfs_options "$gocpu_sshfs_o"
else
  gocpu_out sshfs missing
fi
if [ ! -e /dev/fuse ]; then gocpu_out fuse missing
elif [ -r /dev/fuse ] && [ -w /dev/fuse ]; then gocpu_out fuse ok
else gocpu_out fuse "denied (mode $(LC_ALL=C stat -c %a /dev/fuse), owner $(LC_ALL=C stat -c %U:%G /dev/fuse))"
fi
gocpu_out sysctl_unprivileged_userns_clone "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo absent)"
gocpu_out sysctl_max_user_namespaces "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo absent)"
gocpu_out sysctl_apparmor_restrict_unprivileged_userns "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo absent)"
# Inside the namespace we are root and may mount: probe that too, as the view needs it.
gocpu_r=$(LC_ALL=C unshare --user --map-root-user --mount-proc --pid --fork sh -c 'mount -t tmpfs gocpu-probe /tmp && echo ok' 2>&1)
if [ "$gocpu_r" = ok ]; then gocpu_out userns ok; else gocpu_out userns "failed: $(printf '%s' "$gocpu_r" | gocpu_one)"; fi
# A remote root: the same checks as run.sh's, then its /bin/sh and sleep started the
# way the view's holder starts them (chroot as root of a user namespace).
if [ -n "$gocpu_root" ]; then
  gocpu_out remote_root "$gocpu_root"
  if ! gocpu_real_dir '' "$gocpu_root"; then gocpu_out remote_root_sh nodir
  elif [ ! -e "$gocpu_root/bin/sh" ] && [ ! -L "$gocpu_root/bin/sh" ]; then gocpu_out remote_root_sh missing
  elif [ "$gocpu_r" != ok ]; then gocpu_out remote_root_sh unchecked
  else
    gocpu_rr=$(LC_ALL=C unshare --user --map-root-user chroot "$gocpu_root" /bin/sh -c 'sleep 0 && echo ok' 2>&1)
    if [ "$gocpu_rr" = ok ]; then gocpu_out remote_root_sh ok; else gocpu_out remote_root_sh "failed: $(printf '%s' "$gocpu_rr" | gocpu_one)"; fi
  fi
fi
gocpu_out tmpdir "$gocpu_base"
gocpu_out tmp_free_kb "$(LC_ALL=C df -Pk "$gocpu_base" 2>/dev/null | awk 'NR == 2 { print $4 }')"
if [ -w "$gocpu_base" ]; then gocpu_out tmp_writable yes; else gocpu_out tmp_writable no; fi
