/**
 * known_hosts matching on real files written and hashed by ssh-keygen, cross-checked
 * with `ssh-keygen -F` where it has an opinion.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  appendKnownHost, checkHostKey, fingerprint, formatKnownHost, keyTypeOfBlob, knownHostsName, knownKeyTypes,
} from '../../src/ssh/known-hosts.js';
import { keygen } from './helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'gocpu-kh-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const a = keygen(join(dir, 'a'), 'ed25519');
const b = keygen(join(dir, 'b'), 'ed25519');
const e = keygen(join(dir, 'e'), 'ecdsa');
const r = keygen(join(dir, 'r'), 'rsa');
const body = (k: { pubLine: string }): string => k.pubLine.split(' ').slice(0, 2).join(' ');
let n = 0;
function file(lines: string[]): string {
  const p = join(dir, `kh${n++}`);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}
/** What ssh-keygen -F finds for a name: the line numbers it reports. */
function keygenFind(path: string, name: string): number[] {
  try {
    const out = execFileSync('ssh-keygen', ['-F', name, '-f', path], { encoding: 'utf8' });
    return [...out.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1]));
  } catch {
    return []; // exit 1: not found
  }
}

describe('known_hosts', () => {
  it('reads the key type from a blob and prints ssh-keygen style fingerprints', () => {
    assert.equal(keyTypeOfBlob(a.blob), 'ssh-ed25519');
    assert.equal(keyTypeOfBlob(e.blob), 'ecdsa-sha2-nistp256');
    const want = execFileSync('ssh-keygen', ['-l', '-f', `${a.path}.pub`], { encoding: 'utf8' }).split(' ')[1];
    assert.equal(fingerprint(a.blob), want);
  });

  it('lookup name: host on 22, [host]:port elsewhere, HostKeyAlias as is', () => {
    assert.equal(knownHostsName('Host.Example', 22), 'host.example');
    assert.equal(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222');
    assert.equal(knownHostsName('127.0.0.1', 2222, 'myalias'), 'myalias');
  });

  it('plain host lists, [host]:port, comments and junk lines', () => {
    const f = file([
      '# comment',
      '',
      'garbage',
      `other.example ${body(b)}`,
      `h1.example,h2.example,10.0.0.1 ${body(a)} comment words`,
      `[h1.example]:2222 ${body(b)}`,
      `h3.example 1024 35 1234567`,
    ]);
    assert.deepEqual(checkHostKey([f], 'h2.example', 22, 'ssh-ed25519', a.blob), { status: 'ok', file: f, line: 5 });
    assert.deepEqual(checkHostKey([f], 'H1.EXAMPLE', 22, 'ssh-ed25519', a.blob), { status: 'ok', file: f, line: 5 });
    assert.deepEqual(checkHostKey([f], 'h1.example', 2222, 'ssh-ed25519', b.blob), { status: 'ok', file: f, line: 6 });
    assert.deepEqual(checkHostKey([f], 'h1.example', 2222, 'ssh-ed25519', a.blob), { status: 'changed', file: f, line: 6, expectedType: 'ssh-ed25519' });
    assert.deepEqual(checkHostKey([f], 'h1.example', 2200, 'ssh-ed25519', a.blob), { status: 'unknown', otherKeys: [] });
    assert.deepEqual(checkHostKey([f], 'h3.example', 22, 'ssh-ed25519', a.blob), { status: 'unknown', otherKeys: [] });
    assert.deepEqual(keygenFind(f, 'h2.example'), [5]);
    assert.deepEqual(keygenFind(f, '[h1.example]:2222'), [6]);
  });

  it('hashed entries made by ssh-keygen -H', () => {
    const f = file([`[127.0.0.1]:2222 ${body(a)}`, `plain.example ${body(e)}`, `localhost ${body(r)}`]);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'ignore' });
    const text = readFileSync(f, 'utf8');
    assert.ok(!text.includes('127.0.0.1') && text.includes('|1|'), text);
    assert.deepEqual(checkHostKey([f], '127.0.0.1', 2222, 'ssh-ed25519', a.blob), { status: 'ok', file: f, line: 1 });
    assert.deepEqual(checkHostKey([f], 'plain.example', 22, 'ecdsa-sha2-nistp256', e.blob), { status: 'ok', file: f, line: 2 });
    assert.deepEqual(checkHostKey([f], 'localhost', 22, 'ssh-rsa', r.blob), { status: 'ok', file: f, line: 3 });
    assert.deepEqual(checkHostKey([f], '127.0.0.1', 2222, 'ssh-ed25519', b.blob), { status: 'changed', file: f, line: 1, expectedType: 'ssh-ed25519' });
    assert.equal(checkHostKey([f], '127.0.0.1', 22, 'ssh-ed25519', a.blob).status, 'unknown');
    assert.deepEqual(keygenFind(f, '[127.0.0.1]:2222'), [1]);
  });

  it('our hashed lines are found by ssh-keygen -F', () => {
    const f = join(dir, 'appended');
    writeFileSync(f, `x.example ${body(b)}`); // no trailing newline: append must add one
    appendKnownHost(f, formatKnownHost('[10.1.2.3]:2022', a.blob, true));
    appendKnownHost(f, formatKnownHost('plain.example', e.blob, false));
    assert.deepEqual(keygenFind(f, '[10.1.2.3]:2022'), [2]);
    assert.deepEqual(keygenFind(f, 'plain.example'), [3]);
    assert.deepEqual(keygenFind(f, 'x.example'), [1]);
    assert.equal(checkHostKey([f], '10.1.2.3', 2022, 'ssh-ed25519', a.blob).status, 'ok');
  });

  it('wildcards and negation', () => {
    const f = file([
      `*.example.com,!evil.example.com ${body(a)}`,
      `[*.lab]:22?? ${body(b)}`,
    ]);
    assert.equal(checkHostKey([f], 'www.example.com', 22, 'ssh-ed25519', a.blob).status, 'ok');
    assert.equal(checkHostKey([f], 'evil.example.com', 22, 'ssh-ed25519', a.blob).status, 'unknown');
    assert.equal(checkHostKey([f], 'x.lab', 2201, 'ssh-ed25519', b.blob).status, 'ok');
    assert.equal(checkHostKey([f], 'x.lab', 3301, 'ssh-ed25519', b.blob).status, 'unknown');
    assert.deepEqual(keygenFind(f, 'www.example.com'), [1]);
    assert.deepEqual(keygenFind(f, 'evil.example.com'), []);
  });

  it('@revoked wins, @cert-authority lines are no plain keys, other key types are reported', () => {
    const f = file([
      `@cert-authority *.example.com ${body(b)}`,
      `h.example.com ${body(e)}`,
      `@revoked * ${body(a)}`,
    ]);
    const g = file([`h.example.com ${body(a)}`]);
    assert.deepEqual(checkHostKey([g, f], 'h.example.com', 22, 'ssh-ed25519', a.blob), { status: 'revoked', file: f, line: 3 });
    assert.deepEqual(checkHostKey([f], 'h.example.com', 22, 'ssh-ed25519', b.blob), {
      status: 'unknown', otherKeys: [{ file: f, line: 2, keyType: 'ecdsa-sha2-nistp256' }],
    });
    assert.deepEqual(knownKeyTypes([g, f], 'h.example.com', 22), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
  });

  it('several files: a match in any of them is ok; missing files are fine', () => {
    const f = file([`h ${body(b)}`]);
    const g = file([`h ${body(a)}`]);
    assert.equal(checkHostKey([join(dir, 'missing'), f, g], 'h', 22, 'ssh-ed25519', a.blob).status, 'ok');
    assert.deepEqual(checkHostKey([f], 'h', 22, 'ssh-ed25519', a.blob), { status: 'changed', file: f, line: 1, expectedType: 'ssh-ed25519' });
    assert.equal(checkHostKey([f], 'alias', 22, 'ssh-ed25519', b.blob, 'h').status, 'ok');
  });
});
