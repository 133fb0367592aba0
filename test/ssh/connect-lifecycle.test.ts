/**
 * What happens around a connection rather than during auth: the remote side going away
 * after ready, aborting a connect, closing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GocpuError } from '../../src/errors.js';
import { clientError, closeClient, connect, exec } from '../../src/ssh/connect.js';
import { resolveHostConfig } from '../../src/ssh/ssh-config.js';
import { keygen, startSshd, type KeyPair, type Sshd } from './helpers/sshd.js';
import { within } from '../sftp/within.js';

let dir: string;
let sshd: Sshd;
let key: KeyPair;

function config(port: number): string {
  const kh = join(dir, 'known_hosts');
  writeFileSync(kh, sshd.knownHostsLine + '\n');
  const file = join(dir, `config${port}`);
  writeFileSync(file, `Host *\n  HostName 127.0.0.1\n  Port ${port}\n  User ${userInfo().username}\n  IdentityFile ${key.path}\n  UserKnownHostsFile ${kh}\n  IdentityAgent none\n`);
  return file;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gocpu-life-'));
  key = keygen(join(dir, 'key'));
  sshd = await startSshd({ authorizedKeys: [key.pubLine] });
});
after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('connection lifecycle', () => {
  it('remote side gone after ready: SSH_DISCONNECTED through onError, clientError and exec', async () => {
    const errors: GocpuError[] = [];
    const client = await connect(resolveHostConfig('t', { configFile: config(sshd.port) }), { prompter: null, log: () => undefined, onError: (e) => errors.push(e) });
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    // Wait for the event (the client's close), not for a time; a session process
    // that ended on its own before its SIGTERM is what we want anyway.
    assert.ok(sshd.signalSessions('SIGTERM') > 0, 'no sshd session process to stop');
    await closed;
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('; '));
    assert.equal(errors[0].code, 'SSH_DISCONNECTED');
    assert.equal(errors[0].side, 'remote');
    assert.match(errors[0].message, new RegExp(`127\\.0\\.0\\.1:${sshd.port}`));
    assert.equal(clientError(client), errors[0]);
    await assert.rejects(exec(client, 'true'), { code: 'SSH_DISCONNECTED' });
    await closeClient(client); // already closed: resolves at once
  });

  it('closeClient ends a healthy connection without reporting an error', async () => {
    const errors: GocpuError[] = [];
    const client = await connect(resolveHostConfig('t', { configFile: config(sshd.port) }), { prompter: null, log: () => undefined, onError: (e) => errors.push(e) });
    // Closed by the server's answer, not by closeClient's 60 s fallback (which destroys
    // the client): a bound that a stall of this whole process does not trip (within.ts).
    await within(closeClient(client, 60_000), 10_000, 'a healthy close');
    assert.deepEqual(errors, []);
    assert.equal(clientError(client), undefined);
  });

  it('an AbortSignal stops a connect that is going nowhere', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('user pressed ^C')), 200);
      // SSH_ABORTED, not SSH_TIMEOUT: the abort ended it, well before ConnectTimeout (20 s
      // by default); bounded as above.
      await within(assert.rejects(connect(resolveHostConfig('t', { configFile: config(port) }), { prompter: null, signal: ac.signal }), { code: 'SSH_ABORTED' }), 10_000, 'the aborted connect');
    } finally {
      silent.close();
    }
  });
});
