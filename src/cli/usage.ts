/**
 * gocpu's help texts: the overview (`gocpu help`, `gocpu --help`) and one page per
 * verb (`gocpu help VERB`, `gocpu VERB --help`), each with an example. The first line
 * of every page is its usage line.
 */

/** What `gocpu help WORD` can explain; 'command' is `gocpu [-host=H] COMMAND`. */
export const HELP_TOPICS = ['exec', 'doctor', 'command', 'version', 'help'] as const;
export type HelpTopic = (typeof HELP_TOPICS)[number];

const HOSTS = 'hosts: --host, else GOCPU_HOST_LINUX_ARCH, else GOCPU_HOST, else "hosts" in ~/.config/gocpu/config.json';
const SSH = 'ssh:   ~/.ssh/config (or GOCPU_SSH_CONFIG), ssh-agent, known_hosts; see README.md';

export const USAGE = `usage:
  go_linux_ARCH_exec PROGRAM [ARGS...]      run PROGRAM on the host for linux/ARCH (go test finds this on PATH)
  gocpu exec [--host H] [--target linux/ARCH] PROGRAM [ARGS...]
                                            the same, for go test -exec 'gocpu exec --host H'
  gocpu [-host=H] [COMMAND [ARGS...]]       run any command (none: your login shell) on H with the working tree mounted (cpu(1) style)
  gocpu doctor [--target linux/ARCH] HOST   check that HOST can run gocpu's tests, with a fix for each failure
  gocpu version                             print gocpu's version (also --version)
  gocpu help [VERB]                         this overview, or one verb's help (also VERB --help)

verbs for help: ${HELP_TOPICS.join(', ')}

${HOSTS}
${SSH}`;

const PAGES: Record<HelpTopic, string> = {
  exec: `usage: gocpu exec [--host H] [--target linux/ARCH] PROGRAM [ARGS...]

Runs a test binary (or any linux/ARCH program) on the remote host, as if it ran
here: same paths, output and exit status. This is what go_linux_ARCH_exec does; the
verb is for go test's -exec flag, to name the host or target explicitly.

  --host H               ssh destination or ~/.ssh/config Host alias
  --target linux/ARCH    which host list to use; default: the program's ELF header, then GOARCH

example:
  GOARCH=arm64 go test -exec 'gocpu exec --host me@rpi4' ./...

${HOSTS}
${SSH}`,

  doctor: `usage: gocpu doctor [--target linux/ARCH] [HOST]

Checks that HOST can run gocpu's runs (ssh, architecture, sshfs, user namespaces,
FUSE, the remote tools) and prints one line per check, with the fix for each
failure. Exits 0 when every check passes. Without HOST: the host for --target,
else GOCPU_HOST.

example:
  gocpu doctor --target linux/arm64 me@rpi4

${HOSTS}
${SSH}`,

  command: `usage: gocpu [-host=H] [--target linux/ARCH] [-ro] [-export PATH] [-export-rw PATH] [COMMAND [ARGS...]]

Runs any command on host H in the current directory, with that directory's module
(or the directory itself) mounted read-write at the same path: Plan 9 cpu(1) style.
No command: the remote user's login shell. When stdin and stdout are a terminal,
the command gets a remote pty of this window's size and TERM, and every key (^C,
^Z, ^D too) goes to it; the terminal is restored however the run ends.
Verbs win over remote commands of the same name: put -- before a command named
like a verb (exec, doctor, version, help) or starting with a dash.

  -ro                  the working tree is read-only to the command
  -export PATH         also export PATH, read-only (repeatable; PATH may contain ':')
  -export-rw PATH      also export PATH, writable (repeatable)
  flags take either form: -host=H, --host H

example:
  gocpu -host=rpi4                # a login shell on rpi4, in this directory
  gocpu -host=rpi4 uname -a
  gocpu -host=rpi4 -ro -export /srv/data make check
  gocpu -host=rpi4 -- version     # a remote program named "version"

${HOSTS}
${SSH}`,

  version: `usage: gocpu version   (also gocpu --version, gocpu -version)

Prints "gocpu VERSION" and exits 0.

example:
  gocpu version`,

  help: `usage: gocpu help [VERB]   (also gocpu --help, gocpu VERB --help)

Prints the overview of gocpu's verbs, or the help of one verb with an example.
Verbs: ${HELP_TOPICS.join(', ')} ("command" is gocpu [-host=H] COMMAND).

example:
  gocpu help doctor`,
};

/** The text for `gocpu help [topic]`; no topic is the overview. */
export function helpText(topic?: HelpTopic): string {
  return topic ? PAGES[topic] : USAGE;
}

export function isHelpTopic(s: string): s is HelpTopic {
  return (HELP_TOPICS as readonly string[]).includes(s);
}
