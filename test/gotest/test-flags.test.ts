import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calledByGoTest, flagUses, testFlags, testLogFile } from '../../src/gotest/test-flags.js';

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
  assert.deepEqual(testLogFile(GO, '/tmp/go-build1/b001/p.test'), { flag: '-test.testlogfile=/tmp/go-build1/b001/testlog.txt', path: '/tmp/go-build1/b001/testlog.txt' });
  assert.equal(testLogFile(['-test.v'], '/x/p.test'), undefined);
  assert.equal(testLogFile([...GO, '-test.testlogfile=/y'], '/x/p.test'), undefined);
});

test('flag uses say where each value sits, joined or apart', () => {
  const uses = flagUses(['-test.v', '--test.cpuprofile', 'c.out', '-test.outputdir=/m', '-test.v=false', 'pos', '-test.trace=t']);
  assert.deepEqual(uses, [
    { name: 'v', value: 'true', valueIndex: 0, prefix: '' },
    { name: 'cpuprofile', value: 'c.out', valueIndex: 2, prefix: '' },
    { name: 'outputdir', value: '/m', valueIndex: 3, prefix: '-test.outputdir=' },
    { name: 'v', value: 'false', valueIndex: 4, prefix: '-test.v=' },
  ]);
});
