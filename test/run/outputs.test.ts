import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectOutputs, OpenDir, prepareOutputs } from '../../src/run/outputs.js';
import { FD_PATHS } from '../../src/sftp/resolve/fd-path.js';

function setup(t: { after: (f: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'gocpu-outputs-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const bin = join(root, 'b001');
  const mod = join(root, 'mod');
  mkdirSync(bin);
  mkdirSync(mod);
  return { root, bin, mod, scratch: join(bin, 'gocpu-out.test') };
}

test('each expected output is moved to where the flags named it, scratch is removed, nothing else is created', (t) => {
  const d = setup(t);
  const covDest = join(d.root, 'cov');
  mkdirSync(covDest);
  const s = prepareOutputs({ scratch: d.scratch, moves: [
    { name: 'cpuprofile', kind: 'file', dest: join(d.mod, 'cpu.out') },
    { name: 'memprofile', kind: 'file', dest: join(d.mod, 'mem.out') },
    { name: 'trace', kind: 'file', dest: join(d.mod, 't.out') },
    { name: 'GOCOVERDIR', kind: 'cover-dir', dest: covDest },
  ] });
  assert.equal(statSync(d.scratch).mode & 0o777, 0o700);
  assert.ok(statSync(join(d.scratch, 'GOCOVERDIR')).isDirectory());
  writeFileSync(join(d.scratch, 'cpuprofile'), 'cpu');
  writeFileSync(join(d.scratch, 'memprofile'), 'mem');
  chmodSync(join(d.scratch, 'memprofile'), 0o4755);
  writeFileSync(join(d.scratch, 'GOCOVERDIR', 'covmeta.abc'), 'meta');
  writeFileSync(join(d.scratch, 'unexpected'), 'x');
  // trace: the test never wrote it.
  collectOutputs(s);
  assert.equal(readFileSync(join(d.mod, 'cpu.out'), 'utf8'), 'cpu');
  assert.equal(readFileSync(join(d.mod, 'mem.out'), 'utf8'), 'mem');
  assert.equal(statSync(join(d.mod, 'mem.out')).mode & 0o7000, 0, 'no mode bit chosen by the remote survives');
  assert.equal(readFileSync(join(covDest, 'covmeta.abc'), 'utf8'), 'meta');
  assert.deepEqual(readdirSync(d.mod).sort(), ['cpu.out', 'mem.out'], 'no trace file appears, nothing else is created');
  assert.deepEqual(readdirSync(d.bin), [], 'scratch is gone');
});

test('an existing output file is replaced, as the test binary truncates it', (t) => {
  const d = setup(t);
  writeFileSync(join(d.mod, 'cpu.out'), 'an older and longer profile');
  const s = prepareOutputs({ scratch: d.scratch, moves: [{ name: 'cpuprofile', kind: 'file', dest: join(d.mod, 'cpu.out') }] });
  writeFileSync(join(d.scratch, 'cpuprofile'), 'new');
  collectOutputs(s);
  assert.equal(readFileSync(join(d.mod, 'cpu.out'), 'utf8'), 'new');
});

test('a symlink the remote planted in scratch is never followed', (t) => {
  const d = setup(t);
  const secret = join(d.root, 'secret');
  writeFileSync(secret, 'private key');
  const covDest = join(d.root, 'cov');
  mkdirSync(covDest);
  const s = prepareOutputs({ scratch: d.scratch, moves: [
    { name: 'cpuprofile', kind: 'file', dest: join(d.mod, 'cpu.out') },
    { name: 'GOCOVERDIR', kind: 'cover-dir', dest: covDest },
  ] });
  symlinkSync(secret, join(d.scratch, 'cpuprofile'));
  symlinkSync(secret, join(d.scratch, 'GOCOVERDIR', 'covmeta.abc'));
  assert.throws(() => collectOutputs(s), /not a regular file/);
  assert.equal(existsSync(join(d.mod, 'cpu.out')), false, 'the secret was copied out through a link');
  assert.deepEqual(readdirSync(covDest), []);
  assert.equal(readFileSync(secret, 'utf8'), 'private key');
  assert.deepEqual(readdirSync(d.bin), [], 'scratch is gone');
});

test('a cover directory replaced by a link, and a scratch replaced by a link, are refused', (t) => {
  const d = setup(t);
  const outside = join(d.root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'covmeta.abc'), 'outside');
  writeFileSync(join(outside, 'cpuprofile'), 'outside');
  const covDest = join(d.root, 'cov');
  mkdirSync(covDest);
  const moves = [
    { name: 'cpuprofile', kind: 'file' as const, dest: join(d.mod, 'cpu.out') },
    { name: 'GOCOVERDIR', kind: 'cover-dir' as const, dest: covDest },
  ];
  const s = prepareOutputs({ scratch: d.scratch, moves });
  rmSync(join(d.scratch, 'GOCOVERDIR'), { recursive: true });
  symlinkSync(outside, join(d.scratch, 'GOCOVERDIR'));
  assert.throws(() => collectOutputs(s), /GOCOVERDIR|ELOOP|ENOTDIR/);
  assert.deepEqual(readdirSync(covDest), []);

  const s2 = prepareOutputs({ scratch: d.scratch, moves });
  renameSync(d.scratch, join(d.bin, 'moved-away'));
  symlinkSync(outside, d.scratch);
  assert.throws(() => collectOutputs(s2), /ELOOP|ENOTDIR|replaced/);
  assert.equal(existsSync(join(d.mod, 'cpu.out')), false);
  assert.equal(readFileSync(join(outside, 'cpuprofile'), 'utf8'), 'outside', 'the link target was touched');
  assert.throws(() => lstatSync(d.scratch), /ENOENT/, 'the planted link is removed, not what it points to');
  assert.ok(existsSync(join(outside, 'covmeta.abc')));
});

test('a scratch that cannot be created is a GocpuError with a hint', (t) => {
  const d = setup(t);
  assert.throws(() => prepareOutputs({ scratch: join(d.root, 'missing', 'gocpu-out.x'), moves: [] }),
    (e: Error & { code?: string; hint?: string }) => e.code === 'OUTPUT_SCRATCH' && /writable/.test(e.hint ?? ''));
});

test('an open directory keeps naming what was opened (Linux), or refuses once its path leads elsewhere (fallback)', (t) => {
  const d = setup(t);
  const scratch = join(d.root, 'scratch');
  mkdirSync(scratch);
  writeFileSync(join(scratch, 'cpuprofile'), 'the profile');
  const dir = new OpenDir(scratch);
  t.after(() => dir.close());
  const elsewhere = join(d.root, 'elsewhere');
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'cpuprofile'), 'a local secret');
  renameSync(scratch, join(d.root, 'moved'));
  symlinkSync(elsewhere, scratch);
  if (FD_PATHS) assert.equal(readFileSync(dir.at('cpuprofile'), 'utf8'), 'the profile');
  else {
    assert.throws(() => dir.at('cpuprofile'), /was replaced during the run/);
    assert.throws(() => dir.self(), /was replaced during the run/);
  }
});
