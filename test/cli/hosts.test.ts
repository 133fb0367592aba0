import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { agentStatusLines, hostGroups, listHosts } from '../../src/cli/hosts.js';
import { recordFor, writeDoctorRecord } from '../../src/doctor/record.js';

async function listing(env: NodeJS.ProcessEnv, config: object): Promise<string> {
  let s = '';
  const out = new Writable({ write: (c, _e, cb) => ((s += c.toString()), cb()) });
  assert.equal(await listHosts(env, config, out), 0);
  return s;
}

test('hosts per target, where they come from, and what doctor last found', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gocpu-hosts-'));
  try {
    const env = { XDG_CACHE_HOME: base, GOCPU_CONFIG: '/cfg.json', GOCPU_HOST_LINUX_ARM64: 'me@rpi4' };
    const config = { hosts: { 'linux/riscv64': ['vf2', 'porter'], mips: 'old' } };
    writeDoctorRecord(recordFor('me@rpi4', 'arm64', [{ check: 'ssh', verdict: 'ok', detail: '' }], new Date('2026-12-01T10:00:00Z')), env);
    writeDoctorRecord(recordFor('porter', 'riscv64', [{ check: 'user namespaces', verdict: 'fail', detail: 'unshare: Operation not permitted' }], new Date('2026-12-02T09:30:00Z')), env);
    assert.equal(await listing(env, config), [
      'linux/arm64 (from GOCPU_HOST_LINUX_ARM64)',
      '  me@rpi4  ok (2026-12-01 10:00 UTC)',
      'linux/mips (from /cfg.json)',
      '  old      never checked',
      'linux/riscv64 (from /cfg.json)',
      '  vf2      never checked',
      '  porter   failed: user namespaces: unshare: Operation not permitted (2026-12-02 09:30 UTC)',
      '',
    ].join('\n'));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('GOCPU_HOST serves every target without its own variable, shadowing the config (said once)', () => {
  const { groups, notes } = hostGroups({ GOCPU_HOST: 'box', GOCPU_HOST_LINUX_ARM64: 'pi', GOCPU_CONFIG: '/c' }, { hosts: { 'linux/riscv64': ['vf2'], 'linux/vax': ['x'] } });
  assert.deepEqual(groups.map((g) => [g.title.split(' (')[0], g.source, g.hosts]), [
    ['linux/arm64', 'GOCPU_HOST_LINUX_ARM64', ['pi']],
    ['every other linux target', 'GOCPU_HOST', ['box']],
  ]);
  assert.match(groups[1].title, /\(386, amd64, arm, loong64, /);
  assert.deepEqual(notes, [
    'linux/riscv64: /c is not used while GOCPU_HOST is set',
    '"linux/vax" in /c names no linux target (use linux/GOARCH, e.g. linux/arm64)',
  ]);
  assert.equal(hostGroups({ GOCPU_HOST: 'box' }, {}).groups[0].title, 'every linux target');
});

test('no host anywhere: one line saying how to name one', async () => {
  assert.match(await listing({ GOCPU_CONFIG: '/c' }, {}), /^no hosts: set GOCPU_HOST_LINUX_ARM64=user@host .* "hosts" in \/c\n$/);
});

test('the agent hook has nothing to add yet', async () => {
  assert.deepEqual(await agentStatusLines('me@rpi4', {}), []);
});
