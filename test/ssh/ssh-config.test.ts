/**
 * Our ssh_config resolution against OpenSSH's own: `ssh -G -F FILE HOST` prints what ssh
 * would use, so each tricky config is checked field by field against it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseDestination } from '../../src/ssh/destination.js';
import { readHostOptions, resolveHostConfig } from '../../src/ssh/ssh-config.js';

const dir = mkdtempSync(join(tmpdir(), 'gocpu-sshcfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function write(name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, 0o644);
  return p;
}

/** `ssh -G` output as keyword -> values (repeated keywords collect). */
function sshG(file: string, dest: string, env: NodeJS.ProcessEnv = process.env): Map<string, string[]> {
  const out = execFileSync('ssh', ['-T', '-G', '-F', file, dest], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  const m = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const k = line.slice(0, sp);
    m.set(k, [...(m.get(k) ?? []), line.slice(sp + 1)]);
  }
  return m;
}

/** Compares every field ssh -G prints that HostConfig carries. */
function compare(text: string, dest: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = write(`cfg${n++}`, text);
  const g = sshG(file, dest, env);
  const c = resolveHostConfig(dest, { configFile: file, env });
  const one = (k: string): string | undefined => g.get(k)?.[0];
  const ctx = `${dest} with\n${text}`;
  assert.equal(c.hostName, one('hostname'), `hostname for ${ctx}`);
  assert.equal(String(c.port), one('port'), `port for ${ctx}`);
  assert.equal(c.user, one('user'), `user for ${ctx}`);
  if (!c.identityFilesAreDefaults) {
    // ssh -G prints IdentityFile before expansion
    assert.deepEqual(readHostOptions(dest, { configFile: file, env }).store.list('identityfile'), g.get('identityfile'), `identityfile for ${ctx}`);
  }
  assert.deepEqual(c.userKnownHostsFiles, (one('userknownhostsfile') ?? '').split(' ').filter((s) => s && s !== 'none'), `userknownhostsfile for ${ctx}`);
  assert.deepEqual(c.globalKnownHostsFiles, (one('globalknownhostsfile') ?? '').split(' ').filter((s) => s && s !== 'none'), `globalknownhostsfile for ${ctx}`);
  const strict = { yes: 'true', no: 'false', off: 'false', ask: 'ask', 'accept-new': 'accept-new' }[c.strictHostKeyChecking];
  assert.equal(strict, one('stricthostkeychecking'), `stricthostkeychecking for ${ctx}`);
  assert.equal(c.hostKeyAlias, one('hostkeyalias'), `hostkeyalias for ${ctx}`);
  assert.equal(c.batchMode ? 'yes' : 'no', one('batchmode'), `batchmode for ${ctx}`);
  assert.equal(c.identitiesOnly ? 'yes' : 'no', one('identitiesonly'), `identitiesonly for ${ctx}`);
  assert.equal(c.hashKnownHosts ? 'yes' : 'no', one('hashknownhosts'), `hashknownhosts for ${ctx}`);
  assert.equal(c.connectTimeout === undefined ? 'none' : String(c.connectTimeout), one('connecttimeout'), `connecttimeout for ${ctx}`);
  const hop = (s: string): string => {
    const d = parseDestination(s); // ssh -G prints ssh:// hops as [user@]host[:port]
    return `${d.user ? d.user + '@' : ''}${d.host}${d.port ? ':' + d.port : ''}`;
  };
  assert.equal(c.proxyJump.length ? c.proxyJump.map(hop).join(',') : undefined, one('proxyjump'), `proxyjump for ${ctx}`);
  // Unset, ssh uses 0 (300 in BatchMode); we default to 10, so only compare a configured value.
  if (readHostOptions(dest, { configFile: file, env }).store.has('serveraliveinterval')) {
    assert.equal(String(c.serverAliveInterval), one('serveraliveinterval'), `serveraliveinterval for ${ctx}`);
  }
  const agent = one('identityagent');
  if (agent !== undefined && agent !== 'SSH_AUTH_SOCK' && !agent.startsWith('$')) {
    assert.equal(c.identityAgent, agent === 'none' ? undefined : agent, `identityagent for ${ctx}`);
  }
}

