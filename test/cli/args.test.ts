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

test('gocpu version / --version / -version; version is a verb only as the first word', () => {
  for (const a of [['version'], ['--version'], ['-version']]) assert.equal(parseGocpuArgs(a).verb, 'version', a.join(' '));
  const remote = ['-host=pi', 'version'];
  const p = parseGocpuArgs(remote);
  assert.equal(p.verb, 'generic');
  assert.deepEqual(remote.slice(p.commandIndex), ['version']);
  const dashed = ['--', 'version'];
  assert.deepEqual(dashed.slice(parseGocpuArgs(dashed).commandIndex), ['version']);
  assert.throws(() => parseGocpuArgs(['version', 'x']), (e: unknown) => e instanceof GocpuError && e.code === 'USAGE' && /gocpu -- version/.test(e.hint ?? ''));
});

test('gocpu help [VERB] and VERB --help name the verb; --help alone is the overview', () => {
  const topic = (a: string[]) => {
    const p = parseGocpuArgs(a);
    assert.equal(p.verb, 'help', a.join(' '));
    return p.helpTopic;
  };
  assert.equal(topic(['help']), undefined);
  assert.equal(topic(['--help']), undefined);
  assert.equal(topic(['-h']), undefined);
  assert.equal(topic(['-host=pi', '--help']), undefined);
  for (const v of ['exec', 'doctor', 'command', 'version', 'help']) assert.equal(topic(['help', v]), v);
  assert.equal(topic(['exec', '--help']), 'exec');
  assert.equal(topic(['exec', '-help']), 'exec');
  assert.equal(topic(['doctor', '--help']), 'doctor');
  assert.equal(topic(['doctor', '--target', 'arm64', 'me@pi', '--help']), 'doctor');
  assert.equal(topic(['version', '--help']), 'version');
  assert.equal(topic(['help', '--help']), 'help');
  assert.throws(() => parseGocpuArgs(['help', 'frobnicate']), /no help for "frobnicate"/);
  assert.throws(() => parseGocpuArgs(['help', 'exec', 'doctor']), (e: unknown) => e instanceof GocpuError && e.code === 'USAGE');
});

test("--help after exec's program belongs to the program", () => {
  const a = ['exec', './x.test', '--help'];
  const p = parseGocpuArgs(a);
  assert.equal(p.verb, 'exec');
  assert.deepEqual(a.slice(p.commandIndex), ['./x.test', '--help']);
});

test('every verb wins as the first word; `gocpu -- CMD` (or a flag first) always runs CMD remotely', () => {
  const verbs = ['exec', 'doctor', 'install', 'uninstall', 'hosts', 'version', 'help'];
  for (const v of verbs) {
    assert.notEqual(parseGocpuArgs([v]).verb, 'generic', `gocpu ${v} is the verb`);
    for (const a of [['--', v, 'x'], ['-host=pi', v, 'x'], ['--host', 'pi', '--', v, 'x']]) {
      const p = parseGocpuArgs(a);
      assert.equal(p.verb, 'generic', a.join(' '));
      assert.deepEqual(a.slice(p.commandIndex), [v, 'x'], a.join(' '));
    }
  }
});

test('install [--force] [DIR], uninstall [DIR], hosts; --help anywhere is their help', () => {
  assert.deepEqual(parseGocpuArgs(['install']), { verb: 'install', dir: undefined, force: false, commandIndex: 1 });
  assert.deepEqual(parseGocpuArgs(['install', '--force', '/x y']), { verb: 'install', dir: '/x y', force: true, commandIndex: 3 });
  assert.equal(parseGocpuArgs(['install', '-force', 'd']).force, true);
  assert.equal(parseGocpuArgs(['install', '--', '-odd']).dir, '-odd');
  assert.equal(parseGocpuArgs(['uninstall', 'd']).dir, 'd');
  assert.equal(parseGocpuArgs(['hosts']).verb, 'hosts');
  for (const v of ['install', 'uninstall', 'hosts']) {
    assert.deepEqual([parseGocpuArgs([v, '--help']).verb, parseGocpuArgs([v, '--help']).helpTopic], ['help', v]);
    assert.equal(parseGocpuArgs(['help', v]).helpTopic, v);
  }
  assert.equal(parseGocpuArgs(['install', 'd', '-h']).helpTopic, 'install');
  const usage = (a: string[], re: RegExp) => assert.throws(() => parseGocpuArgs(a), (e: unknown) => e instanceof GocpuError && e.code === 'USAGE' && re.test(e.message));
  usage(['install', 'a', 'b'], /too many arguments/);
  usage(['uninstall', '--force'], /unknown flag --force/);
  usage(['hosts', 'x'], /too many arguments/);
  usage(['install', '--frce'], /unknown flag --frce/);
});

test('-ro, -export and -export-rw (repeatable, either dash style, paths with ":"), then the command', () => {
  const a = ['-host=pi', '-ro', '-export', '/srv/a:b', '--export-rw=/tmp/out', '-export=rel/dir', 'make', '-export', 'x'];
  const p = parseGocpuArgs(a);
  assert.equal(p.verb, 'generic');
  assert.equal(p.readOnly, true);
  assert.deepEqual(p.exports, [
    { path: '/srv/a:b', writable: false },
    { path: '/tmp/out', writable: true },
    { path: 'rel/dir', writable: false },
  ]);
  assert.deepEqual(a.slice(p.commandIndex), ['make', '-export', 'x']);
  const q = parseGocpuArgs(['--host', 'pi']);
  assert.equal(q.host, 'pi');
  assert.equal(q.readOnly, undefined);
  assert.equal(q.exports, undefined);
  assert.equal(q.commandIndex, 2, 'no command: the login shell');
  assert.throws(() => parseGocpuArgs(['-export']), (e: unknown) => e instanceof GocpuError && e.code === 'USAGE');
});
