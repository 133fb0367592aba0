/**
 * Issue 10, "third-party suites as the proof": real Go test suites from Debian's
 * golang-*-dev packages, run with GOARCH=arm64 locally (qemu-user) and through the
 * wrapper on the test host, in every gocpu mode of MODES. Every test and package must
 * end the same way and cover the same blocks; a difference is a bug in gocpu.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { goEnv } from '../e2e/harness.js';
import { MODES } from './modes.js';
import { assertConforms, runPair, summary } from './pair.js';
import { GOPATH, GOPATH_ENV, SUITES, type Suite } from './suites.js';

function suiteDir(s: Suite): string {
  const dir = path.join(GOPATH, 'src', s.importPath);
  assert.ok(fs.existsSync(dir), `${dir} does not exist: install ${s.deb} (hack/install-deps does)`);
  return dir;
}

/** `-run` for every top-level test and example of the packages except the excluded ones. */
function runFilter(s: Suite, dir: string): string[] {
  if (!s.exclude) return [];
  const out = execFileSync('go', ['test', '-list', '.', ...s.packages], {
    cwd: dir,
    env: goEnv({ env: { ...GOPATH_ENV, CGO_ENABLED: '0' } }),
    encoding: 'utf8',
  });
  const names = [...new Set(out.split('\n').filter((l) => /^(Test|Example|Fuzz)\w*$/.test(l)))];
  for (const x of s.exclude.tests) assert.ok(names.includes(x), `${s.importPath}: excluded test ${x} does not exist any more`);
  const keep = names.filter((n) => !s.exclude!.tests.includes(n));
  return ['-run', `^(${keep.join('|')})$`];
}

for (const mode of MODES) {
  for (const s of SUITES) {
    test(`${mode}: ${s.importPath} (${s.deb}) ends every test and covers every block as locally`, async (t) => {
      const dir = suiteDir(s);
      const p = await runPair({ cwd: dir, args: [...runFilter(s, dir), ...s.packages], env: GOPATH_ENV, mode });
      t.diagnostic(summary(p));
      assert.equal(p.local.run.code, 0, `the local reference run failed; pick tests that pass here:\n${p.local.run.stdout.slice(-4000)}${p.local.run.stderr}`);
      assert.ok([...p.local.outcomes.values()].filter((v) => v === 'pass').length >= 3, 'the local run passed almost nothing');
      assert.ok(p.local.blocks.length > 0, 'the local run wrote no coverage');
      assertConforms(p, `${s.importPath} in ${mode} mode`, s.unstableBlocks?.blocks);
    });
  }
}
