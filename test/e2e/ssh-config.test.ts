import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { overrideSshConfig } from './ssh-config.js';

const ORIGINAL = `Host gocpu-test
  HostName 127.0.0.1
  Port 2222
  User gocpu
  IdentityFile /state/id_ed25519
  UserKnownHostsFile=/state/known_hosts
  StrictHostKeyChecking yes
`;

test('overrides replace the keyword in every block and come first', () => {
  const out = overrideSshConfig(ORIGINAL, { UserKnownHostsFile: '/tmp/empty', Port: '1' });
  assert.doesNotMatch(out, /\/state\/known_hosts/);
  assert.doesNotMatch(out, /2222/);
  assert.match(out, /^UserKnownHostsFile \/tmp\/empty$/m);
  assert.match(out, /IdentityFile \/state\/id_ed25519/);
  assert.ok(out.indexOf('Port 1') < out.indexOf('Host gocpu-test'));
});

// ssh -G resolves a config the way OpenSSH does: the override must win there.
test('ssh -G sees the overridden values', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-e2e-cfg-'));
  try {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, overrideSshConfig(ORIGINAL, { IdentityFile: '/tmp/with space/key', Port: '1' }));
    const g = execFileSync('ssh', ['-G', '-F', file, 'gocpu-test'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(g, /^port 1$/m);
    assert.match(g, /^identityfile \/tmp\/with space\/key$/m);
    assert.doesNotMatch(g, /^identityfile \/state\/id_ed25519$/m);
    assert.match(g, /^hostname 127\.0\.0\.1$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
