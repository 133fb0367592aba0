/**
 * The run header: shell assignments that run.sh reads from its stdin (exactly
 * `length` bytes) and evals. Everything the remote needs that is private (the
 * forwarded environment) or arbitrary bytes (argv) travels here rather than on a
 * command line, where every user of a shared box could read it in /proc/PID/cmdline
 * and where the login shell would get a say in the quoting.
 */
import { quoteBytes, shellQuote } from '../util/shell-quote.js';
import { reservedEnvName } from './contract.js';
import { remoteScript } from './scripts.js';

export interface RunHeader {
  cwd: string;
  /** Paths mounted into the view, none below another. */
  exports: string[];
  /** Remote stdout and stderr as one stream (the local side has one pipe). */
  merge: boolean;
  /** `uname -m` values that run the binary natively, and its binfmt entry name. */
  arch?: { machines: string[]; binfmt: string };
  /** The directory the view replicates in place of the remote's `/` (a host's remoteRoot). */
  root?: string;
  /** run.sh reports its step times (GOCPU_TRACE). */
  trace?: boolean;
  /** The agent's shared mount (its nonce) that holds this run's files under mnt/NONCE. */
  shared?: string;
  /** The view binds the i-th export from mnt/@i. */
  aliased?: boolean;
  /**
   * The test binary from the remote cache (sha256) bound over its path in the view. No sha:
   * it is still on its way to the cache (late), and its sha256 follows the header on stdin,
   * on a line of its own, once it is there; the view is built meanwhile.
   */
  binary?: { sha?: string; path: string };
  /**
   * Copy mode: mnt/ is a copied tree the copy half finished; these exports are bound
   * read-only. inPlace: no namespace, the test runs in the copy, and run.sh puts the
   * copy's root in place of `token` in its arguments and environment (src/copy/rebase.ts).
   */
  copy?: { readOnly: string[]; inPlace?: { token: string } };
  /**
   * The program runs as the remote user's own uid and gid (a user namespace nested in
   * the view's), not as root of the view's: the local user is not root (issue 10).
   */
  asUser?: boolean;
  /** argv[1] is go's -test.testlogfile: run.sh points it at the remote's disk (src/run/test-log.ts). */
  testLog?: boolean;
  env: [Buffer, Buffer][];
  argv: Buffer[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Names the remote shell cannot take from us: the shell's special and readonly
 * variables and the scripts' own prefix (contract.ts). Not forwarded; the caller
 * says so in one warning line.
 */
export function droppedEnvNames(env: [Buffer, Buffer][]): string[] {
  return env.map(([k]) => k.toString('latin1')).filter((n) => NAME.test(n) && reservedEnvName(n));
}

export function envBlock(env: [Buffer, Buffer][]): Buffer {
  const lines: Buffer[] = [];
  for (const [k, v] of env) {
    const name = k.toString('latin1');
    if (!NAME.test(name)) continue; // sh cannot export it; the caller filters and warns
    if (reservedEnvName(name)) continue; // see droppedEnvNames
    lines.push(Buffer.from(`export ${name}=`), quoteBytes(v), Buffer.from('\n'));
  }
  return Buffer.concat(lines);
}

export function encodeHeader(h: RunHeader): Buffer {
  for (const p of h.exports) {
    if (p.includes('\n')) throw new Error(`cannot export a path with a newline: ${JSON.stringify(p)}`);
  }
  if (h.root?.includes('\n')) throw new Error(`cannot carry a remote root with a newline: ${JSON.stringify(h.root)}`);
  const assign = (name: string, value: string | Buffer) =>
    Buffer.concat([Buffer.from(`${name}=`), typeof value === 'string' ? Buffer.from(shellQuote(value)) : quoteBytes(value), Buffer.from('\n')]);
  const parts: Buffer[] = [
    assign('gocpu_cwd', h.cwd),
    assign('gocpu_exports', h.exports.join('\n')),
    assign('gocpu_root', h.root ?? ''),
    assign('gocpu_merge', h.merge ? '1' : '0'),
    assign('gocpu_trace', h.trace ? '1' : '0'),
    assign('gocpu_arch', h.arch ? h.arch.machines.join(' ') : ''),
    assign('gocpu_binfmt', h.arch ? h.arch.binfmt : ''),
    assign('gocpu_shared', h.shared ?? ''),
    assign('gocpu_aliased', h.aliased ? '1' : '0'),
    assign('gocpu_bin', h.binary?.sha ?? ''),
    assign('gocpu_bin_late', h.binary && !h.binary.sha ? '1' : ''),
    assign('gocpu_bin_path', h.binary?.path ?? ''),
    assign('gocpu_copy', h.copy ? '1' : ''),
    assign('gocpu_ro', h.copy ? h.copy.readOnly.join('\n') : ''),
    assign('gocpu_inplace', h.copy?.inPlace?.token ?? ''),
    assign('gocpu_as_user', h.asUser ? '1' : '0'),
    assign('gocpu_testlog', h.testLog ? '1' : ''),
    assign('gocpu_view_sh', remoteScript('view')),
    assign('gocpu_exec_sh', remoteScript('exec')),
  ];
  const env = envBlock(h.env);
  parts.push(env.length > 0 ? assign('gocpu_env', env) : Buffer.from(`gocpu_env=''\n`));
  parts.push(Buffer.from('set --'));
  for (const a of h.argv) parts.push(Buffer.from(' '), quoteBytes(a));
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}
