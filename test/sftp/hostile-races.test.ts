/**
 * Issue 7, class 6: check-then-use races. One session swaps a directory of a shared writable
 * export for a symlink to an outside directory, as fast as it can; a second session keeps
 * hard-linking, renaming, removing, creating, stat'ing, listing and chmod'ing through that
 * directory's path. For a bounded time (RACE_MS), then: zero escapes, counted two ways,
 * what the replies carried and what changed outside.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { ExportTable } from '../../src/sftp/exports.js';
import { startSession } from './fixture.js';
import { FX, PF, str, type RawClient, type Resp } from './raw-client.js';
import { makeHostileTree, OUTSIDE_MTIME, type HostileTree } from './hostile-fixture.js';

const RACE_MS = 3000;

let t: HostileTree;

before(async () => {
  t = await makeHostileTree();
});
after(() => t.cleanup());

async function swapper(c: RawClient, d: string, until: number): Promise<number> {
  let swaps = 0;
  while (Date.now() < until) {
    // Pipelined: the other session's requests interleave between these.
    // Each state is held for a few requests, so the other session's steps land in both.
    const hold = (): Promise<Resp>[] => [c.lstat(t.w), c.lstat(t.w), c.lstat(t.w)];
    await Promise.all([
      c.rename(d, `${d}-real`),
      c.symlink(t.outside, d),
      ...hold(),
      c.remove(d),
      c.rename(`${d}-real`, d),
      ...hold(),
    ]);
    swaps++;
  }
  return swaps;
}

interface Tally {
  ok: number;
  /** Successful replies by request, to show the race reached every operation. */
  okBy: Map<string, number>;
  leaks: string[];
}

async function attacker(c: RawClient, d: string, until: number): Promise<Tally> {
  const tally: Tally = { ok: 0, okBy: new Map(), leaks: [] };
  const seen = (what: string, r: Resp): void => {
    if (r.type !== 'status' || r.code === FX.OK) {
      tally.ok++;
      tally.okBy.set(what, (tally.okBy.get(what) ?? 0) + 1);
    }
    if (r.type === 'attrs' && r.attrs.mtime === OUTSIDE_MTIME) tally.leaks.push(`${what}: outside attributes`);
    if (r.type === 'name' && r.names.some((n) => n.filename === 'outside-only' || n.attrs.mtime === OUTSIDE_MTIME)) {
      tally.leaks.push(`${what}: an outside listing`);
    }
    if (r.type === 'data' && r.data.includes('outside')) tally.leaks.push(`${what}: outside bytes`);
  };
  const w = t.w;
  for (let i = 0; Date.now() < until; i++) {
    const ext = (name: string, a: string, b: string): Promise<Resp> => c.extended(name, str(a), str(b));
    const batch: [string, Promise<Resp>][] = [
      ['OPEN CREAT victim', c.open(`${d}/victim`, PF.WRITE | PF.CREAT)],
      ['hardlink', ext('hardlink@openssh.com', `${d}/victim`, `${w}/hl-${i}`)],
      ['rename', ext('posix-rename@openssh.com', `${d}/shadow`, `${w}/mv-${i}`)],
      ['RENAME into', c.rename(`${w}/mv-${i}`, `${d}/moved-in-${i}`)],
      ['REMOVE', c.remove(`${d}/outside-only`)],
      ['REMOVE victim', c.remove(`${d}/victim`)],
      ['OPEN CREAT new', c.open(`${d}/created-${i}`, PF.WRITE | PF.CREAT | PF.EXCL)],
      ['MKDIR', c.mkdir(`${d}/mkdir-${i}`)],
      ['RMDIR', c.rmdir(`${d}/sub`)],
      ['SYMLINK', c.symlink('x', `${d}/sl-${i}`)],
      ['STAT', c.stat(`${d}/shadow`)],
      ['LSTAT', c.lstat(`${d}/sub`)],
      ['SETSTAT', c.setstat(`${d}/victim`, { mode: 0o600, atime: 1, mtime: 1 })],
      ['SETSTAT size', c.setstat(`${d}/shadow`, { size: 1 })],
      ['OPENDIR', c.opendir(d)],
      ['OPEN READ', c.open(`${d}/shadow`, PF.READ)],
      ['MKDIR sub', c.mkdir(`${d}/sub`)],
    ];
    for (const [what, p] of batch) {
      const r = await p;
      seen(what, r);
      if (r.type !== 'handle') continue;
      if (what === 'OPENDIR') {
        for (;;) {
          const x = await c.readdir(r.handle);
          if (x.type !== 'name') break;
          seen('READDIR', x);
        }
      } else if (what === 'OPEN READ') {
        seen('READ', await c.read(r.handle, 0, 4096));
      } else {
        await c.write(r.handle, 0, Buffer.from('written by the remote'));
      }
      seen(`FSTAT after ${what}`, await c.fstat(r.handle));
      await c.close(r.handle);
    }
  }
  return tally;
}

test('class 6: a second session racing a directory swap escapes zero times', async (tc) => {
  const d = `${t.w}/d`;
  await fs.mkdir(`${d}/sub`, { recursive: true });
  for (const n of ['victim', 'shadow']) await fs.writeFile(`${d}/${n}`, 'inside');
  const before = await t.snapshotOutside();
  const table = new ExportTable([{ path: t.w, writable: true }]);
  const a = await startSession(table);
  const b = await startSession(table);
  let swaps: number;
  let tally: Tally;
  try {
    const until = Date.now() + RACE_MS;
    [swaps, tally] = await Promise.all([swapper(a.client, d, until), attacker(b.client, d, until)]);
  } finally {
    await a.stop();
    await b.stop();
  }
  tc.diagnostic(`${swaps} swaps; served: ${[...tally.okBy].map(([k, n]) => `${k}=${n}`).join(' ')}`);
  const after = await t.snapshotOutside();
  const changed = after === before ? [] : after.split('\n').filter((l) => !before.split('\n').includes(l));
  assert.ok(swaps > 20 && tally.ok > 50, `the race ran (${swaps} swaps, ${tally.ok} requests served)`);
  const escapes = { leakingReplies: tally.leaks.length, changedOutside: changed.length };
  const detail = [...tally.leaks.slice(0, 5), ...changed.slice(0, 5)].join('\n  ');
  assert.deepEqual(escapes, { leakingReplies: 0, changedOutside: 0 }, `escapes in ${swaps} swaps:\n  ${detail}`);
});
