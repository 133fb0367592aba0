/**
 * connect() against a real OpenSSH sshd on 127.0.0.1 (see helpers/sshd.ts): host key
 * checks, auth by file and by a real ssh-agent, ProxyJump, passphrase keys without a
 * terminal, timeouts, keepalive and MaxSessions. In-process connects pass prompter: null
 * so a developer's terminal is never asked anything.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'ssh2';
import { closeClient, connect, exec, type ConnectOptions } from '../../src/ssh/connect.js';
import { resolveHostConfig } from '../../src/ssh/ssh-config.js';
import { checkHostKey } from '../../src/ssh/known-hosts.js';
import { freePort, keygen, startSshd, type KeyPair, type Sshd } from './helpers/sshd.js';
import { within } from '../sftp/within.js';

const me = userInfo().username;
let dir: string;
let sshd: Sshd;
let good: KeyPair;
let n = 0;

/**
 * Writes known_hosts + an ssh config whose `Host *` block points every host at the test
 * sshd; `head` comes first, so its values win (first obtained value wins).
 */
function setup(opts: { known?: string[]; head?: string; identity?: string; port?: number } = {}): string {
  const i = n++;
  const kh = join(dir, `known_hosts${i}`);
  writeFileSync(kh, (opts.known ?? [sshd.knownHostsLine]).join('\n') + '\n');
  const file = join(dir, `config${i}`);
  writeFileSync(file, [
    opts.head ?? '',
    'Host *',
    '  HostName 127.0.0.1',
    `  Port ${opts.port ?? sshd.port}`,
    `  User ${me}`,
    `  IdentityFile ${opts.identity ?? good.path}`,
    `  UserKnownHostsFile ${kh}`,
    '  GlobalKnownHostsFile /dev/null',
    '  IdentityAgent none',
    '  StrictHostKeyChecking yes',
    '  ConnectTimeout 5',
  ].join('\n') + '\n');
  return file;
}

async function run(client: Client, command: string | Buffer): Promise<{ out: string; code: number | null }> {
  const ch = await exec(client, command);
  let out = '';
  ch.on('data', (b: Buffer) => (out += b.toString()));
  ch.stderr.resume();
  const exited = new Promise<number | null>((resolve) => ch.on('exit', (c: number | null) => resolve(c)));
  await new Promise((r) => ch.on('close', r));
  return { out, code: await exited };
}

const quiet: ConnectOptions = { prompter: null, log: () => undefined };

