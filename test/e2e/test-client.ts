/** One ssh2 connection to the test host for a test file's tests: opened on first use, closed by close() (in `after`). */
import type { Client } from 'ssh2';
import { closeClient, connect } from '../../src/ssh/connect.js';
import { resolveHostConfig } from '../../src/ssh/ssh-config.js';
import { testHost } from './testhost.js';

export function testHostClient(): { connected: () => Promise<Client>; close: () => Promise<void> } {
  let client: Promise<Client> | undefined;
  return {
    connected() {
      const th = testHost();
      client ??= connect(resolveHostConfig(th.host, { configFile: th.sshConfig, env: {} }), { prompter: null, log: () => undefined });
      return client;
    },
    async close() {
      const c = await client?.catch(() => undefined);
      if (c) await closeClient(c);
    },
  };
}
