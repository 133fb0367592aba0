import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { directives, localModuleDirs, replaceDirs } from '../../src/gotest/local-modules.js';
import { tempDirUntilExit } from '../temp-dir.js';

function tree(files: Record<string, string>): string {
  const root = tempDirUntilExit('gocpu-locmod-');
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  return root;
}

test('directives: single lines and blocks, comments and quoted paths', () => {
  const text = [
    'module m // the main module',
    'use ./a',
    'use (',
    '\t./b // second',
    '\t"../c d"',
    '',
    ')',
    '// use ./commented',
  ].join('\n');
  assert.deepEqual(directives(text, 'use'), [['./a'], ['./b'], ['../c d']]);
});

test('replaceDirs: only replacements that name a directory, resolved from the file\'s directory', () => {
  const text = [
    'replace example.com/a => ../a',
    'replace example.com/b v1.2.3 => ./b // pinned',
    'replace (',
    '\texample.com/c => example.com/fork/c v1.0.0',
    '\texample.com/d => /abs/d',
    '\texample.com/e => ..',
    ')',
    'require example.com/f v1.0.0',
  ].join('\n');
  assert.deepEqual(replaceDirs(text, '/m/app'), ['/m/a', '/m/app/b', '/abs/d', '/m']);
});

test('module mode: the main module\'s replace targets that exist; a dependency\'s own replaces are not go\'s', () => {
  const r = tree({
    'app/go.mod': 'module app\nreplace x => ../shared\nreplace y => ../missing\nreplace z => example.com/z v1.0.0\n',
    'app/p/x.go': '',
    'shared/go.mod': 'module x\nreplace w => ../deeper\n',
    'deeper/go.mod': 'module w\n',
  });
  assert.deepEqual(localModuleDirs(join(r, 'app/p'), {}), [join(r, 'shared')]);
  assert.deepEqual(localModuleDirs(join(r, 'gopath/src/p'), {}), [], 'no go.mod: GOPATH mode has no replace');
});

test('workspace mode: go.work uses and replaces plus each used module\'s replaces; GOWORK=off and GOWORK=FILE as go reads them', () => {
  const r = tree({
    'ws/go.work': 'go 1.19\nuse (\n\t./app\n\t../outer\n)\nreplace r => ../wsrepl\n',
    'ws/app/go.mod': 'module app\nreplace q => ../../modrepl\n',
    'ws/app/p/x.go': '',
    'outer/go.mod': 'module outer\n',
    'wsrepl/go.mod': 'module r\n',
    'modrepl/go.mod': 'module q\n',
    'other.work': 'go 1.19\nuse ./outer\n',
  });
  const pkg = join(r, 'ws/app/p');
  assert.deepEqual(localModuleDirs(pkg, {}).sort(), [join(r, 'modrepl'), join(r, 'outer'), join(r, 'ws/app'), join(r, 'wsrepl')].sort());
  assert.deepEqual(localModuleDirs(pkg, { GOWORK: 'off' }), [join(r, 'modrepl')]);
  assert.deepEqual(localModuleDirs(pkg, { GOWORK: join(r, 'other.work') }), [join(r, 'outer')]);
});