describe('resolveHostConfig matches ssh -G', () => {
  it('Include with a glob, in lexical order, skipping dot files', () => {
    write('inc/10-a.conf', 'Host foo\n  User from-a\n');
    write('inc/20-b.conf', 'Host foo\n  User from-b\n  Port 2022\nHost *\n  ConnectTimeout 7\n');
    write('inc/.30-hidden.conf', 'Host foo\n  HostName hidden.example\n');
    write('inc/notes.txt', 'Host foo\n  HostName txt.example\n');
    const text = `Include ${dir}/inc/*.conf\nHost foo\n  HostName foo.example\n`;
    compare(text, 'foo');
    compare(text, 'bar');
  });

  it('Include inside an inactive block applies nothing, nested Include works', () => {
    write('nest/outer.conf', `User outer\nInclude ${dir}/nest/inner.conf\nPort 1234\n`);
    write('nest/inner.conf', 'Host other\n  User inner-other\nHost *\n  IdentityFile /inner/key\n');
    const text = `Host nomatch\n  Include ${dir}/nest/outer.conf\nHost foo\n  Include ${dir}/nest/outer.conf\n  Port 99\n`;
    compare(text, 'foo');
    compare(text, 'nomatch');
    compare(text, 'zzz');
  });

  it('negated patterns and comma lists', () => {
    const text = [
      'Host *.example.com !bad.example.com',
      '  User good',
      'Host bad.* ?ther',
      '  Port 2200',
      'Host a,b',
      '  User comma-is-not-a-separator',
      'Match host *.example.com,!*.internal.example.com',
      '  IdentityFile /m/ext',
      'Match originalhost b*',
      '  IdentityFile /m/orig-b',
    ].join('\n');
    for (const h of ['x.example.com', 'bad.example.com', 'other', 'a', 'y.internal.example.com', 'bee']) compare(text, h);
  });

  it('Match host sees HostName, Match user / localuser / all / exec / negation', () => {
    const text = [
      'Host alias1',
      '  HostName REAL.%h.Example',
      'Match user bob',
      '  Port 1001',
      'Match host real.alias1.example originalhost alias1',
      '  IdentityFile /m1',
      'Match !host nothing user root,bob,' + userInfo().username,
      '  IdentityFile /m2',
      `Match localuser ${userInfo().username}`,
      '  IdentityFile /m3',
      'Match exec "test %h = real.alias1.example"',
      '  IdentityFile /m4',
      'Match exec false',
      '  IdentityFile /m5',
      'Match canonical',
      '  IdentityFile /m6',
      'Match all',
      '  ServerAliveInterval 42',
    ].join('\n');
    compare(text, 'alias1');
    compare(text, 'bob@alias1');
    compare(text, 'other');
  });

  it('first obtained value wins; IdentityFile accumulates without duplicates', () => {
    const text = [
      'Host foo',
      '  User first',
      '  IdentityFile ~/.ssh/a',
      '  UserKnownHostsFile /kh/one /kh/two',
      '  StrictHostKeyChecking accept-new',
      'Host foo',
      '  User second',
      '  IdentityFile ~/.ssh/b',
      '  IdentityFile ~/.ssh/a',
      '  UserKnownHostsFile /kh/three',
      'Host *',
      '  User star',
      '  Port 2222',
      '  StrictHostKeyChecking no',
      '  IdentityFile ~/.ssh/c',
      '  HashKnownHosts yes',
      '  BatchMode yes',
      '  IdentitiesOnly yes',
    ].join('\n');
    compare(text, 'foo');
    compare(text, 'someone@foo');
    compare(text, 'other');
  });

  it('tokens and ~ in HostName, IdentityFile, UserKnownHostsFile, IdentityAgent', () => {
    const text = [
      'Host tok',
      '  HostName %h.example.net',
      '  User remote',
      '  Port 2202',
      '  HostKeyAlias alias-%%',
      '  IdentityFile ~/.ssh/id_%h_%r_%p_%u_%n_%d_%%',
      '  UserKnownHostsFile ~/kh/%h/%p/%r/%u/%n/%k %d/x/%i/%L/%l/%C',
      '  IdentityAgent ~/agent/%u.sock',
      '  ProxyJump j@jump1:2222,ssh://jump2:23',
      '  ProxyCommand nc %h %p',
    ].join('\n');
    compare(text, 'tok');
    const c = resolveHostConfig('tok', { configFile: join(dir, `cfg${n - 1}`) });
    assert.equal(c.identityFiles[0], `${userInfo().homedir}/.ssh/id_tok.example.net_remote_2202_${userInfo().username}_tok_${userInfo().homedir}_%`);
    assert.equal(c.proxyCommand, undefined, 'ProxyJump came first');
  });

  it('key=value, quotes, comments and keyword case', () => {
    const text = [
      '# comment',
      'HOST=eq "q r" tr',
      '  USER = "has space"  # trailing comment',
      '  identityFILE "~/.ssh/with space"',
      '  HostName=eq.example',
      'Host *',
      '  ProxyCommand none',
      '  ProxyJump ignored-after-proxycommand',
    ].join('\n');
    compare(text, 'eq');
    compare(text, 'tr');
    compare(text, 'zz');
  });

  it('destination user and port override the config; ConnectTimeout, none values', () => {
    const text = 'Host h\n  User cfg\n  Port 2000\n  ConnectTimeout 1m30s\n  UserKnownHostsFile none\n  IdentityAgent none\n  ProxyJump none\n  ProxyJump x\n';
    const file = write(`cfg${n++}`, text);
    const c = resolveHostConfig('dest@h:3000', { configFile: file });
    assert.equal(c.user, 'dest');
    assert.equal(c.port, 3000);
    assert.equal(c.connectTimeout, 90);
    assert.deepEqual(c.userKnownHostsFiles, []);
    assert.equal(c.identityAgent, undefined);
    assert.deepEqual(c.proxyJump, []);
    compare(text, 'h');
    const g = sshG(file, 'h');
    assert.equal(g.get('connecttimeout')?.[0], '90');
  });
});

