// bench/report.mjs: a BENCH_ONLY run updates its own rows of RESULTS.md and keeps the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultsMarkdown, mergeResults } from './report.mjs';

const machine = (date, load) => ({ date, cpus: '2 × test', load, gocpu: '0.1.0 (abc)' });
const section = (title, runs, value) => ({
  title,
  runs,
  rows: [{ label: 'gocpu', unit: 'ms', value }],
});
const full = resultsMarkdown({
  machine: machine('2026-01-01T00:00:00Z', '0.10 0.10 0.10'),
  sections: [section('alpha', 3, 100), section('pool', 3, 5000)],
  failures: [],
  runs: 3,
  loadAfter: '0.20 0.20 0.20',
});
const tableRows = (text) => text.split('\n').filter((l) => /^\| [^w-]/.test(l));

test('a BENCH_ONLY run replaces its own rows and keeps the others and the machine block', () => {
  const merged = mergeResults(full, {
    machine: machine('2026-02-02T00:00:00Z', '1.00 1.00 1.00'),
    sections: [section('pool', 1, 7000)],
    failures: [],
    runs: 1,
    loadAfter: '2.00 2.00 2.00',
    only: ['pool'],
  });
  assert.deepEqual(tableRows(merged), ['| alpha (3×) | gocpu | 100 ms |  |  |', '| pool (1×) | gocpu | 7.00 s |  |  |']);
  assert.match(merged, /- date: 2026-01-01T00:00:00Z/);
  assert.match(merged, /^- pool: 2026-02-02T00:00:00Z, BENCH_RUNS=1, .*load average before 1\.00 1\.00 1\.00, after 2\.00 2\.00 2\.00$/m);
});

test('a second BENCH_ONLY run of the same rows replaces their note; another section adds its rows and note', () => {
  const again = (text, name, date, value, failures = []) =>
    mergeResults(text, { machine: machine(date, '1 1 1'), sections: [section(name, 1, value)], failures, runs: 1, loadAfter: '1 1 1', only: [name] });
  let merged = again(full, 'pool', 'D1', 7000);
  merged = again(merged, 'pool', 'D2', 8000);
  merged = again(merged, 'beta', 'D3', 50, ['beta: exit 1\ntail']);
  assert.deepEqual(tableRows(merged), ['| alpha (3×) | gocpu | 100 ms |  |  |', '| pool (1×) | gocpu | 8.00 s |  |  |', '| beta (1×) | gocpu | 50 ms |  |  |']);
  const notes = merged.split('\n').filter((l) => /^- (pool|beta): /.test(l));
  assert.equal(notes.length, 2);
  assert.match(notes[0], /^- pool: D2,/);
  assert.match(notes[1], /^- beta: D3, .*; did not run: beta: exit 1$/);
});

test('an older note keeps only the sections a later BENCH_ONLY run did not measure again', () => {
  const run = (text, only, date) =>
    mergeResults(text, { machine: machine(date, '1 1 1'), sections: only.map((n) => section(n, 1, 10)), failures: [], runs: 1, loadAfter: '1 1 1', only });
  let merged = run(full, ['alpha', 'beta', 'pool'], 'D1');
  merged = run(merged, ['alpha'], 'D2');
  merged = run(merged, ['beta', 'pool'], 'D3');
  const notes = merged.split('\n').filter((l) => /^- [a-z, ]+: D\d,/.test(l));
  assert.deepEqual(notes.map((l) => l.slice(0, l.indexOf(': D') + 4)), ['- alpha: D2', '- beta, pool: D3']);
});

test('a BENCH_ONLY run of a section in the middle keeps its rows where they were', () => {
  const three = resultsMarkdown({
    machine: machine('2026-01-01T00:00:00Z', '0.10 0.10 0.10'),
    sections: [section('alpha', 3, 100), section('beta', 3, 200), section('pool', 3, 5000)],
    failures: [],
    runs: 3,
    loadAfter: '0.20 0.20 0.20',
  });
  const merged = mergeResults(three, { machine: machine('D', '1 1 1'), sections: [section('beta', 1, 300)], failures: [], runs: 1, loadAfter: '1 1 1', only: ['beta'] });
  assert.deepEqual(tableRows(merged), ['| alpha (3×) | gocpu | 100 ms |  |  |', '| beta (1×) | gocpu | 300 ms |  |  |', '| pool (3×) | gocpu | 5.00 s |  |  |']);
});
