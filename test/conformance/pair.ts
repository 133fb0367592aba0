/**
 * One comparison: the same `go test` twice with GOARCH=arm64, once locally (no exec
 * wrapper on PATH: go runs the arm64 binary itself, through this machine's qemu-user
 * binfmt entry) and once through bin/go_linux_arm64_exec on the test host. Both runs
 * use one GOCACHE, so they run the same test binaries. With `as`, both sides run as
 * that unprivileged local user (setpriv, its HOME, TMPDIR, GOCACHE, agent dir and key):
 * the local reference is then nobody's run, and the remote test runs as the remote
 * user's own uid instead of root of the view.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRun, goEnv, requireWrapper, run, tempDir, testHost, type RunResult } from '../e2e/harness.js';
import { coverBlocks, coverDiff, outcomeDiff, outcomes, tally, withoutUnstable, type Outcome } from './compare.js';
import type { Mode } from './modes.js';
import { asUser, type Unprivileged } from '../e2e/unprivileged.js';

export interface PairOptions {
  cwd: string;
  /** Flags and packages after `go test -json -count=1 -covermode=set -coverprofile=F`. */
  args: string[];
  /** Extra environment for both sides; undefined deletes a variable. */
  env?: Record<string, string | undefined>;
  /** Environment for the remote side only (GOCPU_CONFIG, ...). */
  remoteEnv?: Record<string, string | undefined>;
  mode: Mode;
  /** Run both sides as this local user instead of the test runner's (root in CI). */
  as?: Unprivileged;
  timeoutMs?: number;
}

export interface Side {
  run: RunResult;
  outcomes: Map<string, Outcome>;
  /** Sorted covered-block lines; [] when the run wrote no profile. */
  blocks: string[];
}

const WRAPPER = 'go_linux_arm64_exec';

/** Variables of the runner's that would point an unprivileged run at root's files. */
const NOT_INHERITED = { XDG_CACHE_HOME: undefined, XDG_CONFIG_HOME: undefined, XDG_RUNTIME_DIR: undefined, SSH_AUTH_SOCK: undefined, GOCPU_CONFIG: undefined, GOCPU_AGENT_SOCKET: undefined };

/** PATH without any directory that holds an arm64 exec wrapper: go then runs the binary itself. */
export function localPath(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => d !== '' && !fs.existsSync(path.join(d, WRAPPER)))
    .join(path.delimiter);
}

/** binfmt runs arm64 binaries here only when qemu-user's entry is registered (hack/testhost does it). */
function requireBinfmt(): void {
  const entries = fs.existsSync('/proc/sys/fs/binfmt_misc') ? fs.readdirSync('/proc/sys/fs/binfmt_misc') : [];
  assert.ok(entries.some((e) => /aarch64/.test(e)), 'no qemu-aarch64 binfmt entry: the local arm64 reference cannot run (hack/testhost up registers it)');
}

async function side(o: PairOptions, remote: boolean, dir: string): Promise<Side> {
  const profile = path.join(dir, remote ? 'remote.cover' : 'local.cover');
  const args = ['test', '-json', '-count=1', '-covermode=set', `-coverprofile=${profile}`, ...o.args];
  // Nothing of root's may decide nobody's run: its own caches, config, agent and key.
  const common = { GOFLAGS: undefined, CGO_ENABLED: '0', ...(o.as ? NOT_INHERITED : {}), ...o.env };
  const user = (r: boolean) => o.as?.vars(r) ?? {};
  // The trace proves the remote side went through gocpu to the test host: a wrapper
  // missing from PATH would make it a second local run that conforms trivially.
  const trace = path.join(dir, 'trace');
  const env = remote
    ? goEnv({ goarch: 'arm64', env: { ...common, GOCPU_MODE: o.mode, GOCPU_TRACE: '1', GOCPU_TRACE_FILE: trace, ...o.remoteEnv, ...user(true) } })
    : goEnv({ env: { ...common, GOARCH: 'arm64', PATH: localPath(), ...user(false) } });
  const [cmd, argv]: [string, string[]] = o.as ? ['setpriv', asUser(o.as, ['go', ...args])] : ['go', args];
  const r = await run(cmd, argv, { cwd: o.cwd, env, timeoutMs: o.timeoutMs ?? 240_000 });
  assert.ok(!r.timedOut, `${remote ? 'remote' : 'local'} run timed out: ${describeRun(r)}`);
  if (remote) {
    const host = testHost().host;
    const lines = fs.existsSync(trace) ? fs.readFileSync(trace, 'utf8') : '';
    assert.match(lines, new RegExp(`^\\d+ [\\d.]+ ms run [0-9a-f]+ on ${host}$`, 'm'), `the remote run did not go through gocpu to ${host}:\n${lines}${describeRun(r)}`);
  }
  let parsed: Map<string, Outcome>;
  try {
    parsed = outcomes(r.stdout);
  } catch (e) {
    throw new Error(`${remote ? 'remote' : 'local'}: ${(e as Error).message}\n${describeRun(r)}`);
  }
  const blocks = fs.existsSync(profile) ? coverBlocks(fs.readFileSync(profile, 'utf8')) : [];
  return { run: r, outcomes: parsed, blocks };
}

/** Runs both sides, the local one first. */
export async function runPair(o: PairOptions): Promise<{ local: Side; remote: Side }> {
  requireBinfmt();
  requireWrapper('arm64');
  testHost();
  // The profiles and the trace are written by the run's user: nobody's own directory.
  const t = o.as ? { dir: o.as.scratch() } : tempDir();
  try {
    const local = await side(o, false, t.dir);
    const remote = await side(o, true, t.dir);
    return { local, remote };
  } finally {
    fs.rmSync(t.dir, { recursive: true, force: true });
  }
}

/** A line for the test's diagnostics: how long each side took and what ran. */
export function summary(p: { local: Side; remote: Side }): string {
  const n = tally(p.local.outcomes);
  return `local ${p.local.run.ms} ms, remote ${p.remote.run.ms} ms; ${n.pass} passed, ${n.fail} failed, ${n.skip} skipped; ${p.local.blocks.length} cover blocks`;
}

/**
 * The conformance assertion: same exit status, every test and package ended the same
 * way, the same blocks covered (each of unstableBlocks only present), and nothing of
 * gocpu's own on stderr.
 */
export function assertConforms(p: { local: Side; remote: Side }, what: string, unstableBlocks: readonly string[] = []): void {
  const { local, remote } = p;
  const ctx = () => `${what}\n=== local: ${describeRun(local.run)}\n=== remote: ${describeRun(remote.run)}`;
  const diff = outcomeDiff(local.outcomes, remote.outcomes);
  assert.deepEqual(diff, [], `tests ended differently:\n${diff.join('\n')}\n${ctx()}`);
  assert.equal(remote.run.code, local.run.code, `exit status differs: ${ctx()}`);
  assert.doesNotMatch(remote.run.stderr, /^gocpu: /m, `gocpu reported a failure: ${ctx()}`);
  const cover = coverDiff(withoutUnstable(local.blocks, unstableBlocks), withoutUnstable(remote.blocks, unstableBlocks));
  assert.deepEqual(cover, [], `covered blocks differ (-covermode=set):\n${cover.join('\n')}\n${what}`);
}
