/**
 * A far test host: the same sshd behind bench/delay-proxy.mjs (the kernels we run on
 * have no netem), reached as Host `gocpu-test-far` through an ssh_config of its own
 * that checks the same host key. What a remote across the internet (the seed's porter
 * boxes) changes is the round trips; correctness tests here, timings in `make bench`.
 */
import { after } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './repo.js';
import { tempDir } from './harness.js';
import { testHost } from './testhost.js';

export const FAR_ALIAS = 'gocpu-test-far';

interface Proxy {
  port: number;
  close(): Promise<void>;
}

/** Starts the proxy (rttMs added per round trip) once per test file; the env that reaches the host through it. */
export async function farHost(rttMs: number): Promise<Record<string, string>> {
  const th = testHost();
  const sshConfig = th.env.GOCPU_SSH_CONFIG!;
  const port = Number(th.env.GOCPU_TESTHOST_PORT ?? '2222');
  const mod = (await import(path.join(repoRoot, 'bench', 'delay-proxy.mjs'))) as { startDelayProxy(o: { targetPort: number; rttMs: number }): Promise<Proxy> };
  const proxy = await mod.startDelayProxy({ targetPort: port, rttMs });
  const setup = (await import(path.join(repoRoot, 'bench', 'ssh-setup.mjs'))) as { writeSshConfig(dir: string, base: string, host: string, p: { name: string; port: number }[]): string };
  const t = tempDir(undefined, 'gocpu-e2e-far-');
  after(async () => {
    await proxy.close();
    t.cleanup();
  });
  const config = setup.writeSshConfig(t.dir, sshConfig, th.host, [{ name: FAR_ALIAS, port: proxy.port }]);
  if (!fs.existsSync(config)) throw new Error(`no ssh_config written at ${config}`);
  return { GOCPU_SSH_CONFIG: config, GOCPU_HOST: FAR_ALIAS };
}
