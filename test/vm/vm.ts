/**
 * The real arm64 VM that `hack/testvm up` boots (make test-vm). The suite never starts
 * it itself (the first build takes minutes and root) and never skips without it: a VM
 * that is not up is a failure saying how to bring it up.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { goEnv, repoRoot, run, tempDir, type RunResult } from '../e2e/harness.js';
import { parseEnvLines } from '../e2e/testhost.js';

const UP_HINT = 'run `hack/testvm up` (make test-vm does it)';

/** Generous: every package's test binary crosses the emulated machine's sshd and sshfs. */
export const VM_RUN_MS = 300_000;

export interface TestVm {
  /** Every `export K=V` that `hack/testvm env` printed. */
  env: Record<string, string>;
  /** The ssh_config alias of the VM's test user (GOCPU_HOST_LINUX_ARM64). */
  host: string;
}

let cached: TestVm | undefined;

/** Reads the VM's coordinates; throws (never skips) when it is not up. */
export function testVm(): TestVm {
  if (cached) return cached;
  const script = path.join(repoRoot, 'hack', 'testvm');
  const vmScript = (verb: string): string => {
    try {
      return execFileSync(script, [verb], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`the VM is not up: \`hack/testvm ${verb}\` failed (${(err.stderr ?? '').trim() || err.message}); ${UP_HINT}`);
    }
  };
  vmScript('status');
  const env = parseEnvLines(vmScript('env'));
  for (const k of ['GOCPU_SSH_CONFIG', 'GOCPU_HOST', 'GOCPU_HOST_LINUX_ARM64']) {
    if (!env[k]) throw new Error(`\`hack/testvm env\` printed no ${k}; ${UP_HINT}`);
  }
  if (!fs.existsSync(env.GOCPU_SSH_CONFIG)) throw new Error(`GOCPU_SSH_CONFIG=${env.GOCPU_SSH_CONFIG} does not exist; ${UP_HINT}`);
  cached = { env, host: env.GOCPU_HOST_LINUX_ARM64 };
  return cached;
}

/**
 * `go test ARGS` in cwd: with `vm` set, GOARCH=arm64 through bin/go_linux_arm64_exec on
 * the VM (found on PATH, as a user's go finds it); without, the native local reference.
 */
export function goTest(args: string[], cwd: string, opts: { vm: boolean; env?: Record<string, string> }): Promise<RunResult> {
  const extra: Record<string, string> = { ...opts.env };
  if (opts.vm) Object.assign(extra, testVm().env, { GOARCH: 'arm64' });
  return run('go', ['test', ...args], { cwd, env: goEnv({ env: extra }), timeoutMs: VM_RUN_MS });
}

/**
 * A copy of a fixture module whose files are all dated two minutes back: go does not
 * cache a test result that read a file modified in the last few seconds.
 */
export function datedCopy(fixture: string): { dir: string; cleanup: () => void } {
  const t = tempDir();
  const dir = path.join(t.dir, path.basename(fixture));
  fs.cpSync(fixture, dir, { recursive: true, verbatimSymlinks: true });
  const past = new Date(Date.now() - 120_000);
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    if (st.isSymbolicLink()) fs.lutimesSync(p, past, past);
    else fs.utimesSync(p, past, past);
  };
  walk(dir);
  return { dir, cleanup: t.cleanup };
}