describe('resolveHostConfig defaults and user files', () => {
  it('uses ~/.ssh/config (relative Include under ~/.ssh) then the system file', () => {
    const home = join(dir, 'home');
    write('home/.ssh/config', 'Include conf.d/*\nHost h\n  Port 2001\n');
    write('home/.ssh/conf.d/a', 'Host h\n  User from-include\n');
    const system = write('etc/ssh_config', 'Host *\n  User from-system\n  Port 1\n  IdentityFile ~/.ssh/sys\n');
    const c = resolveHostConfig('h', { homeDir: home, systemConfigFile: system, localUser: 'me', env: {} });
    assert.equal(c.user, 'from-include');
    assert.equal(c.port, 2001);
    assert.deepEqual(c.identityFiles, [`${home}/.ssh/sys`]);
    assert.deepEqual(c.userKnownHostsFiles, [`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`]);
    const d = resolveHostConfig('other', { homeDir: home, systemConfigFile: join(dir, 'missing'), localUser: 'me', env: { SSH_AUTH_SOCK: '/agent.sock' } });
    assert.equal(d.user, 'me');
    assert.equal(d.port, 22);
    assert.equal(d.identitiesOnly, false);
    assert.equal(d.identityFilesAreDefaults, true);
    assert.deepEqual(d.identityFiles, ['id_rsa', 'id_ecdsa', 'id_ed25519'].map((k) => `${home}/.ssh/${k}`));
    assert.equal(d.serverAliveInterval, 10);
    assert.equal(d.serverAliveCountMax, 3);
    assert.equal(d.strictHostKeyChecking, 'ask');
    assert.equal(d.identityAgent, '/agent.sock');
  });

  it('refuses group-writable included files and Include loops, like ssh', () => {
    const bad = write('perm/bad.conf', 'User x\n');
    chmodSync(bad, 0o666);
    const f = write(`cfg${n++}`, `Include ${bad}\n`);
    assert.throws(() => resolveHostConfig('h', { configFile: f }), { code: 'SSH_CONFIG', message: /bad owner or permissions/ });
    const loop = write('loop.conf', `Include ${dir}/loop.conf\n`);
    assert.throws(() => resolveHostConfig('h', { configFile: loop }), { code: 'SSH_CONFIG', message: /nested more than 16/ });
  });

  it('reports bad lines, unknown tokens and a missing config file with the file name', () => {
    const f = write(`cfg${n++}`, 'Host h\n  User\n');
    assert.throws(() => resolveHostConfig('h', { configFile: f }), { code: 'SSH_CONFIG', message: new RegExp(`${f} line 2`) });
    const g = write(`cfg${n++}`, 'IdentityFile ~/%z\n');
    assert.throws(() => resolveHostConfig('h', { configFile: g }), { code: 'SSH_CONFIG', message: /unknown token %z/ });
    assert.throws(() => resolveHostConfig('h', { configFile: join(dir, 'nope') }), { code: 'SSH_CONFIG', message: /does not exist/ });
  });

  it('Match final re-reads the config with the final host name', () => {
    const text = 'Host a\n  HostName b.example\nMatch final host b.example\n  User finaluser\n';
    const f = write(`cfg${n++}`, text);
    assert.equal(resolveHostConfig('a', { configFile: f }).user, 'finaluser');
    compare(text, 'a');
  });
});
