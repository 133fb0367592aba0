/**
 * GOCPU_TRACE (stderr) and GOCPU_TRACE_FILE (one file for every wrapper go starts).
 * trace.ts reads the environment once, at import: each case runs in a child node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const traceJs = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'util', 'trace.js');

function child(env: Record<string, string>): { stderr: string; status: number | null; pid: string } {
  const script = `import { trace, tracing } from ${JSON.stringify(traceJs)};
console.log(process.pid, tracing());
trace('one'); trace('two');`;
  const base = { ...process.env };
  delete base.GOCPU_TRACE;
  delete base.GOCPU_TRACE_FILE;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...base, ...env }, encoding: 'utf8' });
  return { stderr: r.stderr, status: r.status, pid: r.stdout.trim() };
}

test('GOCPU_TRACE=1 writes step lines to stderr', () => {
  const r = child({ GOCPU_TRACE: '1' });
  assert.equal(r.status, 0);
  assert.match(r.pid, / true$/);
  assert.match(r.stderr, /^gocpu: trace: [\d.]+ ms one\ngocpu: trace: [\d.]+ ms two\n$/);
});

test('GOCPU_TRACE_FILE appends pid-led lines to the file, nothing to stderr, and several processes share it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-trace-'));
  try {
    const file = path.join(dir, 'trace.log');
    const a = child({ GOCPU_TRACE_FILE: file });
    const b = child({ GOCPU_TRACE_FILE: file, GOCPU_TRACE: '1' });
    for (const r of [a, b]) {
      assert.equal(r.status, 0);
      assert.equal(r.stderr, '');
    }
    const [pa, pb] = [a.pid.split(' ')[0], b.pid.split(' ')[0]];
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(lines.map((l) => l.replace(/ [\d.]+ ms /, ' MS ')), [`${pa} MS one`, `${pa} MS two`, `${pb} MS one`, `${pb} MS two`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an unwritable GOCPU_TRACE_FILE is one warning, not a failure', () => {
  const r = child({ GOCPU_TRACE_FILE: '/nonexistent-dir/trace.log' });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /^gocpu: warning: cannot write GOCPU_TRACE_FILE: ENOENT[^\n]*\n$/);
});

test('off by default', () => {
  const r = child({});
  assert.match(r.pid, / false$/);
  assert.equal(r.stderr, '');
});

test('under the launcher the times count from the launcher\'s start, not node\'s', () => {
  // The child plays node under a launcher: `sleep` is the launcher, started 300 ms before.
  const script = `import { spawn } from 'node:child_process';
import { trace, traceFromLauncher } from ${JSON.stringify(traceJs)};
const before = Date.now();
const launcher = spawn('sleep', ['10']);
const after = Date.now();
await new Promise((r) => setTimeout(r, 300));
traceFromLauncher(launcher.pid);
const at = Date.now();
trace('step');
console.log(JSON.stringify({ low: at - after, high: Date.now() - before }));
launcher.kill();`;
  const base = { ...process.env };
  delete base.GOCPU_TRACE_FILE;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...base, GOCPU_TRACE: '1' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { low, high } = JSON.parse(r.stdout) as { low: number; high: number };
  const ms = Number(/^gocpu: trace: ([\d.]+) ms step\n$/.exec(r.stderr)?.[1]);
  // /proc's start is in ticks of 10 ms and the uptime in hundredths: 20 ms either way.
  assert.ok(ms >= low - 20 && ms <= high + 20, `step at ${ms} ms, want ${low} to ${high} (the launcher's start, not node's)`);
});
