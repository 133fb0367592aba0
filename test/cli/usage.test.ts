import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HELP_TOPICS, helpText, USAGE } from '../../src/cli/usage.js';

test('the overview lists every verb and every help topic', () => {
  assert.equal(helpText(), USAGE);
  assert.match(USAGE, /^usage:\n/);
  for (const v of ['gocpu exec', 'gocpu doctor', 'gocpu install', 'gocpu uninstall', 'gocpu hosts', 'gocpu version', 'gocpu help', 'gocpu [-host=H] [COMMAND', 'go_linux_ARCH_exec']) assert.ok(USAGE.includes(v), v);
  for (const t of HELP_TOPICS) assert.ok(USAGE.includes(t), t);
});

test('each verb has its own page: a usage line first, and an example', () => {
  const first: Record<string, RegExp> = {
    exec: /^usage: gocpu exec \[--host H\] \[--target linux\/ARCH\] PROGRAM \[ARGS\.\.\.\]$/,
    doctor: /^usage: gocpu doctor \[--target linux\/ARCH\] \[HOST\]$/,
    command: /^usage: gocpu \[-host=H\] \[--target linux\/ARCH\] \[-ro\] \[-export PATH\] \[-export-rw PATH\] \[COMMAND \[ARGS\.\.\.\]\]$/,
    install: /^usage: gocpu install \[--force\] \[DIR\]$/,
    uninstall: /^usage: gocpu uninstall \[DIR\]$/,
    hosts: /^usage: gocpu hosts$/,
    version: /^usage: gocpu version /,
    help: /^usage: gocpu help \[VERB\]/,
  };
  assert.deepEqual(Object.keys(first).sort(), [...HELP_TOPICS].sort());
  for (const t of HELP_TOPICS) {
    const page = helpText(t);
    assert.match(page.split('\n')[0], first[t], t);
    const example = /\nexample:\n((?: {2}\S.*\n?)+)/.exec(page);
    assert.ok(example, `${t} has an example`);
    assert.ok(example[1].includes(t === 'command' ? 'gocpu -host=' : `gocpu ${t}`), `${t}'s example uses it: ${example[1]}`);
    assert.ok(!page.includes('\t'));
  }
});

test('the overview and the command page say that verbs win and -- runs any command remotely', () => {
  for (const page of [USAGE, helpText('command')]) {
    assert.match(page.replace(/\s+/g, ' '), /gocpu -- CMD always runs CMD remotely/);
  }
  assert.match(helpText('command'), /exec, doctor, install, uninstall, hosts, version, help/);
});

test('the command page says what no command, a terminal and the export flags do', () => {
  const page = helpText('command');
  for (const w of ['login shell', 'pty', '^C', '-ro ', '-export PATH ', '-export-rw PATH ', '--host H', 'gocpu -- CMD always runs CMD remotely']) assert.ok(page.includes(w), w);
});
