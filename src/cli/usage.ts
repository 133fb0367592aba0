export const USAGE = `usage:
  go_linux_ARCH_exec PROGRAM [ARGS...]      run PROGRAM on the host for linux/ARCH (go test finds this on PATH)
  gocpu exec [--host H] [--target linux/ARCH] PROGRAM [ARGS...]
                                            the same, for go test -exec 'gocpu exec --host H'
  gocpu [-host=H] COMMAND [ARGS...]         run any command on H with the working tree mounted (cpu(1) style)
  gocpu doctor [--target linux/ARCH] HOST   check that HOST can run gocpu's tests, with a fix for each failure

hosts: --host, else GOCPU_HOST_LINUX_ARCH, else GOCPU_HOST, else "hosts" in ~/.config/gocpu/config.json
ssh:   ~/.ssh/config (or GOCPU_SSH_CONFIG), ssh-agent, known_hosts; see README.md`;
