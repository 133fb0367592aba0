import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCoverFileName, redirectCoverDir, redirectOutputs } from '../../src/gotest/output-flags.js';

const BIN = '/tmp/go-build1/b001';
const SCRATCH = `${BIN}/gocpu-out.x`;
const GO = ['-test.paniconexit0', '-test.timeout=10m0s'];
/** Which directories exist on "this machine" for these tests. */
const DIRS = new Set(['/home/u/mod', '/home/u/mod/pkg', '/home/u/out', '/tmp/prof', BIN, `${BIN}/gocoverdir`]);
const opts = { cwd: '/home/u/mod/pkg', binDir: BIN, scratch: SCRATCH, isDir: (p: string) => DIRS.has(p) };

test('what go 1.19 passes for -cpuprofile -memprofile -trace: outputdir is the module root, profiles go to scratch', () => {
  // go test -cpuprofile=cpu.out -memprofile=mem.out -trace=t.out, run in /home/u/mod (checked with a printing wrapper).
  const args = [...GO, '-test.outputdir=/home/u/mod', '-test.cpuprofile=cpu.out', '-test.memprofile=mem.out', '-test.trace=t.out'];
  const r = redirectOutputs(args, opts);
  assert.deepEqual(r.args, [...GO, `-test.outputdir=${SCRATCH}`, `-test.cpuprofile=${SCRATCH}/cpuprofile`,
    `-test.memprofile=${SCRATCH}/memprofile`, `-test.trace=${SCRATCH}/trace`]);
  assert.deepEqual(r.changed, [2, 3, 4, 5]);
  assert.deepEqual(r.moves, [
    { name: 'cpuprofile', kind: 'file', dest: '/home/u/mod/cpu.out' },
    { name: 'memprofile', kind: 'file', dest: '/home/u/mod/mem.out' },
    { name: 'trace', kind: 'file', dest: '/home/u/mod/t.out' },
  ]);
  assert.deepEqual(r.writable, [], 'nothing outside the binary dir becomes writable');
});

test('-outputdir=DIR, absolute profiles, and go\'s own coverprofile in $WORK', () => {
  const args = [...GO, '-test.outputdir=/home/u/out', '-test.blockprofile=b.out', '-test.mutexprofile=/tmp/prof/mu.out',
    `-test.coverprofile=${BIN}/_cover_.out`];
  const r = redirectOutputs(args, opts);
  assert.deepEqual(r.args.slice(2), [`-test.outputdir=${SCRATCH}`, `-test.blockprofile=${SCRATCH}/blockprofile`,
    `-test.mutexprofile=${SCRATCH}/mutexprofile`, `-test.coverprofile=${BIN}/_cover_.out`]);
  assert.deepEqual(r.moves, [
    { name: 'blockprofile', kind: 'file', dest: '/home/u/out/b.out' },
    { name: 'mutexprofile', kind: 'file', dest: '/tmp/prof/mu.out' },
  ]);
});

test('flags written apart and repeated are rewritten where they sit; the last one names the destination', () => {
  const args = ['--test.cpuprofile', '/tmp/prof/first', '-test.v', '-test.cpuprofile', '/tmp/prof/c.out', 'positional', '-test.trace=x'];
  const r = redirectOutputs(args, opts);
  assert.deepEqual(r.args, ['--test.cpuprofile', `${SCRATCH}/cpuprofile`, '-test.v', '-test.cpuprofile', `${SCRATCH}/cpuprofile`, 'positional', '-test.trace=x']);
  assert.deepEqual(r.changed, [1, 4]);
  assert.deepEqual(r.moves, [{ name: 'cpuprofile', kind: 'file', dest: '/tmp/prof/c.out' }]);
});

test('without outputdir a relative profile is relative to the working directory', () => {
  const r = redirectOutputs(['-test.cpuprofile=c.out'], opts);
  assert.deepEqual(r.moves, [{ name: 'cpuprofile', kind: 'file', dest: '/home/u/mod/pkg/c.out' }]);
});

test('outputs inside the binary dir stay in place; into a missing directory they are left to fail as locally', () => {
  const inBin = redirectOutputs([...GO, `-test.outputdir=${BIN}`, '-test.cpuprofile=c.out', `-test.gocoverdir=${BIN}/gocoverdir`], opts);
  assert.deepEqual(inBin.changed, []);
  assert.deepEqual(inBin.moves, []);
  const missing = redirectOutputs(['-test.cpuprofile=/nonexistent/c.out', '-test.gocoverdir=/nonexistent/cov'], opts);
  assert.deepEqual(missing.changed, []);
  assert.deepEqual(missing.moves, []);
  assert.deepEqual(redirectOutputs(['-test.cpuprofile='], opts).moves, [], 'an empty value writes nothing');
});

test('gocoverdir, testlogfile and GOCOVERDIR outside the binary dir are redirected; the fuzz cache stays a writable export', () => {
  const r = redirectOutputs(['-test.gocoverdir=/home/u/out', '-test.testlogfile=../log.txt', '-test.fuzzcachedir=/home/u/.cache/go-build/fuzz/m'], opts);
  assert.deepEqual(r.args, [`-test.gocoverdir=${SCRATCH}/gocoverdir`, `-test.testlogfile=${SCRATCH}/testlogfile`, '-test.fuzzcachedir=/home/u/.cache/go-build/fuzz/m']);
  assert.deepEqual(r.moves, [
    { name: 'testlogfile', kind: 'file', dest: '/home/u/mod/log.txt' },
    { name: 'gocoverdir', kind: 'cover-dir', dest: '/home/u/out' },
  ]);
  assert.deepEqual(r.writable, ['/home/u/.cache/go-build/fuzz/m']);
  assert.deepEqual(redirectCoverDir('/tmp/prof', opts), { value: `${SCRATCH}/GOCOVERDIR`, move: { name: 'GOCOVERDIR', kind: 'cover-dir', dest: '/tmp/prof' } });
  assert.deepEqual(redirectCoverDir(`${BIN}/gocoverdir`, opts), { value: `${BIN}/gocoverdir` });
});

test('only the names the Go runtime gives coverage files are moved out of a cover directory', () => {
  assert.ok(isCoverFileName('covmeta.4b9a4c4cbd7e2d09b5cd7f6a6e0f4c6a'));
  assert.ok(isCoverFileName('covcounters.4b9a4c4cbd7e2d09b5cd7f6a6e0f4c6a.1234.1700000000000000000'));
  for (const bad of ['go.mod', 'covmeta.', 'covmeta.x/y', '..', 'covmeta.a\nb', 'xcovmeta.1']) assert.ok(!isCoverFileName(bad), bad);
});