// The bound is live time (within.ts): a stall of this whole process is no hang of ours.
async function rejects(p: Promise<unknown>, code: string, re?: RegExp, withinMs = 8000): Promise<Error & { code: string; hint?: string }> {
  const e = await within(p.then(() => assert.fail(`expected ${code}`), (err: unknown) => err as Error & { code: string; hint?: string }), withinMs, `${code}`);
  assert.equal(e.code, code, `${e.code}: ${e.message}`);
  if (re) assert.match(`${e.message} (${e.hint})`, re);
  return e;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gocpu-connect-'));
  good = keygen(join(dir, 'good'));
  sshd = await startSshd({ authorizedKeys: [good.pubLine], hostKeyTypes: ['ed25519', 'rsa'], extraConfig: 'MaxSessions 2' });
});
after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('connect to a real sshd', () => {
  it('connects and runs a command with a good known_hosts', async () => {
    const client = await connect(resolveHostConfig('target', { configFile: setup() }), quiet);
    assert.deepEqual(await run(client, 'echo hi'), { out: 'hi\n', code: 0 });
    assert.deepEqual(await run(client, Buffer.from('printf %s "$0"')), { out: 'bash', code: 0 });
    await closeClient(client);
  });

  it('unknown host key: SSH_HOST_KEY_UNKNOWN with the fix, no hang', async () => {
    const file = setup({ known: ['# nothing yet'] });
    await rejects(connect(resolveHostConfig('target', { configFile: file }), quiet), 'SSH_HOST_KEY_UNKNOWN',
      new RegExp(`host key for \\[127\\.0\\.0\\.1\\]:${sshd.port} is not known.*run \`ssh -F ${file} -p ${sshd.port} target\` once`));
  });

  it('offers the host key type known_hosts has, so an RSA-only entry still verifies', async () => {
    const rsa = sshd.hostKeys[1];
    const file = setup({ known: [`[127.0.0.1]:${sshd.port} ${rsa.pubLine}`] });
    const client = await connect(resolveHostConfig('target', { configFile: file }), quiet);
    await closeClient(client);
  });

  it('changed host key: SSH_HOST_KEY_CHANGED naming file:line', async () => {
    const other = keygen(join(dir, 'other-host'));
    const file = setup({ known: ['# comment', `[127.0.0.1]:${sshd.port} ${other.pubLine}`] });
    await rejects(connect(resolveHostConfig('target', { configFile: file }), quiet), 'SSH_HOST_KEY_CHANGED',
      new RegExp(`known_hosts${n - 1}:2 has a different ssh-ed25519 key.*ssh-keygen -R`));
  });

  it('accept-new records the key, then strict checking accepts it', async () => {
    const file = setup({ known: [], head: 'Host target\n  StrictHostKeyChecking accept-new\n  HashKnownHosts yes' });
    const logs: string[] = [];
    const client = await connect(resolveHostConfig('target', { configFile: file }), { prompter: null, log: (l) => logs.push(l) });
    await closeClient(client);
    assert.match(logs.join('\n'), /added host key/);
    const kh = join(dir, `known_hosts${n - 1}`);
    assert.match(readFileSync(kh, 'utf8'), /^\|1\|/m);
    assert.equal(checkHostKey([kh], '127.0.0.1', sshd.port, 'ssh-ed25519', sshd.hostKey.blob).status, 'ok');
  });

  it('wrong client key: SSH_AUTH naming what was tried', async () => {
    const wrong = keygen(join(dir, 'wrong'));
    await rejects(connect(resolveHostConfig('target', { configFile: setup({ identity: wrong.path }) }), quiet), 'SSH_AUTH',
      new RegExp(`ssh auth to ${me}@127\\.0\\.0\\.1:${sshd.port} failed \\(tried ${wrong.path}\\).*server accepts: publickey.*ssh-add`));
  });

  it('missing IdentityFile is named in the SSH_AUTH error', async () => {
    await rejects(connect(resolveHostConfig('target', { configFile: setup({ identity: join(dir, 'nope') }) }), quiet), 'SSH_AUTH',
      /tried nothing.*IdentityFile .*nope does not exist/);
  });

  it('ProxyJump through the same sshd to itself', async () => {
    const file = setup({ head: 'Host viajump\n  ProxyJump jump,jump' });
    const before = (sshd.logs().match(/Accepted publickey/g) ?? []).length;
    const client = await connect(resolveHostConfig(`${me}@viajump:${sshd.port}`, { configFile: file }), quiet);
    assert.deepEqual(await run(client, 'echo via'), { out: 'via\n', code: 0 });
    await closeClient(client);
    // Three logins: the two jump hops and the target; the logs show the forwarded connections.
    assert.equal((sshd.logs().match(/Accepted publickey/g) ?? []).length - before, 3);
    assert.match(sshd.logs(), /direct-tcpip|Connection from 127\.0\.0\.1/);
  });

  it('ProxyJump to a port nobody listens on: SSH_CONNECT naming the jump host (errors.ts forwardOutError)', async () => {
    const dead = await freePort();
    const file = setup({ head: `Host deadend\n  ProxyJump jump\n  Port ${dead}` });
    await rejects(connect(resolveHostConfig('deadend', { configFile: file }), quiet), 'SSH_CONNECT',
      new RegExp(`^jump host ${me}@127\\.0\\.0\\.1:${sshd.port} could not reach 127\\.0\\.0\\.1:${dead}: Connection refused .*AllowTcpForwarding`));
  });

  it('ProxyCommand: OpenSSH\'s own `ssh -W` carries the connection; a failing one is SSH_CONNECT', async () => {
    const file = join(dir, `config${n}`); // the name setup() is about to use
    assert.equal(setup({ head: `Host viacmd\n  ProxyCommand ssh -F ${file} -o BatchMode=yes -W %h:%p jump\nHost broken\n  ProxyCommand sh -c 'exit 3'` }), file);
    const client = await connect(resolveHostConfig('viacmd', { configFile: file }), quiet);
    assert.deepEqual(await run(client, 'echo proxied'), { out: 'proxied\n', code: 0 });
    await closeClient(client);
    await rejects(connect(resolveHostConfig('broken', { configFile: file }), quiet), 'SSH_CONNECT', /via ProxyCommand sh -c 'exit 3'.*exited with status 3/);
  });

  it('agent auth through a real ssh-agent', async () => {
    const sock = join(dir, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSocket(sock); i++) await new Promise((r) => setTimeout(r, 100));
      const key = keygen(join(dir, 'agentkey'), 'ed25519', 'secret phrase');
      const askpass = join(dir, 'askpass.sh');
      writeFileSync(askpass, "#!/bin/sh\necho 'secret phrase'\n", { mode: 0o755 });
      execFileSync('ssh-add', [key.path], {
        env: { ...process.env, SSH_AUTH_SOCK: sock, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' }, stdio: 'ignore', timeout: 5000,
      });
      writeFileSync(sshd.authorizedKeysFile, `${good.pubLine}\n${key.pubLine}\n`);
      unlinkSync(key.path); // only the agent has the private key now
      const file = setup({ identity: key.path, head: `Host target\n  IdentitiesOnly yes\n  IdentityAgent ${sock}` });
      const client = await connect(resolveHostConfig('target', { configFile: file }), quiet);
      assert.deepEqual(await run(client, 'echo agent'), { out: 'agent\n', code: 0 });
      await closeClient(client);
    } finally {
      agent.kill();
    }
  });

  it('passphrase key with no terminal fails clearly, without hanging', async () => {
    const locked = keygen(join(dir, 'locked'), 'ed25519', 'secret');
    writeFileSync(sshd.authorizedKeysFile, `${good.pubLine}\n${locked.pubLine}\n`);
    const file = setup({ identity: locked.path });
    // A new session (setsid) has no controlling terminal: /dev/tty cannot be opened, as in CI.
    const child = spawn(process.execPath, [new URL('./helpers/connect-child.js', import.meta.url).pathname, JSON.stringify({ destination: 'target', configFile: file })], {
      detached: true, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await within(new Promise((r) => child.on('close', r)), 10_000, 'the connecting child');
    const res = JSON.parse(out) as { ok: boolean; code: string; message: string };
    assert.equal(res.code, 'SSH_AUTH', out);
    assert.match(res.message, /skipped .*locked: it needs a passphrase and there is no terminal to ask on \(load it with ssh-add\)/);
  });

  it('nothing listening: SSH_CONNECT; silent server: SSH_TIMEOUT after ConnectTimeout', async () => {
    const port = await freePort();
    await rejects(connect(resolveHostConfig('target', { configFile: setup({ port }) }), quiet), 'SSH_CONNECT', /connection refused/);
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const sport = (silent.address() as { port: number }).port;
    try {
      const file = setup({ port: sport, head: 'Host target\n  ConnectTimeout 1' });
      const t0 = Date.now();
      await rejects(connect(resolveHostConfig('target', { configFile: file }), quiet), 'SSH_TIMEOUT', /timed out after 1 s/, 4000);
      assert.ok(Date.now() - t0 >= 900);
    } finally {
      silent.close();
    }
  });

  it('MaxSessions: the channel sshd refuses is SSH_CHANNEL_OPEN', async () => {
    const client = await connect(resolveHostConfig('target', { configFile: setup() }), quiet);
    try {
      const held = [await exec(client, 'cat'), await exec(client, 'cat')]; // cat ends at EOF, sleep would outlive us
      await rejects(exec(client, 'echo third'), 'SSH_CHANNEL_OPEN', /refused to open an exec channel: open failed \(sshd allows MaxSessions/);
      for (const ch of held) ch.end();
    } finally {
      await closeClient(client);
    }
  });

  it('a frozen server is detected by keepalives: SSH_KEEPALIVE', async () => {
    const errors: Error[] = [];
    const file = setup({ head: 'Host target\n  ServerAliveInterval 1\n  ServerAliveCountMax 2' });
    const client = await connect(resolveHostConfig('target', { configFile: file }), { ...quiet, onError: (e) => errors.push(e) });
    // Freeze the per-connection sshd processes (children of the listener), not the listener.
    const pids = sshd.sessionPids();
    assert.ok(pids.length > 0);
    const signal = (sig: NodeJS.Signals): void => void sshd.signalSessions(sig, pids);
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    try {
      signal('SIGSTOP');
      await within(closed, 6000, 'the close after unanswered keepalives');
      assert.equal((errors[0] as Error & { code: string }).code, 'SSH_KEEPALIVE', errors.map((e) => e.message).join('; '));
      assert.match(errors[0].message, /no answer to keepalives for 2 s/);
      await rejects(exec(client, 'echo late'), 'SSH_KEEPALIVE');
    } finally {
      signal('SIGCONT');
      client.destroy();
    }
  });
});

function existsSocket(p: string): boolean {
  try {
    readFileSync(p);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
