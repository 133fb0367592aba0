import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { verifyHostKey, type HostKeyPolicyConfig } from '../../src/ssh/host-key-policy.js';
import { checkHostKey } from '../../src/ssh/known-hosts.js';
import { keygen } from './helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'gocpu-hkp-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const a = keygen(join(dir, 'a'));
const b = keygen(join(dir, 'b'));
let n = 0;

/** Lines go to a fresh known_hosts file; no lines = a file (and directory) that does not exist yet. */
function cfg(lines: string[], over: Partial<HostKeyPolicyConfig> = {}): HostKeyPolicyConfig & { file: string } {
  const i = n++;
  const file = lines.length ? join(dir, `kh${i}.flat`) : join(dir, `kh${i}`, 'known_hosts');
  if (lines.length) writeFileSync(file, lines.join('\n') + '\n');
  return {
    alias: 'box', hostName: '127.0.0.1', port: 2222, userKnownHostsFiles: [file], globalKnownHostsFiles: [],
    strictHostKeyChecking: 'ask', hashKnownHosts: false, homeDir: dir, resolveOptions: {}, file, ...over,
  };
}
const line = (k: { pubLine: string }): string => `[127.0.0.1]:2222 ${k.pubLine.split(' ').slice(0, 2).join(' ')}`;

describe('verifyHostKey', () => {
  it('accepts a known key', () => {
    assert.deepEqual(verifyHostKey(cfg([line(a)]), a.blob), { accept: true, warnings: [], keyChanged: false });
  });

  it('refuses an unknown key under ask/yes with a fix in the hint', () => {
    for (const s of ['ask', 'yes'] as const) {
      const v = verifyHostKey(cfg(['# empty'], { strictHostKeyChecking: s }), a.blob);
      assert.equal(v.accept, false);
      assert.equal(v.error?.code, 'SSH_HOST_KEY_UNKNOWN');
      assert.match(v.error!.message, /host key for \[127\.0\.0\.1\]:2222 is not known \(server offered ssh-ed25519 SHA256:/);
      assert.match(v.error!.hint!, /run `ssh -p 2222 box` once to check and accept it, or add it to ~\/kh\d+(\.flat|\/known_hosts)/);
    }
    const withF = verifyHostKey(cfg([], { resolveOptions: { configFile: '/tmp/my config' }, port: 22 }), a.blob);
    assert.match(withF.error!.hint!, /run `ssh -F '\/tmp\/my config' box` once/);
  });

  it('refuses a changed key naming file:line and the ssh-keygen -R fix', () => {
    const c = cfg(['# first line', line(b)]);
    const v = verifyHostKey(c, a.blob);
    assert.equal(v.accept, false);
    assert.equal(v.error?.code, 'SSH_HOST_KEY_CHANGED');
    assert.match(v.error!.message, new RegExp(`~/kh\\d+\\.flat:2 has a different ssh-ed25519 key`));
    assert.match(v.error!.hint!, /ssh-keygen -R '\[127\.0\.0\.1\]:2222' -f \//);
    assert.equal(verifyHostKey({ ...c, strictHostKeyChecking: 'accept-new' }, a.blob).accept, false);
  });

  it('StrictHostKeyChecking=no lets a changed key through with a warning', () => {
    const v = verifyHostKey(cfg([line(b)], { strictHostKeyChecking: 'no' }), a.blob);
    assert.equal(v.accept, true);
    assert.equal(v.keyChanged, true);
    assert.match(v.warnings[0], /differs from .*StrictHostKeyChecking=no/);
  });

  it('accept-new and no add an unknown key to the first user file (hashed when asked)', () => {
    for (const [s, hash] of [['accept-new', false], ['no', true]] as const) {
      const c = cfg([], { strictHostKeyChecking: s, hashKnownHosts: hash });
      const v = verifyHostKey(c, a.blob);
      assert.equal(v.accept, true);
      assert.match(v.warnings[0], /added host key for \[127\.0\.0\.1\]:2222/);
      const text = readFileSync(c.file, 'utf8');
      assert.equal(text.startsWith('|1|'), hash, text);
      assert.equal(checkHostKey([c.file], '127.0.0.1', 2222, 'ssh-ed25519', a.blob).status, 'ok');
    }
  });

  it('refuses a revoked key whatever the setting', () => {
    const v = verifyHostKey(cfg([line(a), `@revoked * ${a.pubLine}`], { strictHostKeyChecking: 'no' }), a.blob);
    assert.equal(v.accept, false);
    assert.equal(v.error?.code, 'SSH_HOST_KEY_REVOKED');
    assert.match(v.error!.message, /:2$/);
  });
});
