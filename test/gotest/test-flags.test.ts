import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calledByGoTest, testFlags, testLogFile, writableDirs } from '../../src/gotest/test-flags.js';

const GO = ['-test.paniconexit0', '-test.timeout=10m0s'];

test('flags are read up to the first positional argument', () => {
  const f = testFlags(['-test.v', '--test.run', 'X', '-test.coverprofile', '/w/c.out', 'pos', '-test.cpu=4']);
  assert.equal(f.get('v'), 'true', 'a boolean written alone');
  assert.equal(f.get('run'), 'X', 'a string flag written apart takes the next word');
  assert.equal(f.get('coverprofile'), '/w/c.out');
  assert.equal(f.has('cpu'), false);
});

test('the go command is recognised by -test.paniconexit0', () => {
  assert.equal(calledByGoTest(GO), true);
  assert.equal(calledByGoTest(['-test.v']), false);
});

test('testlogfile goes next to the binary, only for go test, never twice', () => {
  assert.equal(testLogFile(GO, '/tmp/go-build1/b001/p.test'), '-test.testlogfile=/tmp/go-build1/b001/testlog.txt');
  assert.equal(testLogFile(['-test.v'], '/x/p.test'), undefined);
  assert.equal(testLogFile([...GO, '-test.testlogfile=/y'], '/x/p.test'), undefined);
});

test('output directories come from outputdir and the profile flags', () => {
  const dirs = writableDirs(
    ['-test.outputdir=/home/u/proj', '-test.cpuprofile=cpu.out', '-test.coverprofile=/tmp/w/b001/_cover_.out', '-test.gocoverdir=/tmp/w/b001/gocoverdir'],
    '/home/u/proj/pkg',
  );
  assert.deepEqual(dirs.sort(), ['/home/u/proj', '/tmp/w/b001', '/tmp/w/b001/gocoverdir']);
  assert.deepEqual(writableDirs(['-test.coverprofile=c.out'], '/p'), ['/p']);
});
