// The pool row's hosts (issue 8: "four hosts in a pool"): the shared test host
// plus three overlay hosts on its rootfs (hack/README.md, "A second host"), on
// ports 2240-2242, brought up here (as root: seconds each, no debootstrap) and
// taken down at the end of the bench. Each hack/testhost call names its own
// directory, port and alias, so no call can reach the shared host.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const POOL_PORTS = [2240, 2241, 2242];
const alias = (port) => `gocpu-bench-${port}`;

/**
 * Brings the three extra hosts up. first: the shared host's `hack/testhost env`
 * (testhostEnv()). Resolves to { hosts, sshConfig, down() }: hosts lists the four
 * aliases (the shared one first); sshConfig includes the shared host's config and
 * theirs. down() is safe to call after a failed up (it downs what it started).
 */
export async function upPoolHosts(repo, first, log) {
  const script = path.join(repo, 'hack/testhost');
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-bench-hosts-'));
  const envOf = (port) => ({
    ...process.env,
    GOCPU_TESTHOST_DIR: path.join(top, String(port)),
    GOCPU_TESTHOST_PORT: String(port),
    GOCPU_TESTHOST_ALIAS: alias(port),
    GOCPU_TESTHOST_LOWER: first.GOCPU_TESTHOST_ROOTFS,
  });
  const testhost = async (verb, port) => {
    try {
      return (await run(script, [verb], { env: envOf(port), timeout: 120_000, encoding: 'utf8' })).stdout;
    } catch (e) {
      const out = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message;
      throw new Error(`hack/testhost ${verb} for the pool host on port ${port} failed: ${out.split('\n').slice(-5).join('\n')}`);
    }
  };
  const started = [];
  const down = async () => {
    let ok = true;
    for (const port of started.reverse()) {
      try {
        await testhost('down', port);
      } catch (e) {
        ok = false;
        log(e.message);
      }
    }
    started.length = 0;
    // Only once every overlay is unmounted: removing through a mounted overlay would whiteout in its upper dir.
    if (ok) fs.rmSync(top, { recursive: true, force: true });
    else log(`left ${top} in place (a pool host did not go down)`);
  };
  const configs = [first.GOCPU_SSH_CONFIG];
  try {
    for (const port of POOL_PORTS) {
      if (process.getuid?.() !== 0) throw new Error('the pool row brings up its own test hosts: run the bench as root');
      log(`bringing up pool host ${alias(port)} on port ${port}`);
      started.push(port);
      await testhost('up', port);
      const m = /^export GOCPU_SSH_CONFIG=(.*)$/m.exec(await testhost('env', port));
      if (!m) throw new Error(`hack/testhost env for the pool host on port ${port} printed no GOCPU_SSH_CONFIG`);
      configs.push(m[1].replace(/^'(.*)'$/, '$1'));
    }
  } catch (e) {
    await down();
    throw e;
  }
  const sshConfig = path.join(top, 'ssh_config');
  fs.writeFileSync(sshConfig, configs.map((c) => `Include ${c}\n`).join(''));
  return { hosts: [first.GOCPU_HOST, ...POOL_PORTS.map(alias)], sshConfig, down };
}
