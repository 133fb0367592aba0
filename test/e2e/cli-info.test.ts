// gocpu's information verbs through the real bin/ shim: no host, no GOARCH, no test
// host needed; each exits 0 with its page on stdout and nothing on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binDir, repoRoot, run, tempDir } from './harness.js';

const gocpu = path.join(binDir, 'gocpu');
const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** This environment without anything that names a target or a host. */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(GOARCH|GOOS|GOCPU_)/.test(k)) env[k] = v;
  return env;
}

const cases: [string[], RegExp][] = [
  [['version'], new RegExp(`^gocpu ${version.replace(/\./g, '\\.')}$`)],
  [['--version'], new RegExp(`^gocpu ${version.replace(/\./g, '\\.')}$`)],
  [['-version'], new RegExp(`^gocpu ${version.replace(/\./g, '\\.')}$`)],
  [['help'], /^usage:$/],
  [['--help'], /^usage:$/],
  [['help', 'doctor'], /^usage: gocpu doctor \[--target linux\/ARCH\] \[HOST\]$/],
  [['doctor', '--help'], /^usage: gocpu doctor \[--target linux\/ARCH\] \[HOST\]$/],
  [['help', 'exec'], /^usage: gocpu exec /],
  [['exec', '--help'], /^usage: gocpu exec /],
  [['help', 'command'], /^usage: gocpu \[-host=H\] /],
  [['help', 'version'], /^usage: gocpu version /],
  [['version', '--help'], /^usage: gocpu version /],
  [['help', 'help'], /^usage: gocpu help /],
  [['help', 'install'], /^usage: gocpu install \[--force\] \[DIR\]$/],
  [['install', '--help'], /^usage: gocpu install /],
  [['uninstall', '-h'], /^usage: gocpu uninstall \[DIR\]$/],
  [['hosts', '--help'], /^usage: gocpu hosts$/],
];

test('bin/gocpu version, --version, help and VERB --help exit 0 with the expected first line', { timeout: 60_000 }, async () => {
  const t = tempDir();
  try {
    for (const [args, first] of cases) {
      const r = await run(gocpu, args, { cwd: t.dir, env: bareEnv(), timeoutMs: 20_000 });
      const what = `gocpu ${args.join(' ')}: ${r.output}`;
      assert.equal(r.code, 0, what);
      assert.equal(r.stderr, '', what);
      assert.match(r.stdout.split('\n')[0], first, what);
      if (args.includes('help') || args.includes('--help')) assert.match(r.stdout, /\nexample:\n|\nverbs for help: /, what);
    }
  } finally {
    t.cleanup();
  }
});

test('bin/gocpu help with an unknown verb, or no command and no host, is a usage error (125) pointing at the help', { timeout: 30_000 }, async () => {
  const t = tempDir();
  try {
    const r = await run(gocpu, ['help', 'frobnicate'], { cwd: t.dir, env: bareEnv(), timeoutMs: 20_000 });
    assert.equal(r.code, 125, r.output);
    assert.match(r.stderr, /^gocpu: local: no help for "frobnicate" \(gocpu help VERB, VERB one of: exec, doctor, command, install, uninstall, hosts, version, help\)\n$/);
    const bare = await run(gocpu, [], { cwd: t.dir, env: bareEnv(), timeoutMs: 20_000 });
    assert.equal(bare.code, 125, bare.output);
    // No command is the login shell (issue 9): without a host to run it on, a usage error.
    assert.match(bare.stderr, /^gocpu: local: which host\? \(usage: gocpu \[-host=H\] \[COMMAND \[ARGS\.\.\.\]\]; gocpu help lists every verb\)\n$/);
  } finally {
    t.cleanup();
  }
});
