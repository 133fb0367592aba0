// The comparison itself, without a test host: it must see every kind of difference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coverBlocks, coverDiff, outcomeDiff, outcomes, tally, withoutUnstable } from './compare.js';

const ev = (Action: string, Test?: string, Package = 'p') => JSON.stringify({ Time: '2026-01-01T00:00:00Z', Action, Package, Test, Elapsed: 0.1 });

test('outcomes: the last pass/fail/skip of each test and package; output and run events ignored', () => {
  const text = [ev('run', 'TestA'), ev('output', 'TestA'), ev('pass', 'TestA'), ev('skip', 'TestB'), ev('fail', 'TestC/sub'), ev('fail', 'TestC'), ev('fail'), ''].join('\n');
  const m = outcomes(text);
  assert.deepEqual([...m], [['p', 'fail'], ['p TestA', 'pass'], ['p TestB', 'skip'], ['p TestC', 'fail'], ['p TestC/sub', 'fail']]);
  assert.deepEqual(tally(m), { pass: 1, fail: 2, skip: 1 });
  assert.throws(() => outcomes('ok  \tp\t0.1s\n'), /not a JSON line/);
});

test('outcomeDiff: a changed outcome and a test on one side only', () => {
  const local = outcomes([ev('pass', 'TestA'), ev('pass', 'TestB'), ev('pass')].join('\n'));
  const remote = outcomes([ev('fail', 'TestA'), ev('pass', 'TestX'), ev('pass')].join('\n'));
  assert.deepEqual(outcomeDiff(local, remote), ['p TestA: local pass, remote fail', 'p TestB: local pass, remote absent', 'p TestX: local absent, remote pass']);
  assert.deepEqual(outcomeDiff(local, local), []);
});

test('coverBlocks: set mode only, order-free; coverDiff names the block on each side', () => {
  const a = coverBlocks('mode: set\nf.go:1.1,2.2 1 1\nf.go:3.1,4.2 1 0\n');
  const b = coverBlocks('mode: set\nf.go:3.1,4.2 1 1\nf.go:1.1,2.2 1 1\n');
  assert.deepEqual(coverDiff(a, a), []);
  assert.deepEqual(coverDiff(a, b), ['local only:  f.go:3.1,4.2 1 0', 'remote only: f.go:3.1,4.2 1 1']);
  assert.throws(() => coverBlocks('mode: count\nf.go:1.1,2.2 1 5\n'), /set/);
});

test('withoutUnstable: only the named blocks lose their covered flag; a stale name fails', () => {
  const a = ['f.go:1.1,2.2 1 1', 'f.go:3.1,4.2 1 0'];
  const b = ['f.go:1.1,2.2 1 0', 'f.go:3.1,4.2 1 0'];
  assert.deepEqual(coverDiff(withoutUnstable(a, ['f.go:1.1,2.2']), withoutUnstable(b, ['f.go:1.1,2.2'])), []);
  assert.notDeepEqual(coverDiff(withoutUnstable(a, ['f.go:3.1,4.2']), withoutUnstable(b, ['f.go:3.1,4.2'])), []);
  assert.throws(() => withoutUnstable(a, ['g.go:1.1,2.2']), /not in the profile/);
});
