/**
 * A small tree for the hostile-remote tests (issue 7): a writable export `w`, a directory
 * `outside` that no export covers (every entry with mtime OUTSIDE_MTIME, so attributes
 * served from it are recognizable), and a snapshot of everything outside to compare.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

export const OUTSIDE_MTIME = 0x1badcafe;

export interface HostileTree {
  root: string;
  w: string;
  outside: string;
  cleanup(): Promise<void>;
  /** Names, types, modes, link counts, mtimes and contents of everything below `outside`. */
  snapshotOutside(): Promise<string>;
}

export async function makeHostileTree(): Promise<HostileTree> {
  const root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'gocpu-hostile-')));
  const w = path.join(root, 'w');
  const outside = path.join(root, 'outside');
  await fs.mkdir(w);
  await fs.mkdir(path.join(outside, 'sub'), { recursive: true });
  await fs.mkdir(path.join(outside, 'locked'));
  await fs.writeFile(path.join(outside, 'victim'), 'outside victim\n');
  await fs.writeFile(path.join(outside, 'shadow'), 'outside shadow, 37 bytes long.......\n');
  await fs.writeFile(path.join(outside, 'outside-only'), 'x');
  for (const p of ['victim', 'shadow', 'outside-only', 'sub', 'locked', '']) {
    await fs.utimes(path.join(outside, p), OUTSIDE_MTIME, OUTSIDE_MTIME);
  }
  await fs.chmod(path.join(outside, 'locked'), 0o000);
  return {
    root,
    w,
    outside,
    cleanup: async () => {
      await fs.chmod(path.join(outside, 'locked'), 0o700).catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
    },
    snapshotOutside: async () => {
      const out: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const name of (await fs.readdir(dir)).sort()) {
          const p = path.join(dir, name);
          const st = await fs.lstat(p);
          const body = st.isFile() ? await fs.readFile(p, 'utf8') : st.isSymbolicLink() ? await fs.readlink(p) : '';
          out.push(`${p} ${st.mode.toString(8)} nlink=${st.nlink} mtime=${st.mtimeMs} ${JSON.stringify(body)}`);
          if (st.isDirectory() && name !== 'locked') await walk(p);
        }
      };
      const top = await fs.lstat(outside);
      out.push(`${outside} ${top.mode.toString(8)} mtime=${top.mtimeMs}`);
      await walk(outside);
      return out.join('\n');
    },
  };
}
