/**
 * Runs real `go test` on the fixture modules, natively (the reference) and for arm64
 * through the wrapper on the test host, in the style of mvdan/dockexec's tests.
 * A remote run finds `go_linux_arm64_exec` because `<repo>/bin` comes first on PATH.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { binDir, fixtureDir } from './repo.js';
import { testHost } from './testhost.js';
import { normalize } from './normalize.js';
import { startRun } from './live-run.js';
import { tempDir } from '../temp-dir.js';

export { tempDir } from '../temp-dir.js';
export { normalize } from './normalize.js';
export { repoRoot, binDir, fixtureDir } from './repo.js';
export { testHost, writeRemoteFile, remoteHas, randomToken } from './testhost.js';

export interface RunResult {
  /** Exit status, or null when the process died by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in the order the chunks arrived. */
  output: string;
  timedOut: boolean;
  ms: number;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kill the whole process group and report timedOut after this long. */
  timeoutMs?: number;
  /**
   * Give the process one file as both stdout and stderr, as go gives a test binary one
   * pipe for both: the result's stdout then holds everything in write order.
   */
  merged?: boolean;
}

/**
 * Spawns a command with stdin from /dev/null and pipes as stdout and stderr (pipes.ts),
 * as go gives a test binary, in its own process group, and reports its end: startRun's,
 * once the process exited and its pipes are at EOF (whatever it left behind closed them too).
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return startRun(cmd, args, { ...opts, timeoutMs: opts.timeoutMs ?? 120_000 }).done;
}

export interface GoTestOptions {
  /** Arguments after `go test`. */
  args: string[];
  cwd: string;
  /** Set for a remote run (arm64 through the wrapper); absent for the native local run. */
  goarch?: string;
  /** Extra environment; undefined deletes a variable. */
  env?: Record<string, string | undefined>;
  /** Passed as `go test -exec <exec>` instead of relying on PATH discovery. */
  exec?: string;
  /** GOCACHE to use; the user's default cache otherwise. */
  gocache?: string;
  timeoutMs?: number;
}

/**
 * The environment of every go command the suite runs. GOFLAGS=-mod=mod: fixtures have
 * no dependencies and nothing is vendored. CGO_ENABLED=0 on both sides, because a cross
 * build has cgo off by default and the local reference must be built the same way.
 */
export function goEnv(opts: { goarch?: string; env?: Record<string, string | undefined>; gocache?: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['GOARCH', 'GOOS', 'GOFLAGS', 'GOCACHE', 'GOEXPERIMENT', 'GOTRACEBACK', 'GO111MODULE', 'GOWORK']) delete env[k];
  env.GOFLAGS = '-mod=mod';
  env.CGO_ENABLED = '0';
  env.PATH = `${binDir}${path.delimiter}${process.env.PATH ?? ''}`;
  if (opts.gocache) env.GOCACHE = opts.gocache;
  if (opts.goarch) {
    Object.assign(env, testHost().env);
    env.GOARCH = opts.goarch;
    // Every test file shares the default agent and the test host: slots as the host's
    // core count (issue 8's pools) would make unrelated tests wait for each other, and
    // a test that holds one run while it starts another could wait on a third file's
    // run. pool.test.ts sets its own.
    env.GOCPU_SLOTS = process.env.GOCPU_SLOTS ?? '64';
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Fails with a clear message while the wrapper has not been built yet. */
export function requireWrapper(goarch = 'arm64'): string {
  const wrapper = path.join(binDir, `go_linux_${goarch}_exec`);
  if (!fs.existsSync(wrapper)) throw new Error(`${wrapper} does not exist: the tool is not built`);
  return wrapper;
}

let native: string | undefined;

/** GOARCH of the local go toolchain: what a run without GOARCH builds for. */
export function nativeGoarch(): string {
  native ??= execFileSync('go', ['env', 'GOARCH'], { env: goEnv({}), encoding: 'utf8' }).trim();
  return native;
}

export async function goTest(opts: GoTestOptions): Promise<RunResult> {
  if (opts.goarch) {
    testHost();
    if (!opts.exec) requireWrapper(opts.goarch);
  }
  const args = ['test', ...(opts.exec ? ['-exec', opts.exec] : []), ...opts.args];
  return run('go', args, { cwd: opts.cwd, env: goEnv(opts), timeoutMs: opts.timeoutMs });
}

/** Compiles the test binary of the package in cwd (`go test -c`), for running it without go. */
export async function goTestBinary(cwd: string, out: string, goarch?: string): Promise<string> {
  const r = await run('go', ['test', '-c', '-o', out, '.'], { cwd, env: goEnv({ goarch }) });
  assert.equal(r.code, 0, `go test -c in ${cwd} (GOARCH=${goarch ?? 'native'}) failed:\n${r.output}`);
  return out;
}

/** Describes a run for assertion messages. */
export function describeRun(r: RunResult): string {
  const status = r.timedOut ? `TIMED OUT after ${r.ms} ms` : r.signal ? `signal ${r.signal}` : `exit ${r.code}`;
  return `${status}\n--- stdout:\n${r.stdout}--- stderr:\n${r.stderr}---`;
}

/**
 * The core assertion of the suite: the remote run ended the same way as the local one
 * and printed the same thing, stream by stream, after normalization.
 */
export function assertSameRun(local: RunResult, remote: RunResult, what: string): void {
  assert.ok(!local.timedOut, `${what}: local run timed out\n${describeRun(local)}`);
  assert.ok(!remote.timedOut, `${what}: remote run timed out\n${describeRun(remote)}`);
  const ctx = `${what}\n=== local: ${describeRun(local)}\n=== remote: ${describeRun(remote)}`;
  assert.deepEqual({ code: remote.code, signal: remote.signal }, { code: local.code, signal: local.signal }, `exit status differs: ${ctx}`);
  assert.equal(normalize(remote.stdout), normalize(local.stdout), `stdout differs (normalized): ${ctx}`);
  assert.equal(normalize(remote.stderr), normalize(local.stderr), `stderr differs (normalized): ${ctx}`);
}

/**
 * Copies a fixture module into a fresh directory under `parent`. Symlinks are copied as
 * they are (relative ones stay relative) and timestamps are kept: go does not cache a
 * test result that read a file modified in the last few seconds.
 */
export function copyFixture(name: string, parent?: string): { dir: string; cleanup: () => void } {
  const t = tempDir(parent);
  const dir = path.join(t.dir, name);
  fs.cpSync(fixtureDir(name), dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  return { dir, cleanup: t.cleanup };
}
