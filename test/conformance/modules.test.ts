/**
 * Issue 10, module-mode edge cases, compared with a local arm64 run in every gocpu
 * mode of MODES: a go.work workspace whose modules lie below and beside it, a
 * `replace` to a sibling directory outside the module, a package in GOROOT, and a
 * test reading `../othermodule/testdata` that belongs to no module of the build.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixtureDir, tempDir } from '../e2e/harness.js';
import { MODES } from './modes.js';
import { assertConforms, runPair, summary } from './pair.js';

const fx = (rel: string) => path.join(fixtureDir('conformance'), rel);

// A config of our own: the user's ~/.config/gocpu/config.json must not decide these runs.
const cfg = tempDir();
after(cfg.cleanup);
function config(name: string, body: unknown): string {
  const file = path.join(cfg.dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(body));
  return file;
}
const EMPTY = { GOCPU_CONFIG: config('empty', {}) };
const OTHER = fx('outside/othermodule');
const EXPORTS_OTHER = { GOCPU_CONFIG: config('exports-other', { exports: [{ path: OTHER }] }) };

/** The local run's outcomes for the tests named, in order. */
function ended(p: Awaited<ReturnType<typeof runPair>>, side: 'local' | 'remote', pkg: string, tests: string[]): string[] {
  return tests.map((t) => `${t} ${p[side].outcomes.get(`${pkg} ${t}`) ?? 'absent'}`);
}

for (const mode of MODES) {
  test(`${mode}: a go.work workspace using ./app, ./inner and ../outer (beside the workspace) runs as locally`, async (t) => {
    const p = await runPair({ cwd: fx('work/ws/app'), args: ['.'], remoteEnv: EMPTY, mode });
    t.diagnostic(summary(p));
    assert.deepEqual(ended(p, 'local', 'example.com/conf/ws/app', ['TestInner', 'TestBoth', 'TestSkipped']),
      ['TestInner pass', 'TestBoth pass', 'TestSkipped skip'], p.local.run.stdout);
    assertConforms(p, `go.work workspace in ${mode} mode`);
  });

  test(`${mode}: a module with replace => ../shared (a sibling outside the module) reads the sibling's testdata as locally`, async (t) => {
    const p = await runPair({ cwd: fx('replace/app'), args: ['.'], remoteEnv: EMPTY, mode });
    t.diagnostic(summary(p));
    assert.deepEqual(ended(p, 'local', 'example.com/conf/app', ['TestSharedFixture', 'TestKind', 'TestSkipped']),
      ['TestSharedFixture pass', 'TestKind pass', 'TestSkipped skip'], p.local.run.stdout);
    assertConforms(p, `replace to a sibling in ${mode} mode`);
  });

  test(`${mode}: go test -short strings (a package in GOROOT) runs as locally`, async (t) => {
    const p = await runPair({ cwd: fx('outside/app'), args: ['-short', 'strings'], remoteEnv: EMPTY, mode });
    t.diagnostic(summary(p));
    assert.equal(p.local.run.code, 0, p.local.run.stdout.slice(-4000));
    assert.ok([...p.local.outcomes.values()].filter((v) => v === 'pass').length >= 50, 'strings: too few tests passed locally');
    assertConforms(p, `go test -short strings in ${mode} mode`);
  });

  test(`${mode}: a test reading ../othermodule/testdata (outside every module) fails naming the path, and passes with that directory in "exports"`, async (t) => {
    const pkg = 'example.com/conf/outside/app';
    const bare = await runPair({ cwd: fx('outside/app'), args: ['.'], remoteEnv: EMPTY, mode });
    t.diagnostic(summary(bare));
    assert.deepEqual(ended(bare, 'local', pkg, ['TestOtherModule']), ['TestOtherModule pass'], bare.local.run.stdout);
    assert.deepEqual(ended(bare, 'remote', pkg, ['TestOtherModule']), ['TestOtherModule fail'], bare.remote.run.stdout);
    assert.match(bare.remote.run.stdout, /open \.\.\/othermodule\/testdata\/data\.txt: no such file or directory/);

    const exported = await runPair({ cwd: fx('outside/app'), args: ['.'], remoteEnv: EXPORTS_OTHER, mode });
    assertConforms(exported, `../othermodule exported by the config, ${mode} mode`);
  });

  test(`${mode}: the failure of a read outside the exports names the "exports" entry that fixes it`, async () => {
    const p = await runPair({ cwd: fx('outside/app'), args: ['.'], remoteEnv: EMPTY, mode });
    const text = p.remote.run.stdout + p.remote.run.stderr;
    // go test -json quotes the line: its quotes arrive escaped.
    assert.ok(text.includes(OTHER) && /\\?"exports\\?" in the gocpu config/.test(text), `no line names ${OTHER} and the "exports" config entry:\n${text}`);
  });
}
