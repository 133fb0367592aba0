/**
 * The fuzz test's tree: fixture.ts's exports plus what a fuzzer needs to judge the server.
 *
 *   <root>/canary/            not exported, next to the exports: must never change or leak
 *     canary.txt (CANARY bytes), sub/deeper.txt, unlisted-<hex>
 *   <root>/secret/unlisted-<hex>    a name no request ever mentions: seeing it means a listing leaked
 *   <root>/rw/ and <root>/ro/bin/   writable exports, reset before every session, seeded with
 *                                   links that point outside (to dirs, files, dangling, /, loops)
 *                                   and to export roots (rw/sub/up -> .., bin/up -> ..)
 *   the root, canary and secret entries all have mtime `outsideMtime`, so attributes served
 *   from outside the exports are recognizable in any ATTRS or NAME reply
 *
 * snapshot() records everything that must not change (the read-only exports, the canary,
 * the secret, the root's own entry and names) at the stat level, plus content hashes when
 * asked, so a session's effects outside the writable exports show up as a diff.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { makeFixture, SECRET, type Fixture } from './fixture.js';

export interface FuzzFixture extends Fixture {
  canary: string;
  /** Byte strings that must never appear in anything the server sends. */
  forbidden: Buffer[];
  /** The mtime of the root and every entry in the canary and secret dirs, and of nothing else. */
  outsideMtime: number;
  /** Re-creates the writable exports' contents (sessions start alike; links come back). */
  resetWritable(): Promise<void>;
  /** Stat-level (and with `content`, hashed) state of everything outside the writable exports. */
  snapshot(content?: boolean): Promise<Map<string, string>>;
}

/** The prefix of every name the generators create, so strays are easy to find anywhere. */
export const FUZZ_NAME_PREFIX = 'fz-';

