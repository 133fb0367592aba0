/**
 * gocpu's help texts: the overview (`gocpu help`, `gocpu --help`) and one page per
 * verb (`gocpu help VERB`, `gocpu VERB --help`), each with an example. The first line
 * of every page is its usage line.
 */

/** What `gocpu help WORD` can explain; 'command' is `gocpu [-host=H] COMMAND`. */
export const HELP_TOPICS = ['exec', 'doctor', 'command', 'install', 'uninstall', 'hosts', 'version', 'help'] as const;
export type HelpTopic = (typeof HELP_TOPICS)[number];

const HOSTS = 'hosts: --host, else GOCPU_HOST_LINUX_ARCH, else GOCPU_HOST, else "hosts" in ~/.config/gocpu/config.json';
const SSH = 'ssh:   ~/.ssh/config (or GOCPU_SSH_CONFIG), ssh-agent, known_hosts; see README.md';

export const USAGE = `usage:
  go_linux_ARCH_exec PROGRAM [ARGS...]      run PROGRAM on the host for linux/ARCH (go test finds this on PATH)
  gocpu exec [--host H] [--target linux/ARCH] PROGRAM [ARGS...]
                                            the same, for go test -exec 'gocpu exec --host H'
  gocpu [-host=H] [COMMAND [ARGS...]]       run any command (none: your login shell) on H with the working tree mounted (cpu(1) style)
  gocpu doctor [--target linux/ARCH] HOST   check that HOST can run gocpu's tests, with a fix for each failure
  gocpu install [--force] [DIR]             write the go_linux_ARCH_exec wrappers into DIR (default: on PATH)
  gocpu uninstall [DIR]                     remove the wrappers gocpu install wrote there, and nothing else
  gocpu hosts                               each target's hosts, and what gocpu doctor last found for each
  gocpu version                             print gocpu's version (also --version)
  gocpu help [VERB]                         this overview, or one verb's help (also VERB --help)

verbs for help: ${HELP_TOPICS.join(', ')}

A verb counts only as the first word, and there it wins over a remote command of the
same name: gocpu -- CMD always runs CMD remotely (gocpu -- install ...).

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
A verb (exec, doctor, install, uninstall, hosts, version, help) as the first word
is gocpu's own, never a remote command: gocpu -- CMD always runs CMD remotely. Put --
before a command named like a verb or starting with a dash.

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

  install: `usage: gocpu install [--force] [DIR]

Writes go_linux_ARCH_exec for every Linux GOARCH into DIR, so that GOARCH=ARCH go test
finds it on PATH. Default DIR: the first of $(go env GOBIN), $(go env GOPATH)/bin and
~/.local/bin that is on PATH (else ~/.local/bin, with a warning). Each file is a small
sh script that runs this gocpu with the node running install, by absolute path: go may
run it with a PATH of its own. Run it again after moving gocpu or node. It replaces
only files it wrote itself (they carry a marker line); --force replaces others too.
Warns when DIR is not on PATH.

example:
  gocpu install ~/bin
  GOARCH=arm64 go test ./...`,

  uninstall: `usage: gocpu uninstall [DIR]

Removes from DIR (default as for install) the go_linux_ARCH_exec files gocpu install
wrote, and only those: a file of that name without gocpu's marker line (a link,
another tool's wrapper) is left alone, with a warning.

example:
  gocpu uninstall ~/bin`,

  hosts: `usage: gocpu hosts

Lists each target with the hosts a run would use for it, where they come from, and
what gocpu doctor last found for each: "never checked", "ok (DATE)" or "failed:
CHECK: DETAIL (DATE)". Makes no connection; gocpu doctor HOST refreshes a host.

example:
  gocpu hosts

${HOSTS}`,

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
