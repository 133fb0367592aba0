/**
 * The agent's directory must be ours alone: a socket in a directory another user
 * controls could be theirs, and a wrapper hands the agent its environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentDirError, agentDir, agentKey, fnv1a, privateDir, socketPath } from '../../src/agent/socket-path.js';

function temp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-agentdir-'));
}

test('agentDir: GOCPU_AGENT_DIR, else XDG_RUNTIME_DIR/gocpu, else /tmp/gocpu-UID', () => {
  assert.equal(agentDir({ GOCPU_AGENT_DIR: '/x/y', XDG_RUNTIME_DIR: '/run/user/1' }), '/x/y');
  assert.equal(agentDir({ XDG_RUNTIME_DIR: '/run/user/1' }), '/run/user/1/gocpu');
  assert.equal(agentDir({}), `/tmp/gocpu-${process.getuid!()}`);
});

test('privateDir creates the directory 0700 whatever the umask', () => {
  const base = temp();
  const old = process.umask(0);
  try {
    const d = privateDir(path.join(base, 'a'));
    assert.equal(fs.statSync(d).mode & 0o777, 0o700);
  } finally {
    process.umask(old);
    fs.rmSync(base, { recursive: true });
  }
});

test('privateDir refuses a directory open to others, a link, and one of another user', () => {
  const base = temp();
  try {
    const open = path.join(base, 'open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    // An existing directory keeps its mode: we refuse it rather than fix another's.
    assert.throws(() => privateDir(open), (e) => e instanceof AgentDirError && /open to others \(mode 755\)/.test(e.message));
    const real = path.join(base, 'real');
    fs.mkdirSync(real, { mode: 0o700 });
    const link = path.join(base, 'link');
    fs.symlinkSync(real, link);
    assert.throws(() => privateDir(link), (e) => e instanceof AgentDirError && /not a directory of its own/.test(e.message));
    if (process.getuid!() === 0) {
      const theirs = path.join(base, 'theirs');
      fs.mkdirSync(theirs, { mode: 0o700 });
      fs.chownSync(theirs, 65534, 65534);
      assert.throws(() => privateDir(theirs), (e) => e instanceof AgentDirError && /belongs to uid 65534/.test(e.message));
    }
  } finally {
    fs.rmSync(base, { recursive: true });
  }
});

test('the socket name carries the version and where this gocpu lives', () => {
  const base = temp();
  try {
    const s = socketPath({ GOCPU_AGENT_DIR: path.join(base, 'd') });
    assert.match(path.basename(s), /^agent-\d+\.\d+\.\d+[^/]*-[0-9a-f]{10}\.sock$/);
    assert.equal(path.basename(s), `agent-${agentKey()}.sock`);
  } finally {
    fs.rmSync(base, { recursive: true });
  }
});

test('the build hash is FNV-1a (64 bits, the first 40 in hex)', () => {
  // The published test vectors: FNV-1a 64 of "" and of "a".
  assert.equal(fnv1a(''), 'cbf29ce484');
  assert.equal(fnv1a('a'), 'af63dc4c86');
  assert.equal(fnv1a('foobar'), '85944171f7');
});
