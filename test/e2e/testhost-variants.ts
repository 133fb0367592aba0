/**
 * Test hosts that lack one thing mount mode needs (hack/README.md, "Variants"), for
 * copy mode's tests: `hack/testhost` with GOCPU_TESTHOST_VARIANT on an overlay of the
 * first host's rootfs, each in its own directory, port and alias, so that its `up`
 * and `down` can never reach the first host or another variant.
 *
 *   nosshfs   no sshfs binary; FUSE and user namespaces work
 *   nouserns  `unshare --user` fails with ENOSPC (max_user_namespaces=0); sshfs works
 *   nofuse    no /dev/fuse; sshfs is installed, user namespaces work
 *
 * Directory `<repo>/.testhost-<name>` (GOCPU_TESTHOST_VARIANTS_DIR moves the parent),
 * ports 2224, 2225, 2226 (GOCPU_TESTHOST_<NAME>_PORT moves one). Brought up here when
 * it is not (as root: a second or so, no debootstrap).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo.js';
import { parseEnvLines, testHost } from './testhost.js';

const runFile = promisify(execFile);
const script = path.join(repoRoot, 'hack', 'testhost');

export type Variant = 'nosshfs' | 'nouserns' | 'nofuse';

export const VARIANTS: Readonly<Record<Variant, { port: string; alias: string }>> = {
  nosshfs: { port: '2224', alias: 'gocpu-nosshfs' },
  nouserns: { port: '2225', alias: 'gocpu-nouserns' },
  nofuse: { port: '2226', alias: 'gocpu-nofuse' },
};

export interface VariantHost {
  variant: Variant;
  /** GOCPU_HOST: the login user gocpu. */
  host: string;
  /** GOCPU_TESTHOST_ROOT_HOST: root on the same host. */
  rootHost: string;
  /** GOCPU_SSH_CONFIG: an ssh_config with both aliases. */
  sshConfig: string;
  /** Every `export K=V` of `hack/testhost env`, ready to merge into a run's environment. */
  env: Record<string, string>;
}

/** The environment that points hack/testhost at one variant host. */
export function variantEnv(variant: Variant): NodeJS.ProcessEnv {
  const v = VARIANTS[variant];
  const parent = process.env.GOCPU_TESTHOST_VARIANTS_DIR || repoRoot;
  return {
    ...process.env,
    GOCPU_TESTHOST_DIR: path.join(parent, `.testhost-${variant}`),
    GOCPU_TESTHOST_PORT: process.env[`GOCPU_TESTHOST_${variant.toUpperCase()}_PORT`] || v.port,
    GOCPU_TESTHOST_ALIAS: v.alias,
    GOCPU_TESTHOST_LOWER: testHost().rootfs,
    GOCPU_TESTHOST_VARIANT: variant,
  };
}

async function testhost(variant: Variant, verb: string): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await runFile(script, [verb], { cwd: repoRoot, env: variantEnv(variant), timeout: 120_000, encoding: 'utf8' });
    return { ok: true, out: r.stdout };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message };
  }
}

/** Brings the variant host up unless it is, and returns how to reach it. */
export async function upVariant(variant: Variant): Promise<VariantHost> {
  if (!(await testhost(variant, 'status')).ok) {
    const dir = variantEnv(variant).GOCPU_TESTHOST_DIR;
    if (process.getuid?.() !== 0) throw new Error(`the ${variant} test host is down and only root can start it: ${dir}`);
    const up = await testhost(variant, 'up');
    if (!up.ok) throw new Error(`hack/testhost up for the ${variant} test host (${dir}) failed: ${up.out}`);
  }
  const envOut = await testhost(variant, 'env');
  const env = parseEnvLines(envOut.out);
  const want = VARIANTS[variant].alias;
  if (!envOut.ok || env.GOCPU_HOST !== want || env.GOCPU_TESTHOST_VARIANT !== variant || !env.GOCPU_SSH_CONFIG || !fs.existsSync(env.GOCPU_SSH_CONFIG)) {
    throw new Error(`hack/testhost env for the ${variant} test host printed no usable config: ${envOut.out}`);
  }
  return { variant, host: env.GOCPU_HOST, rootHost: env.GOCPU_TESTHOST_ROOT_HOST, sshConfig: env.GOCPU_SSH_CONFIG, env };
}

/** Stops the variant host (its own dir, port and pid namespace; the overlay is unmounted). */
export async function downVariant(variant: Variant): Promise<void> {
  const down = await testhost(variant, 'down');
  if (!down.ok) throw new Error(`hack/testhost down for the ${variant} test host failed: ${down.out}`);
}
