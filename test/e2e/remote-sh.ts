/**
 * Shell on the test host, as root (to look at every process, mount and directory)
 * or as the login user `gocpu` (to use a run's FUSE mount, which root cannot).
 * The script travels on ssh's stdin (`sh -s`), so whatever it contains (a secret
 * to look for) is never on a command line of either machine.
 */
import { spawn } from 'node:child_process';
import { testHost } from './testhost.js';

export interface ShResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export type RemoteUser = 'root' | 'user';

export function sshArgs(as: RemoteUser): string[] {
  const th = testHost();
  const host = as === 'root' ? th.env.GOCPU_TESTHOST_ROOT_HOST || 'gocpu-test-root' : th.host;
  return ['-F', th.sshConfig, host, 'sh', '-s'];
}

/** Runs `script` with sh on the test host; killed (timedOut) after timeoutMs. */
export function remoteSh(script: string, as: RemoteUser = 'root', timeoutMs = 30_000): Promise<ShResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', sshArgs(as), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    child.stdin.end(script);
  });
}

/** Like remoteSh, but a non-zero exit or a timeout is an error that shows the output. */
export async function remoteShOk(script: string, as: RemoteUser = 'root', timeoutMs = 30_000): Promise<string> {
  const r = await remoteSh(script, as, timeoutMs);
  if (r.timedOut || r.code !== 0) {
    throw new Error(`remote script as ${as} ${r.timedOut ? 'timed out' : `exited ${r.code}`}\n--- script:\n${script}\n--- stdout:\n${r.stdout}--- stderr:\n${r.stderr}`);
  }
  return r.stdout;
}

/** sh's single quotes, for values written into a script (not a command line). */
export function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
