/**
 * src/util/code-cache.ts: a bundle's CommonJS file run from V8's code cache beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCommonJs } from '../../src/util/code-cache.js';

const codeCache = pathToFileURL(fileURLToPath(new URL('../../src/util/code-cache.js', import.meta.url))).href;

/**
 * Loads the file in a node of its own: in this one V8 may take a source it compiled before
 * from its own memory and never look at the cache (makeCache compiled it here).
 */
function loadElsewhere(file: string): { refused: boolean; rejected: boolean | null; where: unknown[]; sum: number } {
  const js =
    `import { loadCommonJs } from ${JSON.stringify(codeCache)};` +
    `const l = loadCommonJs(${JSON.stringify(file)});` +
    `console.log(JSON.stringify({ refused: l.refused, rejected: l.script.cachedDataRejected ?? null, where: l.exports.where(), sum: l.exports.sum(5) }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', js], { encoding: 'utf8' }));
}

function scratch(): { dir: string; file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-code-cache-'));
  const file = path.join(dir, 'prog.cjs');
  fs.writeFileSync(
    file,
    'const os = require("node:os");\n' +
      'exports.where = () => [__filename, __dirname, module.exports === exports, typeof os.tmpdir];\n' +
      'exports.sum = (n) => { let s = 0; for (let i = 0; i < n; i++) s += i; return s; };\n',
  );
  return { dir, file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** As hack/code-cache.mjs makes it: after running what the cache should hold. */
function makeCache(file: string): void {
  const { exports, script } = loadCommonJs(file, '/dev/null/none');
  (exports.sum as (n: number) => number)(10);
  fs.writeFileSync(`${file}.cache`, script.createCachedData());
}

test('a cache made for the file is used, and the file runs as a CommonJS module', () => {
  const s = scratch();
  try {
    makeCache(s.file);
    assert.deepEqual(loadElsewhere(s.file), { refused: false, rejected: false, where: [s.file, s.dir, true, 'function'], sum: 10 });
  } finally {
    s.cleanup();
  }
});

test('a missing, refused or stale cache: the file still runs, compiled as usual', () => {
  const s = scratch();
  try {
    assert.deepEqual(loadElsewhere(s.file), { refused: false, rejected: null, where: [s.file, s.dir, true, 'function'], sum: 10 });
    fs.writeFileSync(`${s.file}.cache`, Buffer.from('not a code cache'));
    assert.equal(loadElsewhere(s.file).refused, true);
    makeCache(s.file);
    fs.appendFileSync(s.file, 'exports.sum = (n) => -n;\n'); // the file changed since
    const stale = loadElsewhere(s.file);
    assert.equal(stale.refused, true);
    assert.equal(stale.sum, -5, 'the file as it is now');
  } finally {
    s.cleanup();
  }
});

test('this node accepts the cache the build made for each bundled program', () => {
  const bundle = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bundle');
  for (const file of ['agent/agent.cjs', 'cli/cli.cjs']) {
    const loaded = loadCommonJs(path.join(bundle, file));
    assert.ok(fs.existsSync(path.join(bundle, `${file}.cache`)), `${file}.cache was built`);
    assert.equal(loaded.refused, false, `${file}: V8 took the build's cache`);
  }
});
