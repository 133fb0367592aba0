/**
 * A local user who is not root, for the tests of issue 10's "the test's uid as local":
 * `nobody`, started with setpriv by a root test runner, with a directory of its own
 * (mode 0700) holding what it needs to run go and reach the test host: a home, a
 * TMPDIR, an agent dir, and the test host's ssh_config pointed at copies of the user
 * key and known_hosts (never the root key). GOCACHE is kept between runs (its own
 * directory in the temp dir, nobody's), as the rest of the suite keeps root's: a fresh
 * one rebuilds the standard library for arm64 (20 s and more).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binDir } from './repo.js';
import { tempDir } from './harness.js';
import { testHost } from './testhost.js';

export interface Unprivileged {
  uid: number;
  gid: number;
  /** Its own directory (0700): home/, tmp/, agent/, the key, known_hosts, ssh_config. */
  dir: string;
  gocache: string;
  /**
   * What makes a process nobody's and not root's: HOME, TMPDIR, GOCACHE, and for a
   * remote run the host, its ssh_config copy and the agent dir. Laid over any env.
   */
  vars: (remote: boolean) => Record<string, string>;
  /** A minimal env for go as nobody: PATH (bin/ first when remote), vars, and `extra`. */
  env: (remote: boolean, extra?: Record<string, string>) => NodeJS.ProcessEnv;
  /** A fresh directory inside `dir`, owned by nobody (profiles, trace files). */
  scratch: () => string;
  cleanup: () => void;
}

/** Fails (never skips) when the test runner is not root: only root can become nobody. */
export function requireRoot(what: string): void {
  assert.equal(process.getuid!(), 0, `${what} needs a local root (to be root, and to start go as nobody): run the suite as root, as make test does`);
}

/** setpriv's arguments that run CMD as `u`, with no supplementary groups. */
export function asUser(u: Pick<Unprivileged, 'uid' | 'gid'>, cmd: string[]): string[] {
  return [`--reuid=${u.uid}`, `--regid=${u.gid}`, '--clear-groups', ...cmd];
}

export function unprivileged(): Unprivileged {
  const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
  assert.ok(uid > 0 && gid > 0, 'nobody must not be root');
  const th = testHost();
  const state = th.env.GOCPU_TESTHOST_STATE;
  assert.ok(state, '`hack/testhost env` names no GOCPU_TESTHOST_STATE');
  const t = tempDir(os.tmpdir(), 'gocpu-e2e-uid-');
  const dir = t.dir;
  for (const f of ['id_gocpu', 'known_hosts']) fs.copyFileSync(path.join(state, f), path.join(dir, f));
  fs.chmodSync(path.join(dir, 'id_gocpu'), 0o600);
  fs.writeFileSync(path.join(dir, 'ssh_config'), fs.readFileSync(th.sshConfig, 'utf8').split(state).join(dir));
  for (const d of ['home', 'tmp', 'agent']) fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
  execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
  fs.chmodSync(dir, 0o700);

  // One name for every file that runs go as nobody: they all keep the cache warm.
  const gocache = path.join(os.tmpdir(), `gocpu-e2e-uid-gocache.${uid}`);
  try {
    fs.mkdirSync(gocache, { mode: 0o700 });
    fs.chownSync(gocache, uid, gid);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(gocache);
  assert.ok(st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0, `${gocache} must be a directory of nobody's, mode 0700`);

  const vars = (remote: boolean): Record<string, string> => ({
    HOME: path.join(dir, 'home'),
    TMPDIR: path.join(dir, 'tmp'),
    GOCACHE: gocache,
    ...(remote ? { GOCPU_HOST: th.host, GOCPU_SSH_CONFIG: path.join(dir, 'ssh_config'), GOCPU_AGENT_DIR: path.join(dir, 'agent') } : {}),
  });
  const env = (remote: boolean, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    // The local reference of uid.test.ts is native (no GOARCH, no bin/ on PATH), as in
    // the rest of the e2e suite: the ids and what they may open do not depend on the
    // architecture.
    PATH: remote ? `${binDir}${path.delimiter}${process.env.PATH ?? ''}` : process.env.PATH,
    GOFLAGS: '-mod=mod',
    CGO_ENABLED: '0',
    ...vars(remote),
    ...(remote ? { GOARCH: 'arm64', GOCPU_SLOTS: '64' } : {}),
    ...extra,
  });
  let n = 0;
  const scratch = () => {
    const d = path.join(dir, `scratch.${n++}`);
    fs.mkdirSync(d, { mode: 0o700 });
    fs.chownSync(d, uid, gid);
    return d;
  };
  const cleanup = () => {
    // The agent it started (GOCPU_AGENT_DIR is its own): gone with the test.
    for (const f of fs.readdirSync(path.join(dir, 'agent')).filter((name) => name.endsWith('.pid'))) {
      const pid = Number(fs.readFileSync(path.join(dir, 'agent', f), 'utf8').trim());
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    t.cleanup();
  };
  return { uid, gid, dir, gocache, vars, env, scratch, cleanup };
}
