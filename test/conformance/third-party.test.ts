/**
 * Issue 10, "third-party suites as the proof": real Go test suites from Debian's
 * golang-*-dev packages, run with GOARCH=arm64 locally (qemu-user) and through the
 * wrapper on the test host, in every gocpu mode of MODES. Every test and package must
 * end the same way and cover the same blocks; a difference is a bug in gocpu.
 *
 * Both ways (issue 10, "the test's uid as local"): as the runner's user (root in CI:
 * the remote test is root of the view), and as `nobody` on both sides (the remote test
 * is the remote user's own uid). Every suite runs as nobody in every mode: with them
 * the whole folder took 2 min 15 s to 2 min 20 s on a loaded 2-core machine.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { goEnv } from '../e2e/harness.js';
import { requireRoot, unprivileged, type Unprivileged } from '../e2e/unprivileged.js';
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

let nobody: Unprivileged | undefined;
after(() => nobody?.cleanup());

/** `nobody`, made once for the file: its agent and GOCACHE stay warm between suites. */
function asNobody(): Unprivileged {
  requireRoot('the unprivileged reference run');
  nobody ??= unprivileged();
  return nobody;
}

for (const who of ['runner', 'nobody'] as const) {
  for (const mode of MODES) {
    for (const s of SUITES) {
      const as = who === 'nobody' ? ', as nobody on both sides' : '';
      test(`${mode}${as}: ${s.importPath} (${s.deb}) ends every test and covers every block as locally`, async (t) => {
        const dir = suiteDir(s);
        const user = who === 'nobody' ? asNobody() : undefined;
        const p = await runPair({ cwd: dir, args: [...runFilter(s, dir), ...s.packages], env: GOPATH_ENV, mode, as: user });
        t.diagnostic(summary(p));
        assert.equal(p.local.run.code, 0, `the local reference run failed; pick tests that pass here:\n${p.local.run.stdout.slice(-4000)}${p.local.run.stderr}`);
        assert.ok([...p.local.outcomes.values()].filter((v) => v === 'pass').length >= 3, 'the local run passed almost nothing');
        assert.ok(p.local.blocks.length > 0, 'the local run wrote no coverage');
        assertConforms(p, `${s.importPath} in ${mode} mode${user ? ' as nobody' : ''}`, s.unstableBlocks?.blocks);
      });
    }
  }
}
