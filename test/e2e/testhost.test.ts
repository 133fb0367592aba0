import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnvLines, parseShellWord } from './testhost.js';

test('parseShellWord undoes the quoting a shell script prints', () => {
  assert.equal(parseShellWord('/plain/path'), '/plain/path');
  assert.equal(parseShellWord("'/with space'"), '/with space');
  assert.equal(parseShellWord(`'it'\\''s'`), "it's");
  assert.equal(parseShellWord('"a \\"b\\" \\$c"'), 'a "b" $c');
  assert.equal(parseShellWord('a\\ b'), 'a b');
  assert.equal(parseShellWord("''"), '');
  assert.equal(parseShellWord("$'a\\nb\\tc\\'d\\x41\\101'"), "a\nb\tc'dAA");
  assert.equal(parseShellWord('/a/b\\ c'), '/a/b c');
  assert.throws(() => parseShellWord("'open"));
});

test('parseEnvLines reads export lines and ignores the rest', () => {
  const env = parseEnvLines(
    ["# comment", "export GOCPU_HOST=gocpu-test", "export GOCPU_SSH_CONFIG='/x y/ssh_config'", 'GOCPU_TESTHOST_ROOTFS="/r"', 'echo hi'].join('\n'),
  );
  assert.deepEqual(env, { GOCPU_HOST: 'gocpu-test', GOCPU_SSH_CONFIG: '/x y/ssh_config', GOCPU_TESTHOST_ROOTFS: '/r' });
});
