import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGocpuArgs } from '../../src/cli/args.js';
import { GocpuError } from '../../src/errors.js';

test('gocpu exec: our flags, then the command verbatim', () => {
  const argv = ['exec', '--host', 'pi', '--target=linux/riscv64', './x.test', '-test.v', '--host', 'not ours'];
  const p = parseGocpuArgs(argv);
  assert.equal(p.verb, 'exec');
  assert.equal(p.host, 'pi');
  assert.deepEqual(p.target, { goos: 'linux', goarch: 'riscv64' });
  assert.deepEqual(argv.slice(p.commandIndex), ['./x.test', '-test.v', '--host', 'not ours']);
});

test("the seed's Go-style single-dash flags, and -- before a command that looks like a flag", () => {
  const a = ['-host=rpi3', 'uname', '-a'];
  const p = parseGocpuArgs(a);
  assert.equal(p.verb, 'generic');
  assert.equal(p.host, 'rpi3');
  assert.deepEqual(a.slice(p.commandIndex), ['uname', '-a']);
  const b = ['-host', 'rpi3', '--', '-weird'];
  assert.deepEqual(b.slice(parseGocpuArgs(b).commandIndex), ['-weird']);
});

test('doctor takes the host as its word; help and version', () => {
  const d = parseGocpuArgs(['doctor', '--target', 'arm64', 'me@pi']);
  assert.equal(d.verb, 'doctor');
  assert.equal(d.host, 'me@pi');
  assert.equal(parseGocpuArgs(['--help']).verb, 'help');
  assert.equal(parseGocpuArgs(['-version']).verb, 'version');
});

test('unknown flags and targets are usage errors', () => {
  assert.throws(() => parseGocpuArgs(['--hots', 'x', 'cmd']), (e: unknown) => e instanceof GocpuError && e.code === 'USAGE');
  assert.throws(() => parseGocpuArgs(['exec', '--target', 'linux/vax', 'x']), /unknown target "linux\/vax"/);
});
