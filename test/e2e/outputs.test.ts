/**
 * Done means (issue 7, "writable means the output, not the tree"): profile and trace
 * flags through the wrapper produce their files exactly where a local run does, while
 * the module tree stays read-only to the remote (go passes -test.outputdir=<its cwd>,
 * usually the module root, whenever a profile is asked for).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyFixture, describeRun, goTest, randomToken, tempDir, type RunResult } from './harness.js';
import { parsePaths } from './probe.js';

/** What a profile file starts with: gzipped pprof protobuf, or the runtime trace header. */
const MAGIC: Record<string, RegExp> = { pprof: /^\x1f\x8b/, trace: /^go 1\.\d+ trace\0/ };

function listing(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

function assertProfile(file: string, kind: keyof typeof MAGIC, r: RunResult): void {
  assert.ok(fs.existsSync(file), `${file} was not written\n${describeRun(r)}`);
  const head = fs.readFileSync(file).subarray(0, 16).toString('latin1');
  assert.match(head, MAGIC[kind], `${file} is not a ${kind} file`);
  assert.equal(fs.statSync(file).mode & 0o7777, 0o666 & ~process.umask(), `${file}: not the mode os.Create gives`);
}

test('go test -cpuprofile -memprofile -trace: the files land where a local run puts them; the package dir stays read-only', async (t) => {
  const mod = copyFixture('probe');
  t.after(mod.cleanup);
  const tok = randomToken();
  const own = path.join(mod.dir, `written-${tok}`);
  const args = ['-count=1', '-cpuprofile=cpu.out', '-memprofile=mem.out', '-trace=t.out', '-v', '-run=^TestPaths$', '.', '-args', `write:${own}`];
  const before = listing(mod.dir);

  const local = await goTest({ args, cwd: mod.dir });
  assert.equal(local.code, 0, describeRun(local));
  assert.ok(parsePaths(local.stdout).get(`write ${own}`)?.ok, `locally the test writes into its own directory:\n${local.stdout}`);
  const localFiles = listing(mod.dir);
  for (const f of ['cpu.out', 'mem.out', 't.out', path.basename(own)]) fs.rmSync(path.join(mod.dir, f));
  fs.rmSync(path.join(mod.dir, 'probe.test'), { force: true }); // go's copy of the binary, kept when profiling
  assert.deepEqual(listing(mod.dir), before);

  const remote = await goTest({ args, cwd: mod.dir, goarch: 'arm64' });
  assert.equal(remote.code, 0, describeRun(remote));
  // The one intended difference (README): the remote may not write into the source tree.
  const w = parsePaths(remote.stdout).get(`write ${own}`);
  assert.ok(w && !w.ok && [1, 13, 30].includes(w.errno!), `the remote test could write into its package directory: ${w?.text}\n${describeRun(remote)}`);
  assert.equal(fs.existsSync(own), false, 'the remote test created a file in the module');
  assert.deepEqual(listing(mod.dir), localFiles.filter((f) => f !== path.basename(own)), 'the module holds other files than after the local run');
  assertProfile(path.join(mod.dir, 'cpu.out'), 'pprof', remote);
  assertProfile(path.join(mod.dir, 'mem.out'), 'pprof', remote);
  assertProfile(path.join(mod.dir, 't.out'), 'trace', remote);
});

test('go test -outputdir=DIR with cpu, block, mutex and cover profiles: same files in DIR as a local run', async (t) => {
  const mod = copyFixture('cover');
  t.after(mod.cleanup);
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const runIn = async (name: string, goarch?: string) => {
    const out = path.join(tmp.dir, name);
    fs.mkdirSync(out);
    const r = await goTest({
      args: ['-count=1', `-outputdir=${out}`, '-cpuprofile=cpu.out', '-blockprofile=b.out', '-mutexprofile=mu.out', '-coverprofile=cov.out', '.'],
      cwd: mod.dir,
      goarch,
    });
    assert.equal(r.code, 0, describeRun(r));
    return { r, out };
  };
  const local = await runIn('local');
  fs.rmSync(path.join(mod.dir, 'cover.test'), { force: true });
  const remote = await runIn('remote', 'arm64');
  assert.deepEqual(listing(remote.out), listing(local.out), 'the output directories differ');
  assert.deepEqual(listing(remote.out), ['b.out', 'cov.out', 'cpu.out', 'mu.out']);
  for (const f of ['b.out', 'cpu.out', 'mu.out']) assertProfile(path.join(remote.out, f), 'pprof', remote.r);
  assert.equal(fs.readFileSync(path.join(remote.out, 'cov.out'), 'utf8'), fs.readFileSync(path.join(local.out, 'cov.out'), 'utf8'));
});
