/**
 * Done means (issue 6): a test binary run by hand, outside go test, with Debian's Go
 * on PATH (/usr/bin/go -> ../lib/go-1.19/bin/go), exports that Go installation and
 * not the local /usr over the remote's; and no export may hide one of the remote's
 * system directories: such a run fails before connecting, exit 125, one line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, describeRun, randomToken, tempDir, writeRemoteFile } from './harness.js';
import { assertPassed, buildProbe, parsePaths, probeModule, runProbe } from './probe.js';

const bins = tempDir();
let bin = '';
before(async () => {
  bin = await buildProbe(bins.dir, 'arm64');
});
after(bins.cleanup);

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

test("by hand with Debian's /usr/bin/go symlink on PATH: GOROOT is the Go installation, the remote's /usr stays the remote's", async (t) => {
  const link = '/usr/bin/go';
  assert.ok(fs.lstatSync(link).isSymbolicLink(), `${link} is not a symlink here: this test needs Debian's golang-go layout`);
  const goroot = path.dirname(path.dirname(fs.realpathSync(link)));
  assert.notEqual(goroot, '/usr', `${link} points into /usr/bin itself`);
  const tok = randomToken();
  const marker = `/usr/share/gocpu-e2e-usr-${tok}`;
  t.after(writeRemoteFile(marker, `only the remote has this ${tok}\n`));
  assert.ok(!fs.existsSync(marker), 'the marker exists on this machine too: cannot tell whose /usr the test saw');

  const r = await runProbe({
    bin,
    test: 'TestPaths',
    args: [`read:${marker}`, `read:${goroot}/VERSION`, 'stat:/usr/bin/env'],
    cwd: probeModule,
    // What a person's shell has: no GOROOT, and go found through /usr/bin (node too).
    env: { PATH: `${binDir}:/usr/bin:/bin`, GOROOT: undefined, GOENV: 'off' },
  });
  assertPassed(r, 'TestPaths by hand');
  const res = parsePaths(r.stdout);
  const marked = res.get(`read ${marker}`);
  assert.ok(marked?.ok && marked.sha === sha256(`only the remote has this ${tok}\n`),
    `the remote's own /usr is hidden in the test's view (was the local /usr exported over it?): ${marked?.text}\n${describeRun(r)}`);
  const version = res.get(`read ${goroot}/VERSION`);
  assert.ok(version?.ok && version.sha === sha256(fs.readFileSync(`${goroot}/VERSION`)),
    `GOROOT ${goroot} is not exported: ${version?.text}\n${describeRun(r)}`);
  assert.ok(res.get('stat /usr/bin/env')?.ok, `the remote's /usr/bin/env is missing in the view:\n${r.stdout}`);
});

test('an export that would hide a remote system directory (config exports /etc) fails before connecting: exit 125, one line', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const config = path.join(tmp.dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ exports: [{ path: '/etc' }] }));
  const r = await runProbe({ bin, test: 'TestEcho', args: [], cwd: probeModule, env: { GOCPU_CONFIG: config }, timeoutMs: 30_000 });
  assert.equal(r.code, 125, describeRun(r));
  assert.equal(r.stdout, '', describeRun(r));
  assert.deepEqual(r.stderr.split('\n').filter((l) => l !== ''),
    ['gocpu: local: refusing to export /etc (config exports): it would hide the remote\'s own /etc (remove it from "exports" in the gocpu config file; export a directory below it instead)']);
});

test('a binary in a directory with a newline in its name fails while planning: exit 125, one line with a hint', async (t) => {
  const tmp = tempDir();
  t.after(tmp.cleanup);
  const dir = path.join(tmp.dir, 'new\nline');
  fs.mkdirSync(dir);
  const nlBin = path.join(dir, 'probe.test');
  fs.copyFileSync(bin, nlBin);
  fs.chmodSync(nlBin, 0o755);
  const r = await runProbe({ bin: nlBin, test: 'TestEcho', args: [], cwd: probeModule, timeoutMs: 30_000 });
  assert.equal(r.code, 125, describeRun(r));
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, describeRun(r));
  assert.match(lines[0], /^gocpu: local: exported path \(binary\) ".*new\\nline" contains a newline, which gocpu cannot carry to the remote \(rename the directory/);
});
