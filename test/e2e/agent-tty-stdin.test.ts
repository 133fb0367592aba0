/**
 * Issue 8, a terminal on stdin only: `go run ./x | cat` at a terminal (stdout a
 * pipe) with the agent on (a private GOCPU_AGENT_DIR). The typed lines, and the
 * ^D that ends them, must reach the remote program as they do in direct mode
 * (go-run.test.ts): entry.ts runs such a call directly. Driven through tmux, so
 * stdin is a real pty; waits for the screen, never for time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { copyFixture, goEnv, randomToken, requireWrapper, tempDir, testHost } from './harness.js';
import { agentScratch } from './agent-scratch.js';
import { Tmux } from './tmux.js';

const { dirs } = agentScratch();
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `go run PKG` at the pane's terminal with its output piped through sed, which marks
 * what went through the pipe (not the pane's echo of typed keys); go run's own status
 * comes through the pipe too (sh has no pipefail).
 */
function piped(dir: string, pkg: string): string {
  return `(cd ${sq(dir)} && { go run ${pkg}; echo "go-run=$?"; } | sed 's/^/piped: /')`;
}

test('agent on, stdin a terminal and stdout a pipe: typed lines and ^D reach the remote program', { timeout: 300_000 }, async () => {
  testHost();
  requireWrapper();
  const scratch = tempDir(undefined, 'gocpu-e2e-agent-tty-');
  dirs.push(scratch.cleanup);
  const fx = copyFixture('terminal');
  // GOCPU_AGENT unset (on): the entry point, not the test, picks the mode.
  const t = new Tmux(goEnv({ goarch: 'arm64', env: { GOCPU_AGENT: undefined, GOCPU_AGENT_DIR: path.join(scratch.dir, 'agent') } }));
  try {
    const name = `gopher-${randomToken()}`;
    t.start(piped(fx.dir, './interactive'));
    await t.waitFor(/^piped: name\?$/m, 120_000);
    t.type(name);
    t.keys('Enter');
    const e = await t.ended(60_000);
    const screen = t.screen();
    assert.equal(e.rc, 0, screen);
    assert.match(screen, /^piped: go-run=0$/m, 'go run passed');
    assert.match(screen, /^piped: terminal=false arch=arm64$/m, 'stdout is a pipe: no remote pty');
    assert.match(screen, new RegExp(`^piped: hello, ${name} \\(err=<nil>\\)$`, 'm'), 'the typed line reached the program');
    assert.doesNotMatch(screen, /^gocpu:/m, 'nothing of ours on the terminal');
    assert.equal(e.after, e.before, 'the local terminal is as before');

    t.start(piped(fx.dir, './readall'));
    await t.waitFor(/^reading stdin$/m, 120_000); // on stderr: not piped
    t.type('abc');
    t.keys('Enter');
    t.type('def');
    t.keys('Enter', 'C-d');
    const r = await t.ended(120_000);
    assert.equal(r.rc, 0, t.screen());
    assert.match(t.screen(), /^piped: go-run=0$/m, 'go run passed');
    const want = createHash('sha256').update('abc\ndef\n').digest('hex');
    assert.match(t.screen(), new RegExp(`^piped: bytes=8 sha256=${want}$`, 'm'), 'every typed byte, then EOF at ^D');
  } finally {
    t.close();
    fx.cleanup();
  }
});
