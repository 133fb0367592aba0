import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeExports, planRun } from '../../src/run/plan.js';

test('exports: duplicates merge (writable wins), the view mounts only the outermost', () => {
  const { exports, viewExports } = normalizeExports([
    { path: '/m', writable: false },
    { path: '/m/pkg/', writable: true },
    { path: '/w/b001', writable: true },
    { path: '/m', writable: true },
    { path: '/mx', writable: false },
  ]);
  assert.deepEqual(exports, [
    { path: '/m', writable: true },
    { path: '/m/pkg', writable: true },
    { path: '/mx', writable: false },
    { path: '/w/b001', writable: true },
  ]);
  assert.deepEqual(viewExports, ['/m', '/mx', '/w/b001']);
  assert.throws(() => normalizeExports([{ path: '/', writable: false }]), /refusing to export \//);
});

test('a go test call exports the binary dir rw, the module ro, and adds the test log', () => {
  const root = mkdtempSync(join(tmpdir(), 'gocpu-plan-'));
  const mod = join(root, 'mod');
  const pkg = join(mod, 'pkg');
  const work = join(root, 'work', 'b001');
  mkdirSync(pkg, { recursive: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(mod, 'go.mod'), 'module m\n');
  writeFileSync(join(work, 'pkg.test'), '');
  const plan = planRun({
    target: { goos: 'linux', goarch: 'arm64' },
    host: 'h',
    command: [join(work, 'pkg.test'), '-test.paniconexit0', '-test.timeout=10m0s', '-test.run=X'].map((s) => Buffer.from(s)),
    cwd: pkg,
    env: { HOME: root, PATH: '/nonexistent/bin' },
    rawEnv: [Buffer.from('HOME=/x'), Buffer.from('GODEBUG=a=1')],
    config: {},
  });
  assert.deepEqual(plan.exports.filter((e) => e.path.startsWith(root)), [
    { path: mod, writable: false },
    { path: work, writable: true },
  ]);
  assert.equal(plan.argv[1].toString(), `-test.testlogfile=${work}/testlog.txt`);
  assert.deepEqual(plan.argv.slice(2).map(String), ['-test.paniconexit0', '-test.timeout=10m0s', '-test.run=X']);
  assert.deepEqual(plan.env.map(([k]) => k.toString()), ['GODEBUG']);
  assert.match(plan.nonce, /^[0-9a-f]{24}$/);
});
