/**
 * Done means: -run patterns and -args reach the remote test binary byte for byte,
 * whatever a shell would make of them (spaces, quotes, $(...), globs, newlines,
 * backslashes, non-ASCII), with PATH discovery and with `go test -exec 'gocpu exec ...'`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertSameRun, binDir, describeRun, fixtureDir, goTest, randomToken, testHost } from './harness.js';
import { remoteShOk } from './remote-sh.js';

const token = randomToken();
const names = ['a', 'b', 'c'].map((x) => `gocpu-e2e-pwned-${token}-${x}`);
// Witnesses of an injection: /tmp here and on the remote (the test host's own tmpfs),
// and the remote user's home, which the test's view shares with the real remote
// (a write to the view's top-level /tmp would vanish with the view).
const pwned = names.map((n) => `/tmp/${n} /home/gocpu/${n}`);

// The first argument is not a flag, so the testing package's flag parsing stops there
// and flag.Args() is the whole list.
const ARGS = [
  'plain',
  'with space',
  '  leading and trailing  ',
  '',
  "single'quote",
  'double"quote',
  `it's "both"`,
  `$(touch ${pwned[0]})`,
  `\`touch ${pwned[1]}\``,
  `; touch ${pwned[2]}`,
  '$HOME ${PATH} $1 $@ $$',
  '*',
  '*.go',
  '?',
  '[a-z]*',
  '{a,b}',
  '~',
  '~root/x',
  'back\\slash',
  'trailing backslash\\',
  '\\n is not a newline',
  'new\nline',
  '\n',
  'tab\there',
  'cr\r\nlf',
  'semi;colon && and || or | pipe & amp',
  '>redirect <in 2>&1',
  '# not a comment',
  '!bang !! !$',
  '%s %d %%',
  'a=b',
  '-notaflag',
  '--',
  'héllo wörld ☃ 日本語 \u{1F600}',
  '\u00a0nbsp\u200bzwsp',
  'x'.repeat(2000),
];

function hexLines(args: readonly string[]): string[] {
  return [`nargs ${args.length}`, ...args.map((a, i) => `arg ${i} ${Buffer.from(a, 'utf8').toString('hex')}`)];
}

function printedArgs(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /^(nargs|arg) \d/.test(l));
}

async function assertNotPwned(): Promise<void> {
  const th = testHost();
  for (const n of names) {
    assert.ok(!fs.existsSync(`/tmp/${n}`), `an argument was run as a command locally: /tmp/${n} exists`);
    assert.ok(!fs.existsSync(path.join(th.rootfs, 'home/gocpu', n)), `an argument was run as a command on the remote: /home/gocpu/${n} exists`);
  }
  const remoteTmp = await remoteShOk(`ls -a /tmp`, 'root');
  for (const n of names) assert.ok(!remoteTmp.split('\n').includes(n), `an argument was run as a command on the remote: /tmp/${n} exists`);
}

const cwd = fixtureDir('status');
const goArgs = ['-count=1', '-v', '-run', '^TestArgs$', '.', '-args', ...ARGS];

test('-args with shell metacharacters arrive byte-identical through the PATH wrapper', async () => {
  const local = await goTest({ args: goArgs, cwd });
  assert.equal(local.code, 0, describeRun(local));
  assert.deepEqual(printedArgs(local.stdout), hexLines(ARGS), 'local run: the fixture does not print its args as expected');

  const remote = await goTest({ args: goArgs, cwd, goarch: 'arm64' });
  assert.deepEqual(printedArgs(remote.stdout), hexLines(ARGS), `remote args differ: ${describeRun(remote)}`);
  assertSameRun(local, remote, 'go test -run ^TestArgs$ -args ...');
  await assertNotPwned();
});

test("-args with shell metacharacters arrive byte-identical through go test -exec 'gocpu exec --host H'", async () => {
  const local = await goTest({ args: goArgs, cwd });
  const host = testHost().host;
  const remote = await goTest({ args: goArgs, cwd, goarch: 'arm64', exec: `${path.join(binDir, 'gocpu')} exec --host ${host}` });
  assert.deepEqual(printedArgs(remote.stdout), hexLines(ARGS), `remote args differ: ${describeRun(remote)}`);
  assertSameRun(local, remote, `go test -exec 'gocpu exec --host ${host}' -run ^TestArgs$ -args ...`);
  await assertNotPwned();
});

const RUN_PATTERNS: { pattern: string; ran: string[] }[] = [
  { pattern: '^TestSel(A|B)$', ran: ['TestSelA', 'TestSelB'] },
  { pattern: '^TestSel[B-Z]$', ran: ['TestSelB'] },
  { pattern: 'TestSub/with space', ran: ['TestSub', 'TestSub/with_space'] },
  { pattern: 'TestSub/^star\\*$', ran: ['TestSub', 'TestSub/star*'] },
  { pattern: 'TestSub/dollar\\$\\(x\\)', ran: ['TestSub', 'TestSub/dollar$(x)'] },
  { pattern: `^TestSelA$|$(touch ${pwned[0]})`, ran: ['TestSelA'] },
];

for (const { pattern, ran } of RUN_PATTERNS) {
  test(`-run ${JSON.stringify(pattern)} selects the same tests remotely`, async () => {
    const args = ['-count=1', '-v', '-run', pattern, '.'];
    const local = await goTest({ args, cwd });
    assert.equal(local.code, 0, describeRun(local));
    const passed = [...local.stdout.matchAll(/--- PASS: (\S+)/g)].map((m) => m[1]).sort();
    assert.deepEqual(passed, [...ran].sort(), `local run of -run ${pattern}: ${describeRun(local)}`);
    const remote = await goTest({ args, cwd, goarch: 'arm64' });
    assertSameRun(local, remote, `go test -run ${JSON.stringify(pattern)}`);
    await assertNotPwned();
  });
}
