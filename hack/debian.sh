# shellcheck shell=bash
# hack/debian.sh: sourced by hack/testhost and hack/testvm (which define die and say).
# The machine's Debian mirror, binfmt_misc for arm64 under qemu-user, and unmounting
# what a killed debootstrap left behind.

# The main archive's URI from the machine's own apt sources (deb822 first, then one-line style).
apt_mirror() {
  if [[ -n ${GOCPU_TESTHOST_MIRROR:-} ]]; then echo "$GOCPU_TESTHOST_MIRROR"; return; fi
  local f uri
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      { types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) types = $i
          else if ($i ~ /^URIs:/) uris = $i
          else if ($i ~ /^Suites:/) suites = $i
          else if ($i ~ /^Enabled:/) enabled = $i
        }
        if (types !~ /[: ]deb( |$)/ || enabled ~ /no/) next
        n = split(suites, s, /[ \t]+/); main = 0
        for (j = 2; j <= n; j++) if (s[j] != "" && s[j] !~ /-/) main = 1
        if (!main) next
        split(uris, u, /[ \t]+/)
        if (u[2] ~ /^(https?|file):/) { print u[2]; exit }
      }' "$f")
    if [[ -n $uri ]]; then echo "$uri"; return; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    uri=$(awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++
        if ($i ~ /^\[/ || $i ~ /\]$/) i++
        if ($(i + 1) !~ /-/ && $i ~ /^(https?|file):/) { print $i; exit } }' "$f")
    if [[ -n $uri ]]; then echo "$uri"; return; fi
  done
  die "no Debian mirror found in /etc/apt/sources.list{,.d/*} (set GOCPU_TESTHOST_MIRROR)"
}

# Anything left mounted inside the rootfs (e.g. by a killed debootstrap) must go before rm -rf.
unmount_under() {
  local m
  findmnt -rn -o TARGET | awk -v p="$1" 'index($0, p "/") == 1 || $0 == p' | sort -r |
    while read -r m; do umount -l "$m" || true; done
}

binfmt_ok() {
  local e=/proc/sys/fs/binfmt_misc/qemu-aarch64 interp
  [[ -r $e ]] && grep -qx enabled "$e" && grep -q '^flags: .*F' "$e" || return 1
  # F opens the interpreter now, on the host; it must be static to run inside the rootfs.
  interp=$(awk '$1 == "interpreter" { print $2 }' "$e")
  [[ $(readlink -f "$interp") == *-static ]]
}

ensure_binfmt() {
  local dir=/proc/sys/fs/binfmt_misc def=/usr/share/binfmts/qemu-aarch64
  [[ -e $dir/status ]] || mount -t binfmt_misc binfmt_misc "$dir" || die "cannot mount binfmt_misc on $dir"
  binfmt_ok && return 0
  if command -v update-binfmts >/dev/null 2>&1; then
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
    binfmt_ok && return 0
  fi
  say "registering qemu-aarch64 in binfmt_misc with flags PF"
  [[ -e $dir/qemu-aarch64 ]] && echo -1 >"$dir/qemu-aarch64"
  local magic mask interp
  magic=$(awk '$1 == "magic" { print $2 }' "$def")
  mask=$(awk '$1 == "mask" { print $2 }' "$def")
  interp=$(awk '$1 == "interpreter" { print $2 }' "$def")
  echo ":qemu-aarch64:M:0:$magic:$mask:$interp:PF" >"$dir/register"
  binfmt_ok || die "qemu-aarch64 binfmt entry without flag F after registering (see $dir/qemu-aarch64)"
}
