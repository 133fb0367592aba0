/**
 * A second test host for the pool tests: `hack/testhost` on an overlay of the first
 * one's rootfs (hack/README.md, "A second host"), in `<first host's dir>2` on port
 * 2223 (GOCPU_TESTHOST2_DIR, GOCPU_TESTHOST2_PORT), alias gocpu-test2. Brought up
 * here when it is not (as root: a few seconds, no debootstrap); the first host is
 * only read from. Every hack/testhost call for it passes its own directory, port
 * and alias, so `down` can never reach the first host.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo.js';
import { parseEnvLines, testHost } from './testhost.js';

const run = promisify(execFile);
const script = path.join(repoRoot, 'hack', 'testhost');

export const SECOND_ALIAS = 'gocpu-test2';

/** The environment that points hack/testhost at the second host. */
export function secondHostEnv(): NodeJS.ProcessEnv {
  const first = testHost();
  const firstDir = path.dirname(first.env.GOCPU_TESTHOST_STATE ?? path.join(first.rootfs, '..', 'state'));
  return {
    ...process.env,
    GOCPU_TESTHOST_DIR: process.env.GOCPU_TESTHOST2_DIR || `${firstDir}2`,
    GOCPU_TESTHOST_PORT: process.env.GOCPU_TESTHOST2_PORT || '2223',
    GOCPU_TESTHOST_ALIAS: SECOND_ALIAS,
    GOCPU_TESTHOST_LOWER: first.rootfs,
  };
}

async function testhost2(verb: string): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run(script, [verb], { cwd: repoRoot, env: secondHostEnv(), timeout: 120_000, encoding: 'utf8' });
    return { ok: true, out: r.stdout };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message };
  }
}

/** Starts the second host unless it is up. */
export async function upSecondHost(): Promise<void> {
  if ((await testhost2('status')).ok) return;
  if (process.getuid?.() !== 0) throw new Error(`the second test host is down and only root can start it: ${secondHostEnv().GOCPU_TESTHOST_DIR}`);
  const up = await testhost2('up');
  if (!up.ok) throw new Error(`hack/testhost up for the second test host failed: ${up.out}`);
}

/** Stops the second host's sshd (its own `down`: its own dir, port and pid namespace). */
export async function downSecondHost(): Promise<void> {
  const down = await testhost2('down');
  if (!down.ok) throw new Error(`hack/testhost down for the second test host failed: ${down.out}`);
}

/**
 * Both hosts up; writes into `dir` an ssh_config that reaches both (gocpu-test and
 * gocpu-test2) and returns its path.
 */
export async function bothHosts(dir: string): Promise<string> {
  const first = testHost();
  await upSecondHost();
  const second = parseEnvLines((await testhost2('env')).out);
  if (!second.GOCPU_SSH_CONFIG || second.GOCPU_HOST !== SECOND_ALIAS) throw new Error(`hack/testhost env for the second host printed no usable config`);
  const file = path.join(dir, 'ssh_config');
  fs.writeFileSync(file, `Include ${first.sshConfig}\nInclude ${second.GOCPU_SSH_CONFIG}\n`);
  return file;
}