export async function makeFuzzFixture(): Promise<FuzzFixture> {
  const fx = await makeFixture();
  const canary = path.join(fx.root, 'canary');
  const canaryBytes = `CANARY-${randomBytes(12).toString('hex')}`;
  const unlisted = [`unlisted-${randomBytes(8).toString('hex')}`, `unlisted-${randomBytes(8).toString('hex')}`];
  fs.mkdirSync(path.join(canary, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(canary, 'canary.txt'), canaryBytes);
  fs.writeFileSync(path.join(canary, 'sub/deeper.txt'), canaryBytes);
  fs.writeFileSync(path.join(canary, unlisted[0]), canaryBytes);
  fs.writeFileSync(path.join(fx.secret, unlisted[1]), SECRET);

  // Odd and in the past: no export entry has it unless a SETSTAT picks it (1 in 2^32).
  const outsideMtime = 0x1badcafe;
  for (const p of [path.join(canary, 'canary.txt'), path.join(canary, 'sub/deeper.txt'), path.join(canary, unlisted[0]), path.join(canary, 'sub'), canary]) {
    fs.utimesSync(p, outsideMtime, outsideMtime);
  }
  for (const p of [path.join(fx.secret, 'secret.txt'), path.join(fx.secret, unlisted[1]), fx.secret]) fs.utimesSync(p, outsideMtime, outsideMtime);
  // The root holds the exports but is not one: its attributes are not the remote's to see.
  fs.utimesSync(fx.root, outsideMtime, outsideMtime);

  const forbidden = [Buffer.from(SECRET), Buffer.from(canaryBytes), ...unlisted.map((u) => Buffer.from(u))];
  // An absolute link to /etc/passwd is in the read-only export; its first line must not leak.
  const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n')[0];
  if (passwd.length >= 8) forbidden.push(Buffer.from(passwd));

  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;

  // Synchronous on purpose: this runs between sessions, thousands of times, with no server
  // running, and a thread-pool round trip per call would make it the slowest part of the test.
  function emptyExcept(dir: string, keep: string[]): void {
    fs.chmodSync(dir, 0o755);
    fs.lchownSync(dir, uid, gid);
    for (const name of fs.readdirSync(dir)) {
      if (!keep.includes(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }

  /** The writable exports as the last reset left them; a session that changed nothing needs no reset. */
  let pristine: Map<string, string> | undefined;
  const writableState = (): Map<string, string> => {
    const out = new Map<string, string>();
    walk(out, fx.rw, [fx.roInside], false);
    walk(out, fx.bin, [], false);
    return out;
  };

  async function resetWritable(): Promise<void> {
    if (pristine && diffSnapshots(pristine, writableState()).length === 0) return;
    recreateWritable();
    pristine = writableState();
  }

  function recreateWritable(): void {
    emptyExcept(fx.rw, ['ro-inside']);
    emptyExcept(fx.bin, []);
    fs.mkdirSync(path.join(fx.rw, 'sub'));
    fs.writeFileSync(path.join(fx.rw, 'data.txt'), 'data\n');
    fs.writeFileSync(path.join(fx.rw, 'sub/f.txt'), 'f\n');
    fs.writeFileSync(path.join(fx.bin, 'tool'), '#!/bin/sh\n');
    const links: [string, string][] = [
      ['../canary', 'out-dir'],
      [path.join(canary, 'canary.txt'), 'out-abs'],
      ['../secret/secret.txt', 'out-secret'],
      ['../canary/fz-dangling.txt', 'out-dangling'],
      [path.join(canary, 'fz-dangling-abs'), 'out-dangling-abs'],
      ['/', 'out-root'],
      ['/etc/passwd', 'out-etc'],
      ['ro-inside', 'to-ro-inside'],
      ['ro-inside/keep.txt', 'to-ro-file'],
      ['../ro/hello.txt', 'to-ro'],
      ['loop', 'loop'],
      ['..', 'sub/up'],
      ['../../canary', 'sub/out-dir'],
    ];
    for (const [target, name] of links) fs.symlinkSync(target, path.join(fx.rw, name));
    fs.symlinkSync('../../canary', path.join(fx.bin, 'out'));
    fs.symlinkSync('../hello.txt', path.join(fx.bin, 'to-ro'));
    // Links to export roots: a listing through them must not show the roots' real parents.
    fs.symlinkSync('..', path.join(fx.bin, 'up'));
  }

  function entry(p: string, content: boolean): string {
    const st = fs.lstatSync(p);
    let extra = '';
    if (st.isSymbolicLink()) extra = ` -> ${fs.readlinkSync(p)}`;
    else if (content && st.isFile()) extra = ` sha256=${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
    // Everything but atime: reading is allowed, anything else is a change.
    return `${st.dev}:${st.ino} mode=${st.mode.toString(8)} ${st.uid}:${st.gid} size=${st.size} nlink=${st.nlink} mtime=${st.mtimeMs} ctime=${st.ctimeMs}${extra}`;
  }

  function walk(out: Map<string, string>, p: string, skip: string[], content: boolean): void {
    if (skip.includes(p)) return;
    out.set(p, entry(p, content));
    if (!fs.lstatSync(p).isDirectory()) return;
    const names = fs.readdirSync(p).sort();
    out.set(`${p}/*`, names.join('/'));
    for (const n of names) walk(out, path.join(p, n), skip, content);
  }

  async function snapshot(content = false): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    out.set(fx.root, entry(fx.root, content));
    out.set(`${fx.root}/*`, fs.readdirSync(fx.root).sort().join('/'));
    walk(out, fx.ro, [fx.bin], content);
    walk(out, fx.roInside, [], content);
    walk(out, canary, [], content);
    walk(out, fx.secret, [], content);
    return out;
  }

  await resetWritable();
  return { ...fx, canary, forbidden, outsideMtime, resetWritable, snapshot };
}

/** Human-readable differences between two snapshots (empty when equal). */
export function diffSnapshots(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of before) {
    const w = after.get(k);
    if (w === undefined) out.push(`gone: ${k}`);
    else if (w !== v) out.push(`changed: ${k}: ${v} => ${w}`);
  }
  for (const k of after.keys()) if (!before.has(k)) out.push(`new: ${k}`);
  return out;
}
