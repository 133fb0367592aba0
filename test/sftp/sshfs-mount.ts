/**
 * A real `sshfs -o passive` mount served by startSftpServer over the child's stdin/stdout:
 * the production setup minus SSH. Needs sshfs, fusermount3 and /dev/fuse (root here).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ExportTable } from '../../src/sftp/exports.js';
import { startSftpServer, type SftpServer } from '../../src/sftp/server.js';
import type { Op, OpResult } from './mount-ops-child.js';

const exec = promisify(execFile);

/** Why the sshfs tests cannot run here, or undefined if they can. */
export async function sshfsUnavailable(): Promise<string | undefined> {
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse';
  try {
    await exec('sshfs', ['--version']);
    await exec('fusermount3', ['--version']);
  } catch (e) {
    return `sshfs or fusermount3 missing: ${(e as Error).message}`;
  }
  return undefined;
}

/**
 * Debian's 3.7.3-1.2~deb12u1 and upstream 3.7.6 reject absolute and `..` symlinks unless
 * given no_contain_symlinks; older sshfs rejects that option as unknown. Its help says.
 */
export async function acceptsNoContainSymlinks(): Promise<boolean> {
  const { stdout, stderr } = await exec('sshfs', ['-h']).catch((e: { stdout?: string; stderr?: string }) => ({
    stdout: e.stdout ?? '',
    stderr: e.stderr ?? '',
  }));
  return `${stdout}${stderr}`.includes('no_contain_symlinks');
}

async function mounted(mnt: string): Promise<boolean> {
  const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === mnt);
}

export interface Mount {
  mnt: string;
  server: SftpServer;
  logs: string[];
  stderr(): string;
  /** Runs filesystem operations on the mount in a child process (see mount-ops-child.ts). */
  ops(list: Op[]): Promise<OpResult[]>;
  unmount(): Promise<void>;
}

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'mount-ops-child.js');

export async function mountSshfs(table: ExportTable, mnt: string, options: string[]): Promise<Mount> {
  const child: ChildProcess = spawn('sshfs', ['-f', '-o', options.join(','), 'gocpu:/', mnt], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const logs: string[] = [];
  const server = startSftpServer(Duplex.from({ readable: child.stdout!, writable: child.stdin! }), table, {
    log: (l) => logs.push(l),
  });

  const unmount = async (): Promise<void> => {
    if (await mounted(mnt)) await exec('fusermount3', ['-u', mnt]).catch(() => exec('fusermount3', ['-uz', mnt]));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    await server.done;
  };

  for (let i = 0; !(await mounted(mnt)); i++) {
    if (hasExited || i > 200) {
      await unmount().catch(() => undefined);
      throw new Error(`sshfs did not mount ${mnt} (${hasExited ? 'exited' : 'timeout'}): ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    mnt,
    server,
    logs,
    stderr: () => stderr,
    unmount,
    ops: async (list) => {
      const { stdout } = await exec(process.execPath, [childScript, JSON.stringify(list)], {
        maxBuffer: 1 << 24,
        timeout: 120_000,
      });
      return JSON.parse(stdout) as OpResult[];
    },
  };
}
