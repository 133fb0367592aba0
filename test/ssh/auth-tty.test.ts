/**
 * Passphrase prompts on a real terminal: helpers/connect-child.js runs as the session
 * leader of a pty made by Python's pty.fork(), so it has a controlling terminal and
 * /dev/tty, exactly like a developer's shell. We type into the pty and read what it shows.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keygen, startSshd, type KeyPair, type Sshd } from './helpers/sshd.js';

// Answers each "passphrase" prompt with the next answer (then Ctrl-D), prints the whole screen.
const PTY_DRIVER = `
import os, pty, select, sys, time, json
answers = json.loads(sys.argv[1]); argv = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
buf = b''; seen = 0; deadline = time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if fd not in r:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    buf += data
    while buf.count(b'passphrase for key') > seen:
        seen += 1
        os.write(fd, (answers[seen - 1] + '\\r' if seen <= len(answers) else '\\x04').encode())
os.waitpid(pid, 0)
sys.stdout.write(buf.decode('utf-8', 'replace'))
`;

let dir: string;
let sshd: Sshd;
let locked: KeyPair;

function configFor(extra = ''): string {
  const kh = join(dir, 'known_hosts');
  writeFileSync(kh, sshd.knownHostsLine + '\n');
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, `${extra}\nHost target\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${userInfo().username}\n  IdentityFile ${locked.path}\n  UserKnownHostsFile ${kh}\n  IdentityAgent none\n`);
  return file;
}

function runOnPty(answers: string[], configFile: string): { screen: string; result: { ok: boolean; code?: string; message?: string; out?: string } } {
  const child = new URL('./helpers/connect-child.js', import.meta.url).pathname;
  const r = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify(answers), process.execPath, child, JSON.stringify({ destination: 'target', configFile })], {
    encoding: 'utf8', timeout: 40_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split(/\r?\n/).find((l) => l.startsWith('{"ok"'));
  assert.ok(line, `no result on the terminal:\n${r.stdout}`);
  return { screen: r.stdout, result: JSON.parse(line) };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gocpu-tty-'));
  locked = keygen(join(dir, 'locked'), 'ed25519', 'open sesame');
  sshd = await startSshd({ authorizedKeys: [locked.pubLine] });
});
after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('passphrase prompt on the controlling terminal', () => {
  it('asks on /dev/tty without echo and connects', () => {
    const { screen, result } = runOnPty(['open sesame'], configFor());
    assert.equal(result.ok, true, screen);
    assert.equal(result.out, 'hi\n');
    assert.match(screen, new RegExp(`Enter passphrase for key '${locked.path}': `));
    assert.ok(!screen.includes('open sesame'), `passphrase was echoed:\n${screen}`);
  });

  it('gives up after NumberOfPasswordPrompts wrong answers with a clear SSH_AUTH', () => {
    const { screen, result } = runOnPty(['wrong', 'still wrong'], configFor('NumberOfPasswordPrompts 2'));
    assert.equal(result.code, 'SSH_AUTH', screen);
    assert.match(result.message!, /skipped .*locked: wrong passphrase/);
    assert.match(screen, /Bad passphrase, try again/);
  });

  it('BatchMode never prompts, even with a terminal', () => {
    const { screen, result } = runOnPty([], configFor('BatchMode yes'));
    assert.equal(result.code, 'SSH_AUTH', screen);
    assert.doesNotMatch(screen, /Enter passphrase/);
    assert.match(result.message!, /it needs a passphrase and BatchMode is on/);
  });
});
