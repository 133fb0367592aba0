import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeRecord, doctorCacheDir, readDoctorRecord, recordFileName, recordFor, writeDoctorRecord } from '../../src/doctor/record.js';
import type { Row } from '../../src/doctor/checks.js';

const when = new Date('2026-12-02T08:50:12.345Z');
const rows = (...v: Row['verdict'][]): Row[] => v.map((verdict, i) => ({ check: `c${i}`, verdict, detail: `d${i}\nsecond line` }));

test('the cache dir: XDG_CACHE_HOME when absolute, else ~/.cache', () => {
  assert.equal(doctorCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/gocpu/doctor');
  assert.equal(doctorCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/h' }), '/h/.cache/gocpu/doctor');
  assert.equal(doctorCacheDir({ HOME: '/h' }), '/h/.cache/gocpu/doctor');
});

test('host names become safe, distinct file names', () => {
  assert.equal(recordFileName('me@rpi4.lan'), 'me@rpi4.lan.json');
  const tricky = ['.', '..', '../../etc/passwd', 'a/b', '[::1]:2222', 'a b', 'ü', '%41', 'A', '', 'x'.repeat(300), 'x'.repeat(301)];
  const names = tricky.map(recordFileName);
  for (const [i, n] of names.entries()) {
    assert.ok(!n.includes('/') && !n.startsWith('.') && n.length <= 255, `${tricky[i]} -> ${n}`);
    assert.match(n, /^[A-Za-z0-9_@%.-]+\.json$/);
  }
  assert.equal(new Set(names).size, names.length, 'no two hosts share a file');
});

test('a record: first failing check with its first line, warnings, date', () => {
  const fail = recordFor('h', 'arm64', rows('ok', 'warn', 'fail', 'fail'), when);
  assert.deepEqual(fail, { host: 'h', goarch: 'arm64', at: when.toISOString(), ok: false, failed: 'c2: d2', warnings: ['c1'] });
  assert.equal(describeRecord(fail), 'failed: c2: d2 (2026-12-02 08:50 UTC)');
  assert.equal(describeRecord(recordFor('h', undefined, rows('ok', 'ok'), when)), 'ok (2026-12-02 08:50 UTC)');
  assert.equal(describeRecord(recordFor('h', undefined, rows('warn', 'ok'), when)), 'ok (2026-12-02 08:50 UTC); warning: c0');
  assert.equal(describeRecord(undefined), 'never checked');
});

test('written atomically, read back per host; a file naming another host is not taken', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-record-'));
  try {
    const env = { XDG_CACHE_HOME: base };
    assert.equal(readDoctorRecord('me@pi', env), undefined);
    const file = writeDoctorRecord(recordFor('me@pi', 'arm64', rows('ok'), when), env);
    assert.equal(path.dirname(file), path.join(base, 'gocpu', 'doctor'));
    assert.deepEqual(fs.readdirSync(path.dirname(file)), [path.basename(file)], 'no temporary file left');
    assert.equal(readDoctorRecord('me@pi', env)?.ok, true);
    writeDoctorRecord(recordFor('me@pi', 'arm64', rows('fail'), when), env);
    assert.equal(readDoctorRecord('me@pi', env)?.failed, 'c0: d0', 'the newer record replaces the old');
    fs.writeFileSync(path.join(base, 'gocpu', 'doctor', recordFileName('other')), JSON.stringify({ host: 'me@pi', at: 'x', ok: true }));
    assert.equal(readDoctorRecord('other', env), undefined);
    fs.writeFileSync(path.join(base, 'gocpu', 'doctor', recordFileName('bad')), '{');
    assert.equal(readDoctorRecord('bad', env), undefined);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
