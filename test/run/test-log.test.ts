import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bringTestLog, decodeTestLog, wantsLog, writeTestLog } from '../../src/run/test-log.js';
import { TEST_LOG_DATA, TEST_LOG_NONE } from '../../src/remote/contract.js';

function dir(t: { after: (f: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'gocpu-testlog-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const sink = () => {
  const lines: string[] = [];
  return { lines, stream: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream };
};

test('the watch half\'s answer: none, data in base64 (empty too), anything else is none', () => {
  const log = '# test log\ngetenv FX\nopen /x/testdata/data.txt\n';
  assert.equal(decodeTestLog(TEST_LOG_NONE), undefined);
  assert.deepEqual(decodeTestLog(TEST_LOG_DATA + Buffer.from(log).toString('base64')), Buffer.from(log));
  assert.deepEqual(decodeTestLog(TEST_LOG_DATA), Buffer.alloc(0));
  assert.equal(decodeTestLog(''), undefined);
  assert.equal(decodeTestLog(`${TEST_LOG_DATA}not base64!`), undefined);
  assert.equal(decodeTestLog(Buffer.from(log).toString('base64')), undefined, 'no data marker');
});

test('the log is written where go reads it, as os.Create would: truncated, never through a link', (t) => {
  const d = dir(t);
  const p = join(d, 'testlog.txt');
  writeFileSync(p, 'an older, longer log from before\n');
  writeTestLog(p, Buffer.from('# test log\n'));
  assert.equal(readFileSync(p, 'utf8'), '# test log\n');

  // A link in its place (the binary's directory is a writable export) is refused, and the file it points at untouched.
  const victim = join(d, 'victim');
  writeFileSync(victim, 'mine\n');
  rmSync(p);
  symlinkSync(victim, p);
  assert.throws(() => writeTestLog(p, Buffer.from('# test log\n')), /ELOOP|symbolic link/);
  assert.equal(readFileSync(victim, 'utf8'), 'mine\n');
  assert.ok(lstatSync(p).isSymbolicLink());
});

test('bringTestLog: writes what came, nothing when none or no answer, one warning line when it cannot write', async (t) => {
  const d = dir(t);
  const p = join(d, 'testlog.txt');
  const s = sink();
  await bringTestLog(p, Promise.resolve(TEST_LOG_NONE), s.stream);
  await bringTestLog(p, Promise.resolve(undefined), s.stream);
  assert.equal(existsSync(p), false);
  await bringTestLog(p, Promise.resolve(TEST_LOG_DATA + Buffer.from('# test log\n').toString('base64')), s.stream);
  assert.equal(readFileSync(p, 'utf8'), '# test log\n');
  assert.deepEqual(s.lines, []);

  const gone = join(d, 'no-such-dir', 'testlog.txt');
  await bringTestLog(gone, Promise.resolve(`${TEST_LOG_DATA}eA==`), s.stream);
  assert.equal(s.lines.length, 1);
  assert.match(s.lines[0], /^gocpu: local: warning: cannot write go's test log .*no-such-dir\/testlog\.txt: .*\(go will not cache this result\)\n$/);
});

test('the log comes back through the watch half only when gocpu asked go for it and the run mounts (a copy brings it home itself)', () => {
  assert.equal(wantsLog({ testLog: '/w/b001/testlog.txt' }, {}), true);
  assert.equal(wantsLog({ testLog: '/w/b001/testlog.txt' }, { copy: { exports: [], readOnly: [] } }), false);
  assert.equal(wantsLog({}, {}), false);
});
