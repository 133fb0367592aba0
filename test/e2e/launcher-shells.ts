/**
 * Shells a laptop's /bin/sh may be, other than dash, that the #!/bin/sh launcher must
 * also end under exactly: bash in POSIX mode (Fedora's /bin/sh) and busybox's ash
 * (Alpine's). Both ignore SIGQUIT whatever their traps say, so the launcher's death by
 * a test's SIGQUIT takes more there (bin/gocpu's finish). hack/install-deps installs
 * busybox.
 */
export interface LauncherShell {
  readonly name: string;
  readonly argv: readonly string[];
}

export const LAUNCHER_SHELLS: readonly LauncherShell[] = [
  { name: 'bash as sh (POSIX mode)', argv: ['bash', '--posix'] },
  { name: 'busybox sh', argv: ['busybox', 'sh'] },
];

/** The command and arguments that run the launcher at path under shell. */
export function underShell(shell: LauncherShell, path: string, args: readonly string[]): [string, string[]] {
  const [cmd, ...rest] = shell.argv;
  return [cmd, [...rest, path, ...args]];
}
