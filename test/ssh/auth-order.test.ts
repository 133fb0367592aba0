/**
 * src/ssh/auth.ts: which method goes to the server when. A key goes first, without the
 * "none" attempt OpenSSH begins with (a round trip and the server's PAM of every new
 * connection); "none" still goes first where no key does, to learn what the server
 * accepts before a password prompt, and last, so the error can name it. The
 * connections themselves are tested against a real sshd (connect.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AnyAuthMethod, AuthenticationType } from 'ssh2';
import { buildAuth } from '../../src/ssh/auth.js';
import { resolveHostConfig } from '../../src/ssh/ssh-config.js';
import type { Prompter } from '../../src/ssh/tty-prompt.js';
import { keygen } from './helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'gocpu-auth-order-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const key = keygen(join(dir, 'id'));

function config(lines: string[]) {
  const file = join(dir, `config-${lines.join('-').replace(/\W+/g, '_')}`);
  // Options given first win (ssh_config): lines may name an IdentityAgent.
  writeFileSync(file, ['Host t', ...lines.map((l) => `  ${l}`), '  HostName 127.0.0.1', '  User me', '  IdentityAgent none', '  KbdInteractiveAuthentication no'].join('\n') + '\n');
  return resolveHostConfig('t', { configFile: file, env: {} });
}

/**
 * What the handler sends, answering each attempt with a failure that lists `left`, or
 * what `answer` says (null: nothing learned, as ssh2 asks again after an agent without
 * keys, and on the first call).
 */
async function sequence(auth: ReturnType<typeof buildAuth>, left: AuthenticationType[], answer = (_sent: string) => left as AuthenticationType[] | null): Promise<string[]> {
  const sent: string[] = [];
  let methods: AuthenticationType[] | null = null;
  for (let i = 0; i < 10; i++) {
    const m = await new Promise<AnyAuthMethod | false>((resolve) =>
      auth.handler(methods as AuthenticationType[], false, ((x: AnyAuthMethod | false) => resolve(x)) as never));
    if (m === false) return [...sent, 'gave up'];
    sent.push(m.type);
    methods = answer(m.type);
  }
  throw new Error(`no end after ${sent.join(', ')}`);
}

const answers = (): Prompter & { asked: string[] } => {
  const asked: string[] = [];
  return { asked, ask: async (prompt) => (asked.push(prompt), 'secret') };
};

test('a key goes first: no "none" attempt before it, nor after its failure', async () => {
  const auth = buildAuth(config([`IdentityFile ${key.path}`, 'BatchMode yes']), { prompter: null });
  assert.deepEqual(await sequence(auth, ['publickey']), ['publickey', 'gave up']);
  assert.deepEqual(auth.serverMethods, ['publickey']);
});

test('no key to offer: "none" learns what the server accepts, and the error can name it', async () => {
  const auth = buildAuth(config([`IdentityFile ${join(dir, 'missing')}`, 'BatchMode yes']), { prompter: null });
  assert.deepEqual(await sequence(auth, ['publickey']), ['none', 'gave up']);
  assert.deepEqual(auth.serverMethods, ['publickey']);
});

test('no key: "none" before a password prompt, which the server then decides', async () => {
  const cfg = [`IdentityFile ${join(dir, 'missing')}`, 'PasswordAuthentication yes', 'NumberOfPasswordPrompts 1'];
  const noPasswords = answers();
  assert.deepEqual(await sequence(buildAuth(config(cfg), { prompter: noPasswords }), ['publickey']), ['none', 'gave up']);
  assert.deepEqual(noPasswords.asked, [], 'asked for a password the server does not take');
  const passwords = answers();
  assert.deepEqual(await sequence(buildAuth(config(cfg), { prompter: passwords }), ['password']), ['none', 'password', 'gave up']);
  assert.equal(passwords.asked.length, 1);
});

test('a key that fails, then a password where the server takes one, with no "none" between', async () => {
  const cfg = [`IdentityFile ${key.path}`, 'PasswordAuthentication yes', 'NumberOfPasswordPrompts 1'];
  const p = answers();
  assert.deepEqual(await sequence(buildAuth(config(cfg), { prompter: p }), ['publickey', 'password']), ['publickey', 'password', 'gave up']);
});

test('an agent without keys tells nothing: "none" still goes before a password prompt', async () => {
  const cfg = [`IdentityAgent ${join(dir, 'agent.sock')}`, `IdentityFile ${join(dir, 'missing')}`, 'PasswordAuthentication yes', 'NumberOfPasswordPrompts 1'];
  const p = answers();
  const sent = await sequence(buildAuth(config(cfg), { prompter: p }), ['publickey'], (t) => (t === 'agent' ? null : ['publickey']));
  assert.deepEqual(sent, ['agent', 'none', 'gave up']);
  assert.deepEqual(p.asked, []);
});
